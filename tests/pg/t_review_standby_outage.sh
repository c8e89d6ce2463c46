# Review (promise 7): with the synchronous standby stopped, commits wait;
# the loops keep answering; nothing is lost once the standby is back, and
# the serving daemon goes on serving.  A serves (lease 2 s), B stands by.
# The standby is stopped for 8 s (four leases) while a notice commits.
#  - A's and B's status sockets must answer meanwhile (B's lease attempt, an
#    UPDATE of the row A's waiting transaction holds locked, blocks B's loop
#    once A's lease has expired);
#  - once the standby is back, the notice is acked, and A must still serve
#    (its waiting transaction extended the lease only when it began: its
#    next fence finds it expired and A stops with status 75; B, unblocked,
#    takes the lease: every outage of the standby longer than a lease is a
#    failover, with the requests held meanwhile dropped unanswered).
set -u
C=${PG_CLUSTER:?PG_CLUSTER must name a running cluster directory (tests/pg/cluster.sh)}
# shellcheck disable=SC1091
. "$C/env"
CL=$(cd "$(dirname "$0")" && pwd)/cluster.sh
export PARLEY_TEST_PG="host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley connect_timeout=3"
export PG_LEASE=2s
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
trap '"$CL" start-standby "$C" >/dev/null 2>&1; stop_b; cleanup' EXIT
BROKEN=
broken() { BROKEN="$BROKEN$*
"; echo "BROKEN: $*"; }
setup
enrol baku
make_b
"$BIN/parleyd" -c "$T/b.conf" >>"$T/b.log" 2>&1 &
B_PID=$!
wait_role "$T/status.sock" serving
wait_role "$T/b-status.sock" standby

"$CL" stop-standby "$C" >/dev/null || fail "stop-standby"
printf 'sent while the standby is down' | timeout 60 "$BIN/parleyctl" -s "$T/admin.sock" notice send baku --text - >"$T/n.out" 2>&1 &
NP=$!
for s in 1 2 3 4 5 6 7 8; do
	sleep 1
	a=$(status_of "$T/status.sock") || a=
	b=$(status_of "$T/b-status.sock") || b=
	echo "t=${s}s A: role $(jget "$a" .role 2>/dev/null) waiting $(jget "$a" .store.commit_waiting_ms 2>/dev/null) ms; B: role $(jget "$b" .role 2>/dev/null)"
	[ -n "$a" ] || { broken "A's status socket did not answer within 2 s, ${s} s into the outage"; }
	[ -n "$b" ] || { broken "B's (standby) status socket did not answer within 2 s, ${s} s into the outage"; }
done
"$CL" start-standby "$C" >/dev/null || fail "start-standby"
wait "$NP"; rc=$?
echo "notice send: rc $rc: $(cat "$T/n.out")"
[ $rc = 0 ] || broken "the notice was not acknowledged once the standby was back (rc $rc)"
sleep 3
daemon_alive || { wait "$PARLEYD_PID"; arc=$?; PARLEYD_PID=; broken "A stopped (exit $arc) after the standby came back: $(grep -v migrated "$T/parleyd.log" | tail -n 2)"; }
echo "after: A $(role_of "$T/status.sock"), B $(role_of "$T/b-status.sock")"
if [ $rc = 0 ]; then
	[ "$(pg_sql "SELECT count(*) FROM payload WHERE encode(body, 'escape') LIKE '%standby is down%'")" = 1 ] ||
		broken "the acked notice is not in the record"
fi
[ -z "$BROKEN" ] || fail "$BROKEN"
stop_b
pass
