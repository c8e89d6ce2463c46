# Under flood (issue 18; bench/README.md, "Under flood").
#
#   make bench-flood [BENCH_OUT=FILE] [FLOOD_ARGS="--samples 100 --time-limit 200 ..."]
#       bench/flood.sh: a fresh parleyd on loopback; a pinned party's
#       connect-and-sign latency and the admin socket's answer time, first
#       without a flood, then while build/flood replays a ClientHello at
#       full speed from one source address and again from 16; the flood's
#       rate and parleyd's CPU beside them.  A table and JSON (written to
#       BENCH_OUT too when set), with verdicts against the targets:
#         pinned p99 under flood < 10 x unflooded p99
#         admin socket answer p99 under flood < 1 s
#       Bounded by --time-limit (300 s); stops everything it started.
#
# $(B)/flood (bench/flood.c) is the flooding client: loopback only, bounded
# by --seconds; modes hello, idle, handshake (flood --help).  It is built
# with everything because make check runs
# tests/integration/t_flood_liveness.sh.

FLOOD := $(B)/flood

$(FLOOD): $(call obj,bench/flood.c)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

all: $(FLOOD)
integration: $(FLOOD)

.PHONY: bench-flood

bench-flood: $(BINS) $(LOADGEN) $(FLOOD)
	@bench/flood.sh --bin $(B) $(if $(BENCH_OUT),--out $(BENCH_OUT)) $(FLOOD_ARGS)
