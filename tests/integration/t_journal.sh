# The depositary: every state change is in the journal, a Merkle tree whose
# heads the mediator signs; journal verify recomputes all of it; each parley
# connection checks consistency with the checkpoint it kept, countersigns,
# and stops loudly when the record was rewritten; parleyd refuses to start
# on a record that no longer matches what it signed.
. "$(dirname "$0")/lib.sh"
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan stepanakert; do enrol $p; done
A=$(jget "$(ctl --json agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan)" .id)
ctl agreement circulate "$A" >/dev/null
sign_all "$A" baku yerevan
printf "%s" "for stepanakert only" | ctl notice send stepanakert --text - >/dev/null
as baku inbox >/dev/null
out=$(ctl --json journal verify) || fail "journal verify: $out"
[ "$(jget "$out" .ok)" = true ] || fail "not ok: $out"
n=$(jget "$out" .entries); [ "$n" -ge 15 ] || fail "too few entries: $out"
kinds=$(jget "$(ctl --json journal show --agreement "$A")" '[.entries[] | capture("kind: (?<k>[a-z-]+)").k] | join(",")')
[ "$kinds" = "draft,circulated,copy-accepted,copy-accepted,released" ] || fail "agreement's record: $kinds"
for k in party-registered endpoint-added signer-added notice ack countersigned; do
	db "SELECT count(*) FROM journal WHERE kind = '$k'" | grep -qv '^0$' || fail "no $k entry"
done
# the entries that concern party P, by the daemon's rule
concerns() {
	db "SELECT count(*) FROM journal WHERE party = '$1' OR agreement_id IN (SELECT
	    agreement_id FROM agreement_party WHERE party_id = (SELECT id FROM party WHERE code = '$1'))"
}
# a party sees what concerns it, all of it from the first entry (seq 0,
# its own registration), not another's notice
[ "$(db "SELECT party FROM journal WHERE seq = 0")" = baku ] || fail "entry 0 is not baku's"
# (counted after: a connection countersigns the newest checkpoint before
# its request, and that is an entry too)
for p in baku yerevan stepanakert; do
	got=$(jget "$(as "$p" --json journal --countersignatures)" '.entries | length')
	[ "$got" = "$(concerns "$p")" ] || fail "$p sees $got of the $(concerns "$p") entries that concern it"
done
out=$(as baku --json journal --countersignatures)
jget "$out" '.entries[0]' | grep -q '^seq: 0$' || fail "baku's record does not begin at seq 0"
jget "$out" '.entries[]' | grep -q "kind: released" || fail "baku does not see the release"
jget "$out" '.entries[]' | grep -q "party: stepanakert" && fail "baku sees stepanakert's entries"
[ "$(jget "$out" '[.entries[] | capture("seq: (?<s>[0-9]+)").s | tonumber] | . == sort and length > 1')" = true ] ||
	fail "baku's entries are not in journal order"
# the endpoint keeps the checkpoint it verified, and countersigns each one
[ -s "$T/baku/checkpoint" ] || fail "no checkpoint kept"
head -1 "$T/baku/checkpoint" | grep -q '^parley/' || fail "checkpoint origin: $(head -1 "$T/baku/checkpoint")"
expect_rc 0 as baku status "$A"
[ "$(db "SELECT count(*) FROM countersignature c JOIN party p ON p.id = c.party_id WHERE p.code = 'baku'")" -ge 2 ] \
	|| fail "countersignatures not kept"

# a record larger than one reply (16,000 more entries about baku, ~2.7 MB):
# parley asks for it page by page (256 KiB each) and gets all of it, in
# order, once; a client that does not page (an unpaged JournalShow, as
# before paging) is refused with the way round, not sent part as all;
# one agreement's record still comes, and the fill's checkpoint verifies
stop_daemon
# with the record in PostgreSQL (journal-fill writes the SQLite file, so
# the long record is not built): someone damages the record there, and
# the daemon refuses to serve from it
if pg_mode; then
	pg_sql "UPDATE journal_state SET frontier = decode(repeat('00', 41), 'hex')" ||
		fail "could not damage the record"
	"$BIN/parleyd" -c "$T/parleyd.conf" >"$T/start.out" 2>&1 && fail "parleyd started on a damaged record"
	grep -q "frontier is damaged\|does not match its last signed checkpoint" "$T/start.out" ||
		fail "reason: $(cat "$T/start.out")"
	pass
fi
"$BIN/journal-fill" "$T/state" $(( $(db "SELECT count(*) FROM journal") + 16000 )) baku \
	>/dev/null || fail "journal-fill"
start_daemon
as baku --json journal --countersignatures >"$T/record.json" || fail "paged record: $(head -c 300 "$T/record.json")"
want=$(concerns baku)
[ "$(jq '.entries | length' "$T/record.json")" = "$want" ] ||
	fail "baku got $(jq '.entries | length' "$T/record.json") entries of $want"
[ "$(jq '[.entries[] | capture("seq: (?<s>[0-9]+)").s | tonumber] | . == (sort | unique)' \
	"$T/record.json")" = true ] || fail "the pages repeat or reorder entries"
as baku journal --countersignatures >"$T/record.txt" || fail "text record: $(tail -n 3 "$T/record.txt")"
want=$(concerns baku)
[ "$(grep -c '^seq: ' "$T/record.txt")" = "$want" ] || fail "the text record is not whole"
# the mediator's whole journal is now more than one admin answer: refused
# with the way round, and one agreement's still comes
expect_rc 1 ctl journal show
grep -q "bytes this connection may carry; nothing was changed" "$T/last.out" || fail "journal show: $(cat "$T/last.out")"
[ "$(jget "$(ctl --json journal show --agreement "$A")" '.entries | length')" = 5 ] ||
	fail "the mediator's journal of one agreement"
# Frame { id 1, journal_show {} }: no paged flag
expect_rc 1 ptool raw "$T/baku/client.conf" 08018a0200
grep -q "more than one reply may carry" "$T/last.out" || fail "no clear refusal: $(cat "$T/last.out")"
[ "$(jget "$(as baku --json journal --agreement "$A")" '.entries | length')" = 5 ] ||
	fail "one agreement's record"
expect_rc 0 as baku status "$A"

# someone edits a journal row in the SQLite file
db "UPDATE journal SET entry = CAST(replace(CAST(entry AS TEXT), 'revision 1', 'revision 7') AS BLOB) WHERE kind = 'draft'"
expect_out "altered" ctl journal verify
expect_rc 1 as baku status "$A"
grep -q "THE MEDIATOR'S RECORD IS INCONSISTENT with the checkpoint of" "$T/last.out" || fail "no loud error: $(cat "$T/last.out")"
# and a damaged record is refused at start
stop_daemon
db "UPDATE journal_state SET frontier = zeroblob(41)"
"$BIN/parleyd" -c "$T/parleyd.conf" >"$T/start.out" 2>&1 && fail "parleyd started on a damaged record"
grep -q "frontier is damaged\|does not match its last signed checkpoint" "$T/start.out" || fail "reason: $(cat "$T/start.out")"
pass
