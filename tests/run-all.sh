#!/bin/bash
# make check: unit and integration tests, then the same again built with
# ASan+UBSan (LSan on).  Closes with the combined "N passed, N failed".
cd "$(dirname "$0")/.." || exit 2
set -o pipefail
rc=0
tests/run-unit.sh build | tee /tmp/parley-check-unit.log || rc=1
tests/run-integration.sh build | tee /tmp/parley-check-int.log || rc=1
p=$(sed -n 's/^[a-z]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' /tmp/parley-check-*.log | awk '{p+=$1; f+=$2} END {print p+0, f+0}')
echo "$p" | awk '{print $1 " passed, " $2 " failed"}'
exit $rc
