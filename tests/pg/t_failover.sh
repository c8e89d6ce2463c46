# Failover with the record in PostgreSQL (issue 24): two parleyd, A and B,
# share one database on a primary with a synchronous standby
# (tests/pg/cluster.sh, PG_CLUSTER); one serves, the other stands by.
#   1. kill -9 the serving daemon while a copy is being signed: the other
#      takes over, the clients (client.conf listing both) go on with it,
#      no acked copy is lost and the agreement is released once;
#   2. SIGSTOP the serving daemon past its lease: the other takes over;
#      resumed, the paused one commits nothing and stops (exit 75), and a
#      request it read meanwhile is neither answered nor kept;
#   3. kill -9 the PostgreSQL primary: the daemon stops (it cannot commit);
#      the standby is promoted, parleyd serves from it, and every acked
#      copy is there; the record's consistency check spans it all.
# Run by tests/pg/run.sh (make check-pg).
set -u
C=${PG_CLUSTER:?PG_CLUSTER must name a running cluster directory (tests/pg/cluster.sh)}
# shellcheck disable=SC1091
. "$C/env"
CL=$(cd "$(dirname "$0")" && pwd)/cluster.sh
# Both hosts of the cluster, the writable one first found: a daemon
# (re)started after the promotion finds the new primary by itself.
export PARLEY_TEST_PG="host=127.0.0.1,127.0.0.1 port=$PG_PRIMARY_PORT,$PG_STANDBY_PORT user=parley target_session_attrs=read-write connect_timeout=3"
export PG_LEASE=2s
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
trap 'stop_b; cleanup' EXIT

rec_count() { pg_sql "$1"; }

# A crashes as the second copy is accepted, before its commit (scenario 1)
export PARLEYD_CRASH_AT=copy-accepted:2
setup
unset PARLEYD_CRASH_AT
# The second daemon: its own state directory holding the same keys (the
# mediator's and the server's: the parties pin one certificate), its own
# sockets and port, the same record.
make_b
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan stepanakert; do enrol $p; done
for p in baku yerevan stepanakert; do
	sed -i "s|^server = .*|server = 127.0.0.1:$PORT, 127.0.0.1:$PORT2|" "$T/$p/client.conf"
done
start_b
wait_role "$T/status.sock" serving
wait_role "$T/b-status.sock" standby
echo "failover: A serves, B stands by ($(jget "$(status_of "$T/b-status.sock")" .store.serving_daemon) serves;" \
	"replication: $(jget "$(status_of "$T/status.sock")" .store.replication))"

bctl() { "$BIN/parleyctl" -s "$T/admin.sock,$T/b-admin.sock" "$@"; }
fired() { rec_count "SELECT count(*) FROM timer WHERE fired_at IS NOT NULL AND agreement_id = $A1"; }
# baku keeps watch throughout, with both addresses
as baku watch >"$T/watch.out" 2>&1 &
WATCH=$!

# ---- 1. kill -9 A in the middle of signing, with a timer between
ctl clock set 1994-09-01T12:00:00+04:00 >/dev/null
A1=$(jget "$(ctl --json agreement create --title "Ceasefire" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan,stepanakert --sign-by 1994-09-03T12:00:00+04:00)" .id)
ctl agreement circulate "$A1" >/dev/null || fail "circulate"
expect_out "signed" as baku sign "$A1" --yes
# the 24 h reminder fires on A
ctl clock set 1994-09-02T13:00:00+04:00 >/dev/null
[ "$(fired)" = 1 ] || fail "expected the 24 h reminder fired once: $(fired)"
[ "$(rec_count "SELECT count(*) FROM copy WHERE agreement_id = $A1 AND status = 'valid'")" = 1 ] ||
	fail "baku's acked copy is not in the record"
# yerevan's copy is in flight when A dies: A crashes as that copy is
# accepted, before its commit (PARLEYD_CRASH_AT), so yerevan is never told
t0=$(date +%s%N)
as yerevan sign "$A1" --yes >"$T/y1.out" 2>&1 && fail "yerevan was told its copy was taken by a daemon that died: $(cat "$T/y1.out")"
wait "$PARLEYD_PID" 2>/dev/null; PARLEYD_PID=
wait_role "$T/b-status.sock" serving
t1=$(date +%s%N)
echo "failover: A killed as yerevan's copy was accepted; B serves $(( (t1 - t0) / 1000000 )) ms later" \
	"(lease epoch $(jget "$(status_of "$T/b-status.sock")" .store.lease_epoch))"
# the timer A fired does not fire again; the next one fires on B, once
[ "$(fired)" = 1 ] || fail "after the takeover $(fired) timers fired, expected 1"
bctl clock set 1994-09-03T11:30:00+04:00 >/dev/null || fail "clock on B"
[ "$(fired)" = 2 ] || fail "the 1 h reminder on B: $(fired) timers fired, expected 2"
echo "failover: a timer fired before the takeover did not fire again; the next fired once, on B"
# the clients go on with B (A's address first in their list, refused)
expect_out "signed" as yerevan sign "$A1" --yes
expect_out "released" as stepanakert sign "$A1" --yes
[ "$(rec_count "SELECT count(*) FROM copy WHERE agreement_id = $A1 AND status = 'valid'")" = 3 ] ||
	fail "the record has not the three copies"
