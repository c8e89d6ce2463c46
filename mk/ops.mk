# Operations checks: the systemd unit's sandbox score and the man pages.
#
#   make check-unit-security [UNIT=file]   systemd-analyze security --offline
#                                          scores UNIT at most UNIT_SECURITY_MAX
#   make check-man                         every page renders without a groff
#                                          warning and names every verb of
#                                          parley and parleyctl and every option
#                                          of parleyd.conf
#   make check-ops                         both; `make check` runs it first
#
# A check whose tool is missing prints a SKIPPED line and does not fail:
# the line is there so that a skip is never taken for a pass.

UNIT              ?= systemd/parleyd.service
UNIT_SECURITY_MAX ?= 1.5
MANPAGES          := man/parley.1 man/parleyd.conf.5 man/parleyd.8 man/parleyctl.8

.PHONY: check-ops check-man check-unit-security

check: check-ops

check-ops: deps
	@$(MAKE) --no-print-directory check-unit-security check-man

check-unit-security:
	@if ! command -v systemd-analyze >/dev/null 2>&1; then \
		echo "SKIPPED: systemd-analyze security $(UNIT): no systemd-analyze" \
			"(Debian package: systemd)"; \
		exit 0; \
	fi; \
	out=$$(systemd-analyze security --offline=true --no-pager $(UNIT) 2>&1); \
	score=$$(printf '%s\n' "$$out" | \
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p'); \
	if [ -z "$$score" ]; then \
		printf '%s\n' "$$out"; \
		echo "FAIL: systemd-analyze security $(UNIT): no score"; exit 1; \
	fi; \
	if awk -v s="$$score" -v m="$(UNIT_SECURITY_MAX)" 'BEGIN { exit !(s + 0 <= m + 0) }'; then \
		echo "systemd-analyze security $(UNIT): exposure $$score (at most $(UNIT_SECURITY_MAX))"; \
	else \
		printf '%s\n' "$$out" | grep '✗'; \
		echo "FAIL: systemd-analyze security $(UNIT): exposure $$score," \
			"above $(UNIT_SECURITY_MAX)"; \
		exit 1; \
	fi

# The verbs come from the programs' own --help (their verb tables), the
# options from parleyd --print-config (the option table): a verb or option
# added there and not documented fails here.
check-man:
	@$(MAKE) --no-print-directory $(BINS)
	@if ! command -v groff >/dev/null 2>&1; then \
		echo "SKIPPED: check-man: no groff (Debian package: groff-base)"; exit 0; \
	fi; \
	rc=0; \
	for f in $(MANPAGES); do \
		w=$$(groff -man -ww -z $$f 2>&1); \
		[ -z "$$w" ] || { echo "FAIL: $$f: groff warnings:"; echo "$$w"; rc=1; }; \
	done; \
	text() { sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\c//g' "$$1"; }; \
	verbs() { sed -n '/^verbs:/,/^$$/s/^  \([a-z][a-z]*\( [a-z][a-z]*\)\{0,1\}\)\( .*\)\{0,1\}$$/\1/p'; }; \
	for v in $$($(B)/parleyctl --help | verbs | tr ' ' '+'); do \
		v=$$(echo "$$v" | tr '+' ' '); \
		text man/parleyctl.8 | grep -qF "$$v" || \
			{ echo "FAIL: man/parleyctl.8 lacks the verb \"$$v\""; rc=1; }; \
	done; \
	for v in $$($(B)/parley --help | verbs | tr ' ' '+'); do \
		v=$$(echo "$$v" | tr '+' ' '); \
		text man/parley.1 | grep -qF "$$v" || \
			{ echo "FAIL: man/parley.1 lacks the verb \"$$v\""; rc=1; }; \
	done; \
	for o in $$($(B)/parleyd --print-config | sed -n 's/^#\([a-z_][a-z_]*\) =.*/\1/p'); do \
		grep -q "^\.BI $$o " man/parleyd.conf.5 || \
			{ echo "FAIL: man/parleyd.conf.5 lacks the option $$o"; rc=1; }; \
	done; \
	for s in $$($(B)/parleyd --print-config | sed -n 's/^\[\([a-z]*\)\]$$/\1/p'); do \
		grep -q "^\.SH \[$$s\]" man/parleyd.conf.5 || \
			{ echo "FAIL: man/parleyd.conf.5 lacks the section [$$s]"; rc=1; }; \
	done; \
	[ $$rc = 0 ] && echo "man pages: no warnings; every verb and option documented"; \
	exit $$rc
