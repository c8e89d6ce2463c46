#!/bin/sh
# make fuzz-replay: replay.sh BUILD-DIR TARGET...
# Every corpus and crasher file through every harness, with the replay
# builds in BUILD-DIR/fuzz-replay/ (no libFuzzer).  One process per
# harness for all the inputs; a failure prints the harness's last input and
# the end of its log.
#
# A crasher whose name starts with "open-" records a bug that is known and
# not yet fixed: it runs alone through its own harness only and must still
# fail there (reported as xfail).  Once it passes, the bug is fixed and the
# run fails until the file is renamed without "open-", which turns it into
# a regression input for every harness.
B=$1
shift
cd "$(dirname "$0")/../.." || exit 2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
inputs=$(find tests/fuzz/corpus tests/fuzz/crashers -type f ! -name .gitkeep \
	! -name 'open-*' | LC_ALL=C sort)
n=$(echo "$inputs" | grep -c .)
fail=0
for t in "$@"; do
	bin=$B/fuzz-replay/fuzz_$t
	log=$B/fuzz-replay/$t.log
	# shellcheck disable=SC2086
	if "$bin" $inputs >"$log" 2>&1; then
		msg="$n inputs ok"
	else
		echo "fuzz-replay: $t: FAILED on $(grep '^replay: ' "$log" | tail -n 1 |
			sed 's/^replay: //')"
		tail -n 40 "$log" | sed 's/^/    /'
		fail=1
		continue
	fi
	xfail=0
	for f in tests/fuzz/crashers/"$t"/open-*; do
		[ -f "$f" ] || continue
		if "$bin" "$f" >"$log.open" 2>&1; then
			echo "fuzz-replay: $t: $f passes now: the bug is fixed;" \
				"rename the file without \"open-\""
			fail=1
		else
			xfail=$((xfail + 1))
		fi
	done
	rm -f "$log.open"
	[ $xfail = 0 ] || msg="$msg, $xfail known open crasher(s) still fail (xfail)"
	echo "fuzz-replay: $t: $msg"
done
exit $fail
