#!/bin/sh
# make fuzz: run.sh BUILD-DIR SECONDS JOBS TARGET...
# Runs each libFuzzer harness BUILD-DIR/fuzz/fuzz_TARGET for SECONDS on a
# fresh copy of tests/fuzz/corpus/TARGET, in fork mode (JOBS workers) with
# crashes ignored, so that every target gets its full time even when it
# keeps finding the same bug.  Then it runs each crash again to group them
# by the first line of their report, and prints
# one table: executions (libFuzzer's own count, from its last status line
# or its closing "Done N runs"), wall time, corpus size, crashes.
# $FUZZ_FLAGS is passed to libFuzzer.  Exit 1 if anything crashed.
B=$1 secs=$2 jobs=$3
shift 3
cd "$(dirname "$0")/../.." || exit 2
run=$B/fuzz/run
rm -rf "$run"
mkdir -p "$run"
export ASAN_OPTIONS=detect_leaks=1:symbolize=1
# The suppressions concern protobuf-c only when it is compiled in
# (PROTOBUF_C_SRC); with Debian's library they match nothing.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions="$PWD"/tests/fuzz/ubsan-protobuf-c.supp
table=$run/table
triage=$run/triage
printf '%-10s %12s %8s %10s %7s %8s\n' target executions seconds exec/s corpus crashes >"$table"
: >"$triage"
rc=0
for t in "$@"; do
	d=$run/$t
	mkdir -p "$d/corpus" "$d/artifacts"
	[ -d "tests/fuzz/corpus/$t" ] && cp "tests/fuzz/corpus/$t"/* "$d/corpus/"
	echo "fuzz: $t for ${secs}s (log: $d/log)"
	start=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$B/fuzz/fuzz_$t" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 \
		-ignore_ooms=1 -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$d/artifacts/" $FUZZ_FLAGS "$d/corpus" >"$d/log" 2>&1
	secs_used=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
	runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$d/log" | tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\)[:	 ].*cov: .*/\1/p' "$d/log" | tail -n 1)
	ncorp=$(find "$d/corpus" -type f | wc -l)
	ncrash=$(find "$d/artifacts" -type f | wc -l)
	printf '%-10s %12s %8s %10s %7s %8s\n' "$t" "${runs:-?}" "$secs_used" \
		"$(echo "${runs:-0} $secs_used" | awk '$2 > 0 {printf "%d", $1 / $2}')" \
		"$ncorp" "$ncrash" >>"$table"
	[ "$ncrash" = 0 ] && continue
	rc=1
	# One line per distinct failure: the check or sanitizer message it hit.
	for f in "$d"/artifacts/*; do
		sig=$("$B/fuzz/fuzz_$t" "$f" 2>&1 |
			grep -m 1 -E 'property violated|runtime error|ERROR: ' |
			sed -e 's/^==[0-9]*==//' -e 's/0x[0-9a-f]*/0x.../g')
		echo "${sig:-does not reproduce}	$f"
	done 2>/dev/null | sort | awk -F '\t' -v t="$t" '
		{ n[$1]++; if (!($1 in ex)) ex[$1] = $2 }
		END { for (s in n) printf "%s: %d x %s\n    e.g. %s\n", t, n[s], s, ex[s] }' \
		>>"$triage"
done
echo
cat "$table"
if [ -s "$triage" ]; then
	echo
	echo "crashes, grouped (inputs in $run/TARGET/artifacts/):"
	cat "$triage"
fi
exit $rc
