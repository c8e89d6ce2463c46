# A notice sent while an endpoint is offline arrives when it connects; every
# endpoint of a party gets it; acks are recorded per endpoint; a repeated
# fetch returns nothing already acked; a notice to all is for every party.
. "$(dirname "$0")/lib.sh"
setup
enrol baku
enrol yerevan
# a second endpoint (duty station) for baku
new_endpoint baku2
ctl endpoint add baku --cert "$T/baku2/endpoint.crt" >/dev/null || fail "second endpoint"

out=$(printf "%s" "Dec 17: reminders to baku" | ctl --json notice send baku --text -)
id=$(jget "$out" .id)
[ "$id" -ge 1 ] || fail "notice send has no id: $out"

# nothing acked yet: both endpoints pending
out=$(ctl --json notice list)
[ "$(jget "$out" "[.messages[] | select(.id == $id) | .deliveries[] | select(.acked_at == null)] | length")" = 2 ] \
	|| fail "expected 2 pending deliveries: $out"

# first endpoint connects and receives it
out=$(as baku --json inbox) || fail "inbox failed"
[ "$(jget "$out" '.count')" = 1 ] || fail "baku inbox: $out"
[ "$(jget "$out" '.deliveries[0].text')" = "Dec 17: reminders to baku" ] || fail "text: $out"
# the other party received nothing
out=$(as yerevan --json inbox)
[ "$(jget "$out" '.count')" = 0 ] || fail "yerevan got baku's notice: $out"
# the second endpoint of baku gets its own copy
out=$("$BIN/parley" -c "$T/baku2/client.conf" --json inbox)
[ "$(jget "$out" '.count')" = 1 ] || fail "baku2 inbox: $out"
# acked by both, with times
out=$(ctl --json notice list)
[ "$(jget "$out" "[.messages[] | select(.id == $id) | .deliveries[] | select(.acked_at != null)] | length")" = 2 ] \
	|| fail "expected 2 acks: $out"
