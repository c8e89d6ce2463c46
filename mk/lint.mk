# make lint: cppcheck and gcc -fanalyzer, with no findings allowed from
# either.  A file the analyzer cannot compile fails the target too.
#
# ANALYZER_PENDING is the one exception, until journal_verify keeps its
# checkpoints in one array instead of two reallocated side by side (gcc 12
# reports a double free there that cannot happen).  It must match a finding
# exactly, and lint fails once it is no longer reported: delete it with that
# fix.

ANALYZER_PENDING := daemon/journal.c: analyzer-double-free

LINT_SRC := $(filter-out proto/parley.pb-c.c,$(wildcard proto/*.c daemon/*.c clients/*.c))

.PHONY: lint
lint:
	@echo "== cppcheck"
	@cppcheck --std=c11 --enable=warning,portability --inline-suppr --error-exitcode=1 \
		--quiet -I proto -I daemon -I clients -D_GNU_SOURCE \
		-DPROTOBUF_C_VERSION_NUMBER=1004001 -DPROTOBUF_C_MIN_COMPILER_VERSION=1000000 \
		--suppress=missingIncludeSystem $(LINT_SRC)
	@echo "== gcc -fanalyzer"
	@mkdir -p $(B); : > $(B)/analyzer.log; failed=; \
	for f in $(LINT_SRC); do \
		gcc -std=c11 -D_GNU_SOURCE -I. -Iproto -Iclients $(PKG_CFLAGS) -fanalyzer -O1 \
			-c $$f -o /dev/null 2>>$(B)/analyzer.log || failed="$$failed $$f"; \
	done; \
	if [ -n "$$failed" ]; then \
		cat $(B)/analyzer.log; echo "gcc -fanalyzer could not compile:$$failed"; exit 1; \
	fi
	@sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: warning: .*\[-W\(analyzer-[a-z-]*\)\]$$/\1: \2/p' \
		$(B)/analyzer.log | sort -u > $(B)/analyzer-findings.txt
	@pending='$(ANALYZER_PENDING)'; \
	if grep -vxF "$$pending" $(B)/analyzer-findings.txt >/dev/null; then \
		grep 'warning: .*\[-Wanalyzer-' $(B)/analyzer.log; \
		echo "gcc -fanalyzer findings (their paths are in $(B)/analyzer.log):"; \
		grep -vxF "$$pending" $(B)/analyzer-findings.txt; exit 1; \
	fi; \
	if [ -n "$$pending" ] && ! grep -qxF "$$pending" $(B)/analyzer-findings.txt; then \
		echo "\"$$pending\" is no longer reported: empty ANALYZER_PENDING in mk/lint.mk"; \
		exit 1; \
	fi; \
	echo "analyzer: no findings$${pending:+ but the pending $$pending}"
