#!/bin/sh
# Run every tests/integration/t_*.sh against the binaries in $1 (build/).
# Prints one line per test and a closing "N passed, N failed" line.
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
pass=0; fail=0; skip=0; failed=""
O=$(mktemp -d /tmp/parley-integration.XXXXXX) || exit 2
trap 'rm -rf "$O"' EXIT
for t in tests/integration/t_*.sh; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	BIN=$B timeout 300 bash "$t" >"$O/$name.out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
	elif [ $rc = 77 ]; then
		skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$O/$name.out")"
	else
		fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name"
		sed 's/^/    /' "$O/$name.out" | tail -n 60
	fi
	rm -f "$O/$name.out"
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
