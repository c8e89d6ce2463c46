# make lint: mandoc's lint of the man pages, cppcheck and gcc -fanalyzer,
# with no findings allowed from any.  A file the analyzer cannot compile
# fails the target too.  make check runs it first (about 30 s), so that no
# finding lands.
#
# make lint-man [LINT_MAN="man/x.8 ..."]: the man pages alone.  mandoc
# reads a page more strictly than groff (make check-man), which renders
# what it cannot parse verbatim: a .TH date of "2026", say.

LINT_SRC := $(filter-out proto/parley.pb-c.c,$(wildcard proto/*.c daemon/*.c clients/*.c))
LINT_MAN ?= $(wildcard man/*.[1-8])

.PHONY: lint lint-man
check: lint
# mandoc exits 0 on messages below the -W level; any line it prints at
# -Wwarning (warnings, errors, unsupported) is a finding.
lint-man: deps
	@echo "== mandoc -Tlint -Wwarning"
	@out=$$(mandoc -Tlint -Wwarning $(LINT_MAN) 2>&1); rc=$$?; \
	if [ $$rc != 0 ] || [ -n "$$out" ]; then \
		printf '%s\n' "$$out"; echo "mandoc: findings in the man pages (exit $$rc)"; exit 1; \
	fi; \
	echo "mandoc: no findings in $(words $(LINT_MAN)) pages"

lint: deps lint-man
	@echo "== cppcheck"
	@cppcheck --std=c11 --enable=warning,portability --inline-suppr --error-exitcode=1 \
		--quiet -I proto -I daemon -I clients -D_GNU_SOURCE \
		-DPROTOBUF_C_VERSION_NUMBER=1004001 -DPROTOBUF_C_MIN_COMPILER_VERSION=1000000 \
		--suppress=missingIncludeSystem $(LINT_SRC)
	@echo "== gcc -fanalyzer"
	@mkdir -p $(B); : > $(B)/analyzer.log; failed=; \
	for f in $(LINT_SRC); do \
		gcc -std=c11 -D_GNU_SOURCE -I. -Iproto -Iclients $(PKG_CFLAGS) $(RENDER_CFLAGS) -fanalyzer -O1 \
			-c $$f -o /dev/null 2>>$(B)/analyzer.log || failed="$$failed $$f"; \
	done; \
	if [ -n "$$failed" ]; then \
		cat $(B)/analyzer.log; echo "gcc -fanalyzer could not compile:$$failed"; exit 1; \
	fi
	@sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: warning: .*\[-W\(analyzer-[a-z-]*\)\]$$/\1: \2/p' \
		$(B)/analyzer.log | sort -u > $(B)/analyzer-findings.txt
	@if [ -s $(B)/analyzer-findings.txt ]; then \
		grep 'warning: .*\[-Wanalyzer-' $(B)/analyzer.log; \
		echo "gcc -fanalyzer findings (their paths are in $(B)/analyzer.log):"; \
		cat $(B)/analyzer-findings.txt; exit 1; \
	fi; \
	echo "analyzer: no findings"
