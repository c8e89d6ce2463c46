# Review (promise 1): no delivery push before PostgreSQL has committed it.
# A party with a backlog larger than its push window fetches and reads
# slowly; the pushes resume each time its output drains (session_drained ->
# delivery_push), which checks only that no local batch is open, not that
# the record is level (turn_busy).  With the synchronous standby stopped, a
# notice commits locally and waits on PostgreSQL; the party reads on and is
# pushed the notice, which PostgreSQL has not committed (a kill -9 and a
# takeover now would lose what the party already holds).
set -u
C=${PG_CLUSTER:?PG_CLUSTER must name a running cluster directory (tests/pg/cluster.sh)}
# shellcheck disable=SC1091
. "$C/env"
CL=$(cd "$(dirname "$0")" && pwd)/cluster.sh
TOOLS=$(cd "$(dirname "$0")" && pwd)/review-tools
export PARLEY_TEST_PG="host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley connect_timeout=3"
# a long lease: its renewals (every third of it, each a commit that waits for
# the standby too) do not hold the notice back before it runs
export PG_LEASE=30s
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
trap '"$CL" start-standby "$C" >/dev/null 2>&1; cleanup' EXIT
cd "$TOOLS/../../.." || exit 1
cc -O2 -std=c11 -D_GNU_SOURCE -pthread -I. -Iproto -Iclients "$TOOLS/slowfetch.c" -o "$T/slowfetch" \
	"$BIN/libparleyclient.a" "$BIN/libparley.a" -levent_openssl -levent -lssl -lcrypto -lprotobuf-c \
	-lsqlite3 -lsystemd -linih -lpq || fail "cannot build slowfetch"
setup
enrol baku
head -c 60000 /dev/zero | tr '\0' 'x' >"$T/big.txt"
for i in $(seq 1 300); do ctl notice send baku --text "$T/big.txt" >/dev/null || fail "notice $i"; done
"$T/slowfetch" "$T/baku/client.conf" "$T/go" "$T/held" MARKER-NOT-YET-DURABLE >"$T/sf.out" 2>&1 &
SF=$!
i=0; until [ -e "$T/held" ]; do i=$((i+1)); [ $i -gt 200 ] && fail "slowfetch: $(cat "$T/sf.out")"; sleep 0.05; done
"$CL" stop-standby "$C" >/dev/null || fail "stop-standby"
printf 'MARKER-NOT-YET-DURABLE' | timeout 60 "$BIN/parleyctl" -s "$T/admin.sock" notice send baku --text - >"$T/n.out" 2>&1 &
NP=$!
wait_commit_waiting "$T/status.sock"
touch "$T/go"
wait "$SF"; sfrc=$?
inpg=$(pg_sql "SELECT count(*) FROM payload WHERE encode(body, 'escape') LIKE '%MARKER-NOT-YET-DURABLE%'")
echo "slowfetch: $(cat "$T/sf.out" | tr '\n' ' '); in PostgreSQL then: $inpg; notice send still waiting: $(kill -0 $NP 2>/dev/null && echo yes || echo no)"
"$CL" start-standby "$C" >/dev/null || fail "start-standby"
wait "$NP"
[ $sfrc = 0 ] && [ "$inpg" = 0 ] &&
	fail "the party was pushed a delivery that PostgreSQL had not committed: $(cat "$T/sf.out")"

pass
