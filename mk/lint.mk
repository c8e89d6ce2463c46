# make lint: cppcheck (no findings allowed) and gcc -fanalyzer, whose
# findings must be in tests/lint/analyzer-known.txt: each line there is a
# reviewed false positive of gcc 12's analyzer, "file: warning-kind", with
# the reason beside it.  A new finding fails the target.

LINT_SRC := $(filter-out proto/parley.pb-c.c,$(wildcard proto/*.c daemon/*.c clients/*.c))

.PHONY: lint
lint:
	@echo "== cppcheck"
	@cppcheck --std=c11 --enable=warning,portability --inline-suppr --error-exitcode=1 \
		--quiet -I proto -I daemon -I clients -D_GNU_SOURCE \
		-DPROTOBUF_C_VERSION_NUMBER=1004001 -DPROTOBUF_C_MIN_COMPILER_VERSION=1000000 \
		--suppress=missingIncludeSystem $(LINT_SRC)
	@echo "== gcc -fanalyzer"
	@for f in $(LINT_SRC); do \
		gcc -std=c11 -D_GNU_SOURCE -I. -Iproto -Iclients $(PKG_CFLAGS) -fanalyzer -O1 \
			-c $$f -o /dev/null 2>&1 | \
			sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: warning: .*\[-W\(analyzer-[a-z-]*\)\]$$/\1: \2/p'; \
	done | sort -u > $(B)/analyzer-findings.txt
	@sed 's/ *#.*//; /^$$/d' tests/lint/analyzer-known.txt | sort -u > $(B)/analyzer-known.txt
	@new=$$(comm -23 $(B)/analyzer-findings.txt $(B)/analyzer-known.txt); \
	if [ -n "$$new" ]; then echo "new analyzer findings:"; echo "$$new"; exit 1; fi; \
	echo "analyzer: $$(wc -l < $(B)/analyzer-findings.txt) known false positives, nothing new"
