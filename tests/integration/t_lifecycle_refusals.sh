# Bad input to the agreement lifecycle gets a clear refusal and changes
# nothing (invariants 5 and 6): unknown or draft agreements, observers and
# outsiders signing, unregistered or foreign keys, another party's name in the
# payload, bad signatures, malformed frames, bad drafts; and the legal moves
# that do change things (withdrawal, mediator withdrawal) are refused after.
. "$(dirname "$0")/lib.sh"
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
enrol baku
enrol yerevan
enrol stepanakert
enrol minsk --observer
ctl party add ganja --name "no signer key" >/dev/null; new_endpoint ganja
ctl endpoint add ganja --cert "$T/ganja/endpoint.crt" >/dev/null
ctl clock set 1994-05-01T12:00:00+04:00 >/dev/null
A=$(jget "$(ctl --json agreement create --title T --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan,ganja --observers minsk)" .id)
expect_rc 0 ctl agreement circulate "$A"
DRAFT=$(jget "$(ctl --json agreement create --title Draft --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan)" .id)
for p in baku yerevan ganja; do as $p inbox >/dev/null; done

before=$(snapshot)
expect_out "no agreement 999" as baku show 999
expect_rc 1 as baku sign 999 --yes
expect_out "no agreement $DRAFT" as baku sign "$DRAFT" --yes
expect_out "observers never sign" as minsk sign "$A" --yes
expect_out "no agreement $A for party stepanakert" as stepanakert sign "$A" --yes
expect_out "is not registered for ganja" as ganja sign "$A" --yes
expect_out "is not registered for baku" "$BIN/ptool" sign "$T/baku/client.conf" "$A" --key-of "$T/yerevan/client.conf"
expect_out "speaks for baku; it cannot sign as \"yerevan\"" "$BIN/ptool" sign "$T/baku/client.conf" "$A" --party yerevan --key-of "$T/yerevan/client.conf"
grep -q "endpoint .* of baku sent a copy naming party \"yerevan\"" "$T/parleyd.log" || fail "impersonation not logged"
expect_out "has no revision 99" "$BIN/ptool" sign "$T/baku/client.conf" "$A" --revision 99
expect_out "signature does not verify" "$BIN/ptool" sign "$T/baku/client.conf" "$A" --flip-sig
# malformed frames: invalid UTF-8 in SignRequest.party, lengths, garbage
expect_out "not valid UTF-8" "$BIN/ptool" raw "$T/baku/client.conf" 080162032201ff
expect_out "frame length must be" "$BIN/ptool" raw "$T/baku/client.conf" 0801 --len 2000000
expect_out "frame length must be" "$BIN/ptool" raw "$T/baku/client.conf" "" --len 0
expect_out "malformed Frame" "$BIN/ptool" raw "$T/baku/client.conf" ffffffffff
expect_out "not canonically encoded" "$BIN/ptool" raw "$T/baku/client.conf" 08000801
# an ack for a delivery this endpoint was never sent
ydel=$(db "SELECT d.id FROM delivery d JOIN endpoint e ON e.id = d.endpoint_id JOIN party p ON p.id = e.party_id WHERE p.code = 'yerevan' LIMIT 1")
expect_out "was never sent to this endpoint" "$BIN/ptool" ack "$T/baku/client.conf" "$ydel"
# amendments: observers and outsiders cannot, an identical text is no amendment
expect_rc 1 as minsk amend "$A" --text "$D/ceasefire-1994-rev2.txt"
expect_rc 1 as stepanakert amend "$A" --text "$D/ceasefire-1994-rev2.txt"
expect_out "identical to revision 1" as baku amend "$A" --text "$D/ceasefire-1994-rev1.txt"
expect_out "no amendment 1 was forwarded" as yerevan amendment respond 1 accept
# withdrawing a signature that does not exist
expect_out "no signature on revision 1" as baku withdraw "$A"
# bad drafts
printf '\xff\xfe bad\n' > "$T/bad.txt"; : > "$T/empty.txt"
expect_out "not valid UTF-8" ctl agreement create --title T --text "$T/bad.txt" --parties baku,yerevan
expect_rc 2 ctl agreement create --title T --text "$T/empty.txt" --parties baku,yerevan
expect_out "unknown party \"nobody\"" ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku,nobody
expect_out "named twice" ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku,baku
expect_out "is an observer" ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku,minsk
expect_out "is a party, not an observer" ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku --observers yerevan
expect_rc 2 ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku --effective tomorrow
expect_rc 2 ctl agreement create --title "$(printf 'two\nlines')" --text "$D/ceasefire-1994-rev1.txt" --parties baku
expect_rc 2 ctl agreement create --title T --parties baku
expect_out "already circulating" ctl agreement circulate "$A"
expect_rc 1 ctl agreement show 999
expect_rc 1 ctl amendment adopt 999
[ "$(snapshot)" = "$before" ] || fail "a refused request changed the store"
# the daemon still serves everyone
expect_rc 0 as baku status "$A"

