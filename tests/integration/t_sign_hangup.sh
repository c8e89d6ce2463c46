# Signed copies are checked on worker threads while their request waits; a
# party that sends copies and hangs up before the answers (often while a
# check is out) changes nothing but what a whole request does: at most one
# valid copy, no copy for a bad signature, the daemon serving on, and
# (under the sanitizers) nothing leaked or used after it was freed when it
# stops.  On one CPU there are no workers and the same must hold.
. "$(dirname "$0")/lib.sh"
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
enrol baku
enrol yerevan
A=$(jget "$(ctl --json agreement create --title T --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$A"
workers=$(sed -n 's/.*signatures are checked on \([0-9]*\) worker.*/\1/p' "$T/parleyd.log" | tail -n 1)

# Bad signatures first: nothing may come of them.
for i in $(seq 30); do ptool sign "$T/baku/client.conf" "$A" --flip-sig --burst 8 >/dev/null 2>&1; done
[ "$(db "SELECT count(*) FROM copy")" = 0 ] || fail "a bad signature left a copy"
grep -q "bad signature from baku" "$T/parleyd.log" || fail "no bad signature was checked before the hang-ups"
expect_rc 0 ctl status

# Good ones: one valid copy, however many were sent and hung up on.
for i in $(seq 30); do ptool sign "$T/baku/client.conf" "$A" --burst 8 >/dev/null 2>&1; done
[ "$(db "SELECT count(*) FROM copy WHERE status = 'valid'")" = 1 ] ||
	fail "not exactly one valid copy of baku's: $(db "SELECT count(*) FROM copy")"
expect_out "already signed" as baku sign "$A" --yes

# The agreement still releases, and the bundle verifies offline.
expect_out "is released" as yerevan sign "$A" --yes
expect_rc 0 ctl agreement export "$A" "$T/export"
expect_out "verifies" "$BIN/parley" verify "$T/export" --mediator-key "$MEDIATOR_PUB"
stop_daemon		# exit 0: under the sanitizers, nothing leaked

# Stopped while copies keep coming (a check may be out as it stops): a
# clean exit all the same, and the store whole.
start_daemon
B=$(jget "$(ctl --json agreement create --title U --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$B"
( for i in $(seq 20); do ptool sign "$T/baku/client.conf" "$B" --burst 8 >/dev/null 2>&1; done ) &
burst=$!
while [ "$(db "SELECT count(*) FROM copy WHERE agreement_id = $B")" = 0 ]; do
	kill -0 "$burst" 2>/dev/null || break
	sleep 0.01
done
stop_daemon
wait "$burst"
[ "$(db "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
[ "$(db "SELECT count(*) FROM copy WHERE agreement_id = $B AND status = 'valid'")" -le 1 ] ||
	fail "more than one valid copy"
echo "hang-ups: 60 x 8 copies sent unanswered, then a stop under 20 x 8; signature workers: ${workers:-0}"
pass
