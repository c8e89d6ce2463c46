# The release bundle against an outside check (issue 17, doc/bundle.md).
#
# $(B)/bundle_tamper runs every tampering of a real bundle through
# bundle_check in one process; tests/interop/verify_bundle.py is the
# independent verifier (Python, Debian's python3-cryptography) and
# tests/interop/tamper.py its tamper loop.  tests/integration/t_bundle_tamper.sh
# drives both; lib.sh makes every integration test compare the two
# verifiers' verdicts on every bundle it leaves.

BUNDLE_TAMPER := $(B)/bundle_tamper

$(BUNDLE_TAMPER): $(call obj,tests/tools/bundle_tamper.c) $(LIBCLIENT) $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

all: $(BUNDLE_TAMPER)
integration: $(BUNDLE_TAMPER)
