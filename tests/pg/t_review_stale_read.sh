# Review (promise 2): a daemon paused past its lease must never answer from
# its stale working copy.  A serves, B stands by; A is SIGSTOPped until B
# serves; B records a change (a new party); a read-only admin request
# (party list) is queued on A's admin socket; A is resumed.  A must not
# answer at all (it lost the record: exit 75), and certainly not with a list
# that lacks the party B added.
set -u
C=${PG_CLUSTER:?PG_CLUSTER must name a running cluster directory (tests/pg/cluster.sh)}
# shellcheck disable=SC1091
. "$C/env"
export PARLEY_TEST_PG="host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley connect_timeout=3"
export PG_LEASE=${PG_LEASE:-30s}
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
trap 'kill -CONT "${PARLEYD_PID:-0}" 2>/dev/null; stop_b; cleanup' EXIT
setup
make_b
ctl party add early --name "Early" >/dev/null || fail "party add early"
"$BIN/parleyd" -c "$T/b.conf" >>"$T/b.log" 2>&1 &
B_PID=$!
wait_role "$T/status.sock" serving
wait_role "$T/b-status.sock" standby

A=$PARLEYD_PID
# ---- 1. A's connection to PostgreSQL dies (an administrator's
# pg_terminate_backend, a restart of the server, a proxy dropping it): B
# takes over at once (the holder's backend is gone); A notices only at its
# next fence.  Meanwhile it must not answer reads from its copy.
hp=$(pg_sql "SELECT holder_pid FROM parley_lease")
pg_sql "SELECT pg_terminate_backend($hp)" >/dev/null
wait_role "$T/b-status.sock" serving
"$BIN/parleyctl" -s "$T/b-admin.sock" party add gone --name "Gone" >/dev/null || fail "party add gone on B"
if out=$(timeout 5 "$BIN/parleyctl" -s "$T/admin.sock" --json party list 2>&1); then
	echo "$out" | grep -q '"gone"' ||
		BROKEN="${BROKEN:-}1. A (its connection to the record gone, B serving) answered from its stale copy: no party 'gone': $out
"
fi
wait "$A"; PARLEYD_PID=

# ---- 2. B (serving, lease now 2 s) is paused past its lease with an admin
# connection already open; A takes over and records a party; a read-only
# request (party list) reaches the paused B; B resumes.  Every request
# opens a batch, so a read-only turn counts as "shipped" and skips the
# freshness check (turn_flush): B answers from its stale copy before its
# own fence fails.
stop_b
sed -i 's/^lease = .*/lease = 2s/' "$T/parleyd.conf" "$T/b.conf"
"$BIN/parleyd" -c "$T/b.conf" >>"$T/b.log" 2>&1 &
B_PID=$!
wait_role "$T/b-status.sock" serving
"$BIN/parleyd" -c "$T/parleyd.conf" >>"$T/parleyd.log" 2>&1 &
PARLEYD_PID=$!
wait_role "$T/status.sock" standby
TOOLS=$(cd "$(dirname "$0")" && pwd)/review-tools
# the bytes of "parleyctl party list": captured through a proxy
timeout 20 python3 "$TOOLS/proxy.py" "$T/proxy.sock" "$T/b-admin.sock" "$T/chunks" &
PX=$!
i=0; until [ -S "$T/proxy.sock" ]; do i=$((i+1)); [ $i -gt 100 ] && fail "no proxy"; sleep 0.05; done
"$BIN/parleyctl" -s "$T/proxy.sock" --json party list >/dev/null || fail "party list through the proxy"
wait "$PX" 2>/dev/null
timeout 60 python3 "$TOOLS/replay.py" "$T/b-admin.sock" "$T/chunks" "$T/go" >"$T/replay.out" 2>&1 &
RP=$!
i=0; until [ -e "$T/go.ready" ]; do i=$((i+1)); [ $i -gt 200 ] && fail "replay not connected: $(cat "$T/replay.out")"; sleep 0.05; done
kill -STOP "$B_PID"
wait_role "$T/status.sock" serving
ctl party add paused --name "Paused" >/dev/null || fail "party add paused on A"
touch "$T/go"
# the request is in B's socket before B runs again
i=0; until [ -e "$T/go.sent" ]; do i=$((i+1)); [ $i -gt 200 ] && fail "replay did not send"; sleep 0.05; done
kill -CONT "$B_PID"
wait "$B_PID"; brc=$?; B_PID=
wait "$RP"
echo "2. B exited $brc; the replayed party list got: $(head -c 300 "$T/replay.out" | tr '\n' ' ')"
if grep -q "^reply: b'..*parties" "$T/replay.out"; then
	grep -q paused "$T/replay.out" ||
		BROKEN="${BROKEN:-}2. B, paused past its lease, answered a read from its stale copy (no party 'paused', which A added): $(cat "$T/replay.out")
"
fi
[ "$brc" = 75 ] || fail "B exited $brc, expected 75"
[ -z "${BROKEN:-}" ] || fail "$BROKEN"
pass
