#!/bin/sh
# Run every unit test binary in $1/tests (cmocka prints its own summary per
# binary); closes with "N passed, N failed" counted over the binaries.
# Finding no test binary at all is a failure, not a vacuous pass.
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
pass=0; fail=0
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $(basename "$t")"; fi
done
if [ $((pass + fail)) = 0 ]; then
	case $B in /*) d=$B/tests ;; *) d=$(pwd)/$B/tests ;; esac
	echo "unit: no test binaries (executable test_*) found in $d" >&2
	exit 1
fi
echo "unit: $pass passed, $fail failed"
[ $fail = 0 ]