[ "$(rec_count "SELECT count(*) FROM journal WHERE kind = 'released' AND agreement_id = $A1")" = 1 ] ||
	fail "agreement $A1 released $(rec_count "SELECT count(*) FROM journal WHERE kind = 'released'") times"
expect_out "in_force" as baku status "$A1"
echo "failover: no acked copy lost, agreement $A1 released once, after the takeover"
# baku's watch went on with B and received the release there
i=0
until grep -q "at 127.0.0.1:$PORT2" "$T/watch.out" && [ "$(rec_count "SELECT count(*) FROM delivery d
	JOIN endpoint e ON e.id = d.endpoint_id JOIN party p ON p.id = e.party_id JOIN message m ON m.id = d.message_id
	WHERE p.code = 'baku' AND m.agreement_id = $A1 AND m.kind = 'release' AND d.acked_at IS NOT NULL")" = 1 ]; do
	i=$((i + 1)); [ $i -gt 600 ] && fail "baku's watch did not take the release from B: $(tail -n 5 "$T/watch.out")"
	sleep 0.05
done
kill "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null
echo "failover: baku's watch went on with B ($(grep -c 'on duty as baku' "$T/watch.out") times on duty) and acked the release"

# ---- 2. SIGSTOP B (serving) past its lease
start_daemon_standby() {
	"$BIN/parleyd" -c "$T/parleyd.conf" >>"$T/parleyd.log" 2>&1 &
	PARLEYD_PID=$!
}
start_daemon_standby
wait_role "$T/status.sock" standby
kill -STOP "$B_PID"
t0=$(date +%s%N)
wait_role "$T/status.sock" serving
t1=$(date +%s%N)
echo "failover: B paused; A serves $(( (t1 - t0) / 1000000 )) ms later (lease 2 s)"
# a request B reads when it resumes: a notice that must never be kept
printf "%s" "from the paused daemon" | "$BIN/parleyctl" -s "$T/b-admin.sock" notice send baku --text - \
	>"$T/paused.out" 2>&1 &
PAUSED_CTL=$!
printf "%s" "from the serving daemon" | expect_rc 0 ctl notice send baku --text -
kill -CONT "$B_PID"
wait "$B_PID"; brc=$?; B_PID=
[ "$brc" = 75 ] || fail "the resumed daemon exited $brc, expected 75 (lost the record): $(tail -n 5 "$T/b.log")"
wait "$PAUSED_CTL" && fail "the paused daemon answered: $(cat "$T/paused.out")"
grep -q "no longer holds the lease" "$T/b.log" || fail "B did not say why it stopped: $(tail -n 5 "$T/b.log")"
[ "$(rec_count "SELECT count(*) FROM payload WHERE encode(body, 'escape') LIKE '%paused daemon%'")" = 0 ] ||
	fail "the paused daemon's notice is in the record"
[ "$(rec_count "SELECT count(*) FROM payload WHERE encode(body, 'escape') LIKE '%serving daemon%'")" = 1 ] ||
	fail "the serving daemon's notice is not in the record"
echo "failover: resumed, B committed nothing and stopped (exit 75): $(grep -o 'no longer holds the lease.*' "$T/b.log" | head -1)"

# ---- 3. kill -9 the PostgreSQL primary, promote the standby
A2=$(jget "$(ctl --json agreement create --title "Protocol" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan)" .id)
ctl agreement circulate "$A2" >/dev/null || fail "circulate $A2"
expect_out "signed" as baku sign "$A2" --yes
"$CL" kill-primary "$C" >/dev/null || fail "kill-primary"
# A cannot commit any more: it stops on its next commit or lease renewal
i=0
while daemon_alive; do
	i=$((i + 1)); [ $i -gt 600 ] && fail "parleyd still runs 30 s after the primary died"
	sleep 0.05
done
wait "$PARLEYD_PID"; arc=$?; PARLEYD_PID=
[ "$arc" = 75 ] || fail "parleyd exited $arc after the primary died, expected 75"
"$CL" promote "$C" >/dev/null || fail "promote"
start_daemon
wait_role "$T/status.sock" serving
[ "$(rec_count "SELECT count(*) FROM copy WHERE agreement_id = $A2 AND status = 'valid'")" = 1 ] ||
	fail "baku's acked copy of $A2 was lost with the primary"
expect_out "released" as yerevan sign "$A2" --yes
out=$(ctl --json journal verify) || fail "journal verify: $out"
[ "$(jget "$out" .ok)" = true ] || fail "the record does not verify across the takeovers: $out"
expect_rc 0 as baku status "$A1"
echo "failover: primary killed, standby promoted; every acked copy there, agreement $A2 released;" \
	"the record verifies ($(jget "$out" .entries) entries) and baku's checkpoint is consistent with it"
pass
