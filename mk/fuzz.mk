# Fuzzing (tests/fuzz/README.md).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_JOBS=1] [FUZZ_TARGETS="frame cert"]
#       builds every harness tests/fuzz/fuzz_*.c with clang and libFuzzer
#       (ASan+UBSan) into $(B)/fuzz/, runs each for FUZZ_SECONDS on a copy
#       of its seed corpus and prints executions and time per target
#       (tests/fuzz/run.sh).  Crashes are left, grouped, in
#       $(B)/fuzz/run/<target>/artifacts/; the exit status is 1 if any.
#   make fuzz-replay
#       builds the harnesses with $(CC) (ASan+UBSan, no libFuzzer) around
#       tests/fuzz/replay.c and feeds every corpus and crasher file to every
#       harness (tests/fuzz/replay.sh); fails on any crash, sanitizer report
#       or leak.  make check runs it (tests/integration/t_fuzz_replay.sh).
#   make fuzz-seeds
#       regenerates tests/fuzz/corpus/ (gen_seeds.c, the golden configs, and
#       for fuzz_bundle a bundle released by t_bundle_tamper.sh).
#
# The clang build compiles proto/ and daemon/config.c itself, with coverage
# instrumentation; it never links the gcc objects of $(B)/obj.  protobuf-c
# is Debian's shared library, not instrumented (see the README); set
# PROTOBUF_C_SRC to an unpacked protobuf-c source tree (`apt-get source
# protobuf-c`) to compile protobuf-c.c into the harnesses instrumented.

FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_CC      ?= clang
FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
PROTOBUF_C_SRC ?=

# What the harnesses may call: proto/, the config parser and the bundle
# verifier.
FUZZ_LIBSRC := $(PROTO_SRC) daemon/config.c clients/cl_bundle.c
FUZZ_GEN    := $(B)/fuzz/gen/parley-descriptors.inc
FUZZ_COMMON := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wno-missing-field-initializers -I. -Iproto -Iclients -Itests/fuzz \
	-I$(dir $(FUZZ_GEN)) $(PKG_CFLAGS) -MMD -MP \
	-O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# clang + libFuzzer
FUZZ_SANFLAGS := -fsanitize=address,undefined
FUZZ_CFLAGS   := $(FUZZ_COMMON) $(FUZZ_SANFLAGS) -fsanitize=fuzzer-no-link
FUZZ_LIB      := $(B)/fuzz/libparley-fuzz.a
FUZZ_BINS     := $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_ALL))
FUZZ_PBC_OBJ  := $(if $(PROTOBUF_C_SRC),$(B)/fuzz/obj/protobuf-c.o)
FUZZ_LIBS     := $(if $(PROTOBUF_C_SRC),$(filter-out -lprotobuf-c,$(PKG_LIBS)),$(PKG_LIBS))

# $(CC) replay build
REPLAY_CFLAGS := $(FUZZ_COMMON) $(NOTRUNC) $(FUZZ_SANFLAGS)
REPLAY_LIB    := $(B)/fuzz-replay/libparley-san.a
REPLAY_BINS   := $(patsubst %,$(B)/fuzz-replay/fuzz_%,$(FUZZ_ALL))

.PHONY: fuzz fuzz-build fuzz-replay fuzz-seeds fuzz-deps

# Every message descriptor the generated header declares.
$(FUZZ_GEN): proto/parley.pb-c.h
	@mkdir -p $(dir $@)
	@sed -n 's/^extern const ProtobufCMessageDescriptor \([a-z0-9_]*\);$$/\t\&\1,/p' \
		$< >$@.tmp && test -s $@.tmp && mv $@.tmp $@

$(B)/fuzz/obj/%.o: %.c $(FUZZ_GEN)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

# protobuf-c from source: fully instrumented, except that the two checks
# tests/fuzz/ubsan-protobuf-c.supp suppresses (each in one function) are
# made recoverable here, as suppression requires.
$(B)/fuzz/obj/protobuf-c.o: $(PROTOBUF_C_SRC)/protobuf-c/protobuf-c.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $< (instrumented)"
	@$(FUZZ_CC) -O1 -g -fno-omit-frame-pointer -I$(PROTOBUF_C_SRC) \
		$(FUZZ_SANFLAGS) -fsanitize=fuzzer-no-link \
		-fno-sanitize-recover=undefined \
		-fsanitize-recover=shift-base,pointer-overflow -c $< -o $@

