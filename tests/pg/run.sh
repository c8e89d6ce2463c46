#!/bin/bash
# make check-pg: the integration suite again with the record in PostgreSQL
# (a primary with a synchronous standby, tests/pg/cluster.sh, on loopback
# in a directory of this run's own), then the failover scenarios
# (tests/pg/t_review_*.sh, then tests/pg/t_failover.sh).  Everything it started is stopped by process
# id, on success and on failure.  Needs root: the servers run as the
# postgres user.  Closes with "pg-integration: ..." and "pg-failover: ..."
# lines in the form tests/run-all.sh adds up.
B=${1:-build}
set -o pipefail
cd "$(dirname "$0")/../.." || exit 2
if [ "$(id -u)" != 0 ]; then
	echo "check-pg: run as root (the PostgreSQL servers run as the postgres user)" >&2
	exit 2
fi
C=$(mktemp -d /tmp/pgc.XXXXXX) || exit 2
stop() {
	tests/pg/cluster.sh stop "$C" >/dev/null 2>&1
	rm -rf "$C"
}
trap stop EXIT
trap 'exit 130' INT TERM
start=$(date +%s)
if ! tests/pg/cluster.sh start "$C" >"$C.start.log" 2>&1; then
	cat "$C.start.log" >&2
	rm -f "$C.start.log"
	echo "pg-integration: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
rm -f "$C.start.log"
# shellcheck disable=SC1091
. "$C/env"
echo "== PostgreSQL primary :$PG_PRIMARY_PORT, synchronous standby :$PG_STANDBY_PORT" \
	"(up in $(( $(date +%s) - start ))s): $(tests/pg/cluster.sh status "$C" | tr '\n' ' ')"
rc=0
export PARLEY_TEST_PG="host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley"
tests/run-integration.sh "$B" | sed 's/^integration:/pg-integration:/' || rc=1
# The scenarios of two daemons on one record, on the same cluster: the
# review's (a standby stopped and started, settings reloaded: each leaves
# the cluster as it found it), then t_failover, which kills the primary
# and promotes the standby, last.
fpass=0 ffail=0
for t in tests/pg/t_review_*.sh tests/pg/t_failover.sh; do
	n=$(basename "$t" .sh)
	s=$(date +%s)
	if BIN=$B PG_CLUSTER=$C timeout 600 bash "$t" >"$C/$n.out" 2>&1; then
		fpass=$((fpass + 1))
		echo "PASS $n ($(( $(date +%s) - s ))s)"
		[ "$n" = t_failover ] && grep '^failover:' "$C/$n.out" | sed 's/^/    /'
	else
		ffail=$((ffail + 1))
		echo "FAIL $n"
		sed 's/^/    /' "$C/$n.out" | tail -n 60
		rc=1
	fi
done
echo "pg-failover: $fpass passed, $ffail failed, 0 skipped"
exit $rc
