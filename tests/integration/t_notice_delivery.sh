# A notice sent while an endpoint is offline arrives when it connects; every
# endpoint of a party gets it; acks are recorded per endpoint; a repeated
# fetch returns nothing already acked.
. "$(dirname "$0")/lib.sh"
setup
enrol baku
enrol yerevan
# a second endpoint (duty station) for baku
new_endpoint baku2
ctl endpoint add baku --cert "$T/baku2/endpoint.crt" >/dev/null || fail "second endpoint"

out=$(ctl --json notice send baku --text "Dec 17: reminders to baku")
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
# a notice to all reaches every party
ctl notice send all --text "to everyone" >/dev/null || fail "notice all"
[ "$(jget "$(as yerevan --json inbox)" '.count')" = 1 ] || fail "yerevan missed notice to all"
# text output says what a person needs
expect_out "pending|acked" ctl notice list
expect_rc 1 ctl notice send nobody --text x
expect_rc 2 ctl notice send baku
pass
