# Crash safety and limits (issue 7, sections 1, 4, 5, 6).
#
#   make crash-test [CRASH_KILLS=1000] [CRASH_HITS="1 2 3 5 8"] [CRASH_SEED=N]
#       tests/crash/run.sh: scripted multi-party signings with parleyd
#       killed at every named fault point (each at every hit count of
#       CRASH_HITS) and CRASH_KILLS times at random moments (kill -9 from
#       outside), restarted and checked after each kill.  Prints progress;
#       stops by itself (CRASH_TIME_LIMIT seconds, default 3600, then fails).
#   make limits-full [LIMITS_SLOW_READERS=1000] [LIMITS_ABORTS=10000]
#       tests/integration/t_limits.sh with the issue's full numbers (make
#       check runs it with 100 slow readers and 1,000 aborted handshakes).
#
# A subset of the crash test (>= 100 kills) runs in make check as
# tests/integration/t_crash_subset.sh.  $(B)/slowpeer is the misbehaving
# peer the limits tests drive (tests/tools/slowpeer.c).

SLOWPEER := $(B)/slowpeer
CRASH_KILLS ?= 1000
LIMITS_SLOW_READERS ?= 1000
LIMITS_ABORTS ?= 10000

$(SLOWPEER): $(call obj,tests/tools/slowpeer.c) $(LIBCLIENT) $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The limits tests are integration tests: build the tool with everything.
all: $(SLOWPEER)
integration: $(SLOWPEER)

.PHONY: crash-test limits-full

crash-test: $(BINS) $(TOOLS)
	@BIN=$(B) CRASH_KILLS=$(CRASH_KILLS) bash tests/crash/run.sh

limits-full: $(BINS) $(TOOLS) $(SLOWPEER)
	@BIN=$(B) LIMITS_SLOW_READERS=$(LIMITS_SLOW_READERS) LIMITS_ABORTS=$(LIMITS_ABORTS) \
		bash tests/integration/t_limits.sh
