# Review (shutdown while a commit is out): with the synchronous standby
# stopped, a notice's commit waits on PostgreSQL; parleyd gets SIGTERM.  It
# must stop within a bound (drain() gives the record 10 s), not hang: the
# commit thread sits in PQexec with no timeout and pgrec_free joins it.
set -u
C=${PG_CLUSTER:?PG_CLUSTER must name a running cluster directory (tests/pg/cluster.sh)}
# shellcheck disable=SC1091
. "$C/env"
CL=$(cd "$(dirname "$0")" && pwd)/cluster.sh
export PARLEY_TEST_PG="host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley connect_timeout=3"
export PG_LEASE=30s
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
trap '"$CL" start-standby "$C" >/dev/null 2>&1; [ -n "$PARLEYD_PID" ] && kill -9 "$PARLEYD_PID" 2>/dev/null; cleanup' EXIT
setup
enrol baku
"$CL" stop-standby "$C" >/dev/null || fail "stop-standby"
printf 'sent before SIGTERM' | timeout 60 "$BIN/parleyctl" -s "$T/admin.sock" notice send baku --text - >"$T/n.out" 2>&1 &
NP=$!
wait_commit_waiting "$T/status.sock"
t0=$(date +%s)
kill -TERM "$PARLEYD_PID"
i=0
while daemon_alive && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if daemon_alive; then
	echo "parleyd still runs $(( $(date +%s) - t0 )) s after SIGTERM; its threads:"
	grep -h "^Name\|^State" /proc/"$PARLEYD_PID"/task/*/status | paste - - | sort | uniq -c
	kill -9 "$PARLEYD_PID"; wait "$PARLEYD_PID" 2>/dev/null; PARLEYD_PID=
	"$CL" start-standby "$C" >/dev/null
	wait "$NP"
	fail "parleyd did not stop within 30 s of SIGTERM while a commit waited on the standby"
fi
wait "$PARLEYD_PID"; rc=$?; PARLEYD_PID=
echo "parleyd stopped $(( $(date +%s) - t0 )) s after SIGTERM, status $rc"
"$CL" start-standby "$C" >/dev/null || fail "start-standby"
wait "$NP"
pass