# fetching again returns nothing: acked deliveries are not sent again
out=$(as baku --json inbox)
[ "$(jget "$out" '.count')" = 0 ] || fail "acked notice came back: $out"
# acking again is answered Ok and changes nothing: not the ack time, not
# the record (one receipt entry per delivery)
list=$(ctl --json notice list)
did=$(jget "$list" "[.messages[] | select(.id == $id) | .deliveries[] | select(.endpoint != null)][0].delivery")
receipts() { db "SELECT count(*) FROM journal WHERE kind = 'ack'"; }
r0=$(receipts)
[ "$r0" -ge 2 ] || fail "the two first acks are not in the record: $r0"
# every acked delivery names the record's entry that lists it
acked=$(db "SELECT count(*) FROM delivery WHERE acked_at IS NOT NULL")
listed=$(db "SELECT count(*) FROM delivery d JOIN journal j ON j.seq = d.receipt
	WHERE d.acked_at IS NOT NULL AND j.kind = 'ack'
	AND replace(substr(CAST(j.entry AS TEXT), instr(CAST(j.entry AS TEXT), 'note: ')),
	    char(10), ' ') LIKE 'note: endpoint ' || d.endpoint_id || ': deliver% ' || d.id || ' %'")
[ "$acked" -ge 2 ] && [ "$listed" = "$acked" ] || fail "$acked acked deliveries, $listed listed in the record"
[ "$(db "SELECT count(*) FROM delivery WHERE acked_at IS NULL AND receipt IS NOT NULL")" = 0 ] ||
	fail "a receipt for a delivery not acked"
ptool ack "$T/baku/client.conf" "$did" \
	>"$T/reack.out" 2>&1 || fail "a repeated ack was refused: $(cat "$T/reack.out")"
[ "$(receipts)" = "$r0" ] || fail "a repeated ack added a receipt to the record"
[ "$(ctl --json notice list)" = "$list" ] || fail "a repeated ack changed the deliveries"
# one Ack may name several deliveries: all or none, at most 256
printf "%s" "first of two" | ctl notice send baku --text - >/dev/null || fail "notice send"
printf "%s" "not baku's" | ctl notice send yerevan --text - >/dev/null || fail "notice send"
printf "%s" "second of two" | ctl notice send baku --text - >/dev/null || fail "notice send"
bep=$(db "SELECT endpoint_id FROM delivery WHERE id = $did")
two=$(db "SELECT id FROM delivery WHERE endpoint_id = $bep AND acked_at IS NULL ORDER BY id" | tr '\n' ' ')
yer=$(db "SELECT d.id FROM delivery d JOIN endpoint e ON e.id = d.endpoint_id JOIN party p ON p.id = e.party_id
	WHERE p.code = 'yerevan' AND d.acked_at IS NULL")
set -- $two
[ $# = 2 ] && [ -n "$yer" ] || fail "two deliveries pending for baku, one for yerevan expected: $two / $yer"
expect_out "delivery $yer was never sent to this endpoint" ptool ack "$T/baku/client.conf" "$1" "$yer" "$2"
[ "$(db "SELECT count(*) FROM delivery WHERE id IN ($1, $2, $yer) AND acked_at IS NULL")" = 3 ] ||
	fail "a refused Ack acked some of its deliveries"
[ "$(receipts)" = "$r0" ] || fail "a refused Ack added a receipt to the record"
# shellcheck disable=SC2046 # 257 ids, one a word
expect_out "at most 256 deliveries, this one 257" ptool ack "$T/baku/client.conf" $(seq "$1" $(($1 + 256)))
# 256 pass that check (and are refused for the one not baku's)
# shellcheck disable=SC2046 # 256 ids, one a word
expect_out "was never sent to this endpoint" ptool ack "$T/baku/client.conf" $(seq "$1" $(($1 + 255)))
expect_out "^ok $did" ptool ack "$T/baku/client.conf" "$did" "$1" "$2" "$1"
[ "$(db "SELECT count(*) FROM delivery WHERE id IN ($1, $2) AND acked_at IS NOT NULL AND receipt IS NOT NULL")" = 2 ] ||
	fail "an Ack of two did not ack both"
[ "$(receipts)" = $((r0 + 1)) ] || fail "an Ack of two should add one receipt entry"
[ "$(jget "$(as baku --json inbox)" '.count')" = 0 ] || fail "acked deliveries came back"
as yerevan inbox >/dev/null || fail "yerevan inbox"
# parley acks what one read brings in with one Ack: a backlog of 300
# notices takes far fewer than 300 frames, and every one is acked
stat_acks() { curl -sS --max-time 10 --unix-socket "$T/status.sock" http://localhost/status |
	jq -r "[.deliveries.acks, .deliveries.ack_frames] | @tsv"; }
read -r acks0 frames0 <<<"$(stat_acks)" || fail "GET /status"
for i in $(seq 300); do
	printf "%s" "backlog $i" | ctl notice send yerevan --text - >/dev/null || fail "notice send $i"
done
out=$(as yerevan --json inbox) || fail "inbox of 300"
[ "$(jget "$out" '.count')" = 300 ] || fail "300 notices expected: $(jget "$out" '.count')"
[ "$(jget "$out" '[.deliveries[].text] | unique | length')" = 300 ] || fail "each notice once"
read -r acks1 frames1 <<<"$(stat_acks)" || fail "GET /status"
[ $((acks1 - acks0)) = 300 ] || fail "$((acks1 - acks0)) acks for 300 deliveries"
echo "300 deliveries acked with $((frames1 - frames0)) Ack frames"
[ $((frames1 - frames0)) -ge 2 ] && [ $((frames1 - frames0)) -lt 150 ] ||
	fail "300 deliveries acked with $((frames1 - frames0)) Ack frames"
[ "$(db "SELECT count(*) FROM delivery d JOIN endpoint e ON e.id = d.endpoint_id
	JOIN party p ON p.id = e.party_id WHERE p.code = 'yerevan' AND d.acked_at IS NULL")" = 0 ] ||
	fail "yerevan's deliveries left pending"
# a notice to all reaches every party
printf "%s" "to everyone" | ctl notice send all --text - >/dev/null || fail "notice all"
[ "$(jget "$(as yerevan --json inbox)" '.count')" = 1 ] || fail "yerevan missed notice to all"
# ... however many parties there are (300 more: not the first 256 of them)
for i in $(seq 300); do ctl party add "q$i" --name "Q $i" >/dev/null || fail "party q$i"; done
out=$(printf "%s" "to all 302" | ctl --json notice send all --text -) || fail "notice to 302: $out"
[ "$(jget "$out" '[.messages[], .more[]] | length')" = 302 ] || fail "notice to all: $out"
[ "$(db "SELECT count(DISTINCT party_id) FROM message WHERE summary = 'to all 302'")" = 302 ] ||
	fail "the notice to all was stored for $(db "SELECT count(*) FROM message WHERE summary = 'to all 302'") parties"
# the newest notices only, with their deliveries
out=$(ctl --json notice list --last 2) || fail "notice list --last 2: $out"
[ "$(jget "$out" '.messages | length')" = 2 ] || fail "notice list --last 2: $(printf '%s' "$out" | head -c 300)"
[ "$(jget "$out" '.messages[1].id')" = "$(db "SELECT max(id) FROM message WHERE kind = 'notice'")" ] ||
	fail "notice list --last 2 does not end with the newest"
[ "$(jget "$(ctl --json delivery list --last 1)" '.messages | length')" = 1 ] || fail "delivery list --last 1"
# text output says what a person needs
expect_out "pending|acked" ctl notice list
printf x | expect_rc 1 ctl notice send nobody --text -
expect_rc 2 ctl notice send baku
pass
