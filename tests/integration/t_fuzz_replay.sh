#!/bin/bash
# Every fuzz seed and every saved crasher through every fuzz harness, built
# with the ordinary compiler under ASan+UBSan (make fuzz-replay,
# tests/fuzz/README.md).  Needs no daemon: BIN is not used.
cd "$(dirname "$0")/../.." || exit 2
if ! out=$(make -s fuzz-replay 2>&1); then
	echo "$out"
	echo "FAIL: make fuzz-replay"
	exit 1
fi
echo "$out" | grep '^fuzz-replay: '
echo "ok"
exit 0