$(FUZZ_LIB): $(patsubst %.c,$(B)/fuzz/obj/%.o,$(FUZZ_LIBSRC))
	@rm -f $@; ar rcs $@ $^

$(B)/fuzz/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB) $(FUZZ_PBC_OBJ)
	@echo "  LD      $@"
	@$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

$(B)/fuzz-replay/obj/%.o: %.c $(FUZZ_GEN)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (replay)"
	@$(CC) $(REPLAY_CFLAGS) -c $< -o $@

$(REPLAY_LIB): $(patsubst %.c,$(B)/fuzz-replay/obj/%.o,$(FUZZ_LIBSRC))
	@rm -f $@; ar rcs $@ $^

$(B)/fuzz-replay/fuzz_%: $(B)/fuzz-replay/obj/tests/fuzz/fuzz_%.o \
		$(B)/fuzz-replay/obj/tests/fuzz/replay.o $(REPLAY_LIB)
	@echo "  LD      $@"
	@$(CC) $(FUZZ_SANFLAGS) -o $@ $^ $(PKG_LIBS)

# clang and its fuzzer runtime (Debian 12: clang-14, libclang-rt-14-dev).
fuzz-deps:
	@missing=""; for p in clang libclang-rt-14-dev; do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
			grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] || { echo "fuzz: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# tests/fuzz/run.sh: each target for FUZZ_SECONDS on a fresh copy of its
# corpus (FUZZ_JOBS libFuzzer workers), then the table and the crashes,
# grouped.
fuzz: fuzz-build
	@tests/fuzz/run.sh $(B) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-replay: $(REPLAY_BINS)
	@tests/fuzz/replay.sh $(B) $(FUZZ_ALL)

# Regenerate the seed corpora (commit the result).
$(B)/fuzz-gen/gen_seeds: tests/fuzz/gen_seeds.c $(FUZZ_GEN) $(LIBPROTO)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -I$(dir $(FUZZ_GEN)) -o $@ $< $(LIBPROTO) $(PKG_LIBS)

# Only the corpora written here are replaced; other harnesses keep theirs.
# (bundle/released-v1, a bundle of content version 1 released before
# schema 17, is kept: no parleyd makes one any more)
FUZZ_GENERATED := frame payload messages cert text ptime config checkpoint bundle/released
fuzz-seeds: $(B)/fuzz-gen/gen_seeds $(BINS) $(TOOLS) $(B)/bundle_tamper
	@rm -rf $(addprefix tests/fuzz/corpus/,$(FUZZ_GENERATED))
	@$(B)/fuzz-gen/gen_seeds tests/fuzz/corpus
	@mkdir -p tests/fuzz/corpus/config tests/fuzz/corpus/bundle
	@cp tests/golden/config/*.conf tests/fuzz/corpus/config/
	@# a real bundle, released by parleyd, with its mediator's key
	@BIN=$(B) BUNDLE_SEED_OUT=$(CURDIR)/tests/fuzz/corpus/bundle/released \
		bash tests/integration/t_bundle_tamper.sh >/dev/null
	@for t in $(FUZZ_ALL); do mkdir -p tests/fuzz/crashers/$$t; \
		[ -n "$$(ls -A tests/fuzz/crashers/$$t)" ] || \
			touch tests/fuzz/crashers/$$t/.gitkeep; done
	@echo "fuzz-seeds: $$(find tests/fuzz/corpus -type f | wc -l) files," \
		"$$(du -sk tests/fuzz/corpus | cut -f1) KiB"

-include $(shell find $(B)/fuzz/obj $(B)/fuzz-replay/obj -name '*.d' 2>/dev/null)

# Keep the harness objects (make would delete them as intermediates).
.SECONDARY: $(patsubst %,$(B)/fuzz/obj/tests/fuzz/fuzz_%.o,$(FUZZ_ALL)) \
	$(patsubst %,$(B)/fuzz-replay/obj/tests/fuzz/fuzz_%.o,$(FUZZ_ALL)) \
	$(B)/fuzz-replay/obj/tests/fuzz/replay.o
