# Review (promise 6, and shutdown): a standby keeps its listener and admin
# socket closed, says "standby", and stops cleanly (status 0) on SIGTERM.
# tear_down() runs on a daemon that never ran start_modules(): gate_summarise
# dereferences the gate it never made (SIGSEGV, status 139).
set -u
C=${PG_CLUSTER:?PG_CLUSTER must name a running cluster directory (tests/pg/cluster.sh)}
# shellcheck disable=SC1091
. "$C/env"
export PARLEY_TEST_PG="host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley connect_timeout=3"
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
B_PID=
trap '[ -n "$B_PID" ] && kill -TERM "$B_PID" 2>/dev/null; cleanup' EXIT
setup
make_b
"$BIN/parleyd" -c "$T/b.conf" >>"$T/b.log" 2>&1 &
B_PID=$!
i=0
until [ "$(curl -s --max-time 2 --unix-socket "$T/b-status.sock" http://x/status | jq -r .role 2>/dev/null)" = standby ]; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "B never said standby"; sleep 0.05
done
[ -e "$T/b-admin.sock" ] && fail "the standby's admin socket exists"
ss -ltn | grep -q "127.0.0.1:$PORT2 " && fail "the standby listens on $PORT2"
kill -TERM "$B_PID"
wait "$B_PID"; brc=$?; B_PID=
[ "$brc" = 0 ] || fail "the standby exited $brc on SIGTERM, expected 0: $(tail -n 3 "$T/b.log")"
pass
