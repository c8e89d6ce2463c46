# Benchmarks (bench/README.md).
#
#   make bench [BENCH_OUT=FILE] [BENCH_ARGS="--time-limit 300 ..."]
#       builds the daemon, the clients and bench/loadgen, then runs
#       bench/run.sh: baselines and parleyd measured side by side on
#       loopback, a table of figures and ratios and the same as JSON
#       (written to BENCH_OUT too when set).  Bounded in time; stops
#       everything it started.
#   make bench-smoke
#       a short run of every load generator mode against a test daemon
#       that checks only that the counts add up (no timing); the same
#       test runs in `make check` as tests/integration/t_bench_smoke.sh.

LOADGEN := $(B)/loadgen
# Grows a copy of the store to 1,000,000 journal entries with the daemon's
# own journal module (and, for t_journal.sh, a party's record past what one
# reply carries).
JOURNAL_FILL := $(B)/journal-fill
# Counts what OpenSSL holds for one idle connection with parleyd's own TLS
# context (the floor under the RSS per idle endpoint); built like the above.
TLS_MEM := $(B)/tls-mem
# The least CPU an accepted copy costs with parleyd's dependencies and its
# durability (TLS, the verification, the durable append, the release), and
# with --latency the least release latency, measured beside parleyd's;
# links nothing of parleyd but the VFS its WAL checkpoints run through.
COPY_FLOOR := $(B)/copy-floor

$(LOADGEN): $(call obj,bench/loadgen.c) $(LIBCLIENT) $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(JOURNAL_FILL): $(call obj,bench/journal_fill.c) $(LIBDAEMON) $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(TLS_MEM): $(call obj,bench/tls_mem.c) $(LIBDAEMON) $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(COPY_FLOOR): $(call obj,bench/copy_floor.c) $(call obj,daemon/paced.c)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The smoke test is one of the integration tests: build the load generator
# and copy-floor (the smoke test runs it briefly) with everything else.
all: $(LOADGEN) $(JOURNAL_FILL) $(COPY_FLOOR)
integration: $(LOADGEN) $(JOURNAL_FILL) $(COPY_FLOOR)

.PHONY: bench bench-smoke

bench: $(BINS) $(LOADGEN) $(JOURNAL_FILL) $(COPY_FLOOR)
	@$(MAKE) --no-print-directory $(TLS_MEM) || \
		echo "bench: tls-mem does not build; OpenSSL's share of an idle connection is not counted"
	@bench/run.sh --bin $(B) $(if $(BENCH_OUT),--out $(BENCH_OUT)) $(BENCH_ARGS)

bench-smoke: $(BINS) $(LOADGEN) $(COPY_FLOOR)
	@BIN=$(B) bash tests/integration/t_bench_smoke.sh
