#!/bin/bash
# make check: unit and integration tests, then the same again built with
# ASan+UBSan (LSan on).  Closes with the combined "N passed, N failed".
cd "$(dirname "$0")/.." || exit 2
set -o pipefail
rc=0
# Logs in a directory of this run's own: two checks at once must not mix.
L=$(mktemp -d /tmp/parley-check.XXXXXX) || exit 2
trap 'rm -rf "$L"' EXIT
tests/run-unit.sh build | tee $L/unit.log || rc=1
tests/run-integration.sh build | tee $L/int.log || rc=1
# make check-pg: the suite with the record in PostgreSQL, and failover
echo "== the integration suite with the record in PostgreSQL, then failover"
tests/pg/run.sh build | tee $L/pg.log || rc=1
echo "== the same again, built with ASan+UBSan (LSan on)"
make --no-print-directory -j"$(nproc)" SAN=1 all >$L/san-build.log 2>&1 ||
	{ tail -n 30 $L/san-build.log; rc=1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0
tests/run-unit.sh build-san | sed 's/^unit:/unit-san:/' | tee $L/unit-san.log || rc=1
tests/run-integration.sh build-san | sed 's/^integration:/integration-san:/' | tee $L/int-san.log || rc=1
p=$(sed -n 's/^[a-z-]*: \([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}$/\1 \2 \4/p' \
	$L/*.log | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
echo "$p" | awk '{print $1 " passed, " $2 " failed, " $3 " skipped"}'
exit $rc
