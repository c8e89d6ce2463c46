#!/bin/sh
# Run every unit test binary in $1/tests (cmocka prints its own summary per
# binary); closes with "N passed, N failed" counted over the binaries.
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
pass=0; fail=0
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $(basename "$t")"; fi
done
echo "unit: $pass passed, $fail failed"
[ $fail = 0 ]
