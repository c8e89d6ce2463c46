# ../shared/scenarios/1993-12-shady-deal.md: a copy that is not a signature.
# baku's re-worded, undated copy arrives signed with a registered key: it is
# stored, marked non-identical, counted for nothing, refused to baku naming
# the difference, shown to the mediator as a diff; nothing is released and
# neither side ever receives the other's copy or signature.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
enrol baku
enrol stepanakert
ctl clock set 1993-12-16T20:00:00+03:00 >/dev/null || fail "clock"
A=$(jget "$(ctl --json agreement create --title "Ceasefire for ten days" \
	--text "$D/ceasefire-1993-rev1.txt" --parties baku,stepanakert)" .id)
expect_rc 0 ctl agreement circulate "$A"
ctl clock set 1993-12-16T22:00:00+03:00 >/dev/null
expect_out "accepted" as stepanakert sign "$A" --yes
stepsig=$(db "SELECT hex(signature) FROM copy WHERE status = 'valid'")
[ ${#stepsig} = 128 ] || fail "stepanakert's signature not stored"
# Dec 17-18: reminders (a mediator's notice) while nothing comes from baku
ctl clock set 1993-12-18T12:00:00+03:00 >/dev/null
printf "%s" "Reminder: your signed copy of agreement $A has not arrived." | expect_rc 0 ctl notice send baku --text -

# Dec 19, 21:40: baku's re-worded copy, signed with its registered key
ctl clock set 1993-12-19T21:40:00+03:00 >/dev/null
expect_rc 1 as baku sign "$A" --yes --text "$D/ceasefire-1993-baku.txt"
grep -q "not identical to revision 1" "$T/last.out" || fail "refusal does not say non-identical"
grep -q "line 1 differs" "$T/last.out" || fail "refusal does not name the first differing line"
out=$(ctl --json agreement show "$A")
[ "$(jget "$out" .state)" = circulating ] || fail "released on a non-identical copy: $out"
[ "$(jget "$out" '.non_identical | length')" = 1 ] || fail "non-identical copy not shown: $out"
[ "$(jget "$out" '.non_identical[0].party')" = baku ] || fail "wrong party: $out"
[ "$(jget "$out" '.parties[] | select(.party == "baku") | .signed')" = false ] || fail "counted: $out"
grep -q "non-identical copy .* from baku stored and not counted" "$T/parleyd.log" || fail "mediator not told"
# the mediator's line diff against revision 1
expect_out "^\+The other side shall withdraw its troops 10 km" ctl agreement diff "$A" baku
expect_out "^-The Parties agree to establish a ceasefire" ctl agreement diff "$A" baku
expect_out "^--- revision 1" ctl agreement diff "$A" baku
expect_rc 1 ctl agreement diff "$A" stepanakert
# embargo: neither side received the other's copy or signature
for p in baku stepanakert; do
	"$BIN/ptool" dump "$T/$p/client.conf" "$T/$p.dump" >/dev/null || fail "dump $p"
	grep -qi "$stepsig" "$T/$p.dump" && fail "$p received stepanakert's signature"
	[ "$(jget "$(as $p --json status "$A")" '.parties | length')" = 1 ] || fail "$p sees the other's status"
	expect_rc 1 as $p bundle "$A" "$T/b-$p"
done
bakusig=$(db "SELECT hex(signature) FROM copy WHERE status = 'non-identical'")
grep -qi "$bakusig" "$T/stepanakert.dump" && fail "stepanakert received baku's copy"
# the record keeps baku's copy with its text and reason
[ "$(db "SELECT count(*) FROM copy WHERE status = 'non-identical' AND text LIKE '%10 km%'")" = 1 ] \
	|| fail "baku's text not kept as evidence"
pass