# legal changes, then what they forbid
expect_out "accepted" as baku sign "$A" --yes
expect_out "withdrawn" as baku withdraw "$A"
expect_out "no signature on revision 1" as baku withdraw "$A"
[ "$(db "SELECT status FROM copy WHERE agreement_id = $A")" = withdrawn ] \
	|| fail "withdrawal not recorded (or deleted)"
expect_out "accepted" as baku sign "$A" --yes
expect_rc 0 ctl agreement withdraw "$A"
out=$(as yerevan --json inbox)
[ "$(jget "$out" '[.deliveries[] | select(.event == "withdrawn")] | length')" = 1 ] || fail "yerevan not told: $out"
expect_out "withdrawn by the mediator" as yerevan sign "$A" --yes
expect_out "withdrawn by the mediator" ctl agreement circulate "$A"
expect_out "withdrawn by the mediator" ctl agreement withdraw "$A"
expect_rc 0 ctl agreement withdraw "$DRAFT"

# A NUL byte, wherever a text comes in, is refused with its line, and
# nothing changes: what follows it would be shown but not signed.
printf 'Article 1.\nArticle 2.\000 and more\n' >"$T/nul.txt"
printf 'X+1d | all | orders\000issued | -\n' >"$T/nul.cal"
printf 'X+1d | all | orders\033[2Jissued | -\n' >"$T/esc.cal"
before=$(snapshot)
expect_out "nul.txt: line 2: a NUL byte" ctl agreement create --title T --text "$T/nul.txt" --parties baku,yerevan
[ "$(snapshot)" = "$before" ] || fail "a refused NUL changed the store"
C=$(jget "$(ctl --json agreement create --title C --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan)" .id)
before=$(snapshot)
expect_out "nul.cal: line 1: a NUL byte" ctl timeline set "$C" "$T/nul.cal"
expect_out "line 1: a control character in the description" ctl timeline set "$C" "$T/esc.cal"
expect_rc 0 ctl agreement circulate "$C"
before=$(snapshot)
expect_out "nul.txt: line 2: a NUL byte" as baku sign "$C" --yes --text "$T/nul.txt"
expect_out "nul.txt: line 2: a NUL byte" as baku amend "$C" --text "$T/nul.txt" --note n
[ "$(snapshot)" = "$before" ] || fail "a refused NUL changed the store"

# What a terminal would not show as it is is refused in a text a party
# signs: "yes" backspaced into "no", an escape that hides a clause, a bidi
# override that reorders one; by parleyd at create and amend, and by
# parley before it signs a --text of its own.
printf 'The answer is yes\b\b\bno.\n' >"$T/bs.txt"
printf 'Article 1.\n\033[8mArticle 2: hidden.\033[0m\n' >"$T/esc.txt"
printf 'Article 1: \xe2\x80\xaeon si rewsna eht\n' >"$T/bidi.txt"
printf 'Article 1: \xc2\x9b2J\n' >"$T/c1.txt"
before=$(snapshot)
expect_out "the text, line 1: the control character U\+0008" ctl agreement create --title T --text "$T/bs.txt" --parties baku,yerevan
expect_out "line 2: the control character U\+001B" ctl agreement create --title T --text "$T/esc.txt" --parties baku,yerevan
expect_out "line 1: the control character U\+202E" ctl agreement create --title T --text "$T/bidi.txt" --parties baku,yerevan
expect_out "line 1: the control character U\+009B" ctl agreement create --title T --text "$T/c1.txt" --parties baku,yerevan
expect_rc 2 ctl agreement create --title "$(printf 'Cease\xe2\x80\xaefire')" --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan
expect_rc 2 ctl agreement create --title "$(printf 'Cease\xc2\x85fire')" --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan
expect_out "line 2: the control character U\+001B" as baku amend "$C" --text "$T/esc.txt" --note n
expect_out "line 1: the control character U\+0008" as baku sign "$C" --yes --text "$T/bs.txt"
[ "$(snapshot)" = "$before" ] || fail "a refused control character changed the store"

# --parties and --signatories: every piece named, every signature fitting
# the certificate (at most 64), each refused with nothing changed
R64=$(seq -f 'r%02g' 1 64 | paste -sd+)
for bad in "baku=+" "baku=a++b" "baku=a+" ",,baku=a,," "baku=a,,yerevan=b" "=a" "baku"; do
	expect_rc 2 ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" \
		--parties baku,yerevan --signatories "$bad"
done
expect_rc 2 ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku,
expect_rc 2 ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties ,baku
expect_out "require 65 signatures; a release certificate holds at most 64" ctl agreement create \
	--title T --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan --signatories "baku=$R64"
[ "$(snapshot)" = "$before" ] || fail "refused signatories changed the store"
# long and well formed: one party with 63 roles of 32 bytes is an agreement
R63=$(seq -f 'r%031g' 1 63 | paste -sd+)
expect_rc 0 ctl agreement create --title T --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku --signatories "baku=$R63"
pass
