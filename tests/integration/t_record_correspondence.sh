# Issue 22 review: the record a party lists (parley journal) keeps
# correspondence with those it is between.  A third party and an observer
# of the agreement see nothing of an incident between two others; the
# accused does not see the complaint, the filer not the counter-protest
# before the mediator forwards it, nor does an observer it is escalated to;
# another party's amendment stays out of the record until forwarded, and
# its answers and a rejection never reach the other members.
. "$(dirname "$0")/lib.sh"
setup
for p in baku stepanakert yerevan; do enrol $p; done
enrol minsk --observer
ctl clock set 1995-02-06T10:00:00+03:00 >/dev/null
printf '1. The ceasefire holds.\n2. Lines stay.\n' >"$T/a.txt"
A=$(jget "$(ctl --json agreement create --title T --text "$T/a.txt" --parties baku,stepanakert,yerevan --observers minsk)" .id)
expect_rc 0 ctl agreement circulate "$A"
I=$(jget "$(as baku --json incident file --against stepanakert --place s4 --time 1995-02-06T08:30:00+03:00 \
	--nature fire --consequences none --agreement "$A")" .id)
inbox stepanakert >/dev/null
expect_rc 0 as baku complaint --incident "$I" --text "SECRETCOMPLAINT"
expect_rc 0 as stepanakert incident counter "$I" --text "SECRETCOUNTER"
expect_rc 0 as baku incident meeting "$I"
for p in yerevan minsk; do
	out=$(as $p journal --agreement "$A") || fail "$p journal"
	! grep -qi "incident" <<<"$out" || fail "$p, not a side, reads of the incident: $(grep -i incident <<<"$out")"
done
! as stepanakert journal | grep -q "incident-complaint" || fail "the accused reads of the complaint"
! as baku journal | grep -q "incident-counter" || fail "the filer reads of the counter-protest before it is forwarded"
as baku journal | grep -q "incident-filed" || fail "the filer's own step is not in its record"
as stepanakert journal | grep -q "incident-counter-protest" || fail "the accused's own step is not in its record"
# escalated before forwarding: the observer does not get the counter-protest
expect_rc 0 ctl incident escalate "$I" --to minsk
out=$(inbox minsk)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "incident")] | length')" -ge 1 ] || fail "no escalation delivered: $out"
! grep -q "SECRETCOUNTER\|SECRETCOMPLAINT" <<<"$out" || fail "the escalation carries what the sides keep: $out"
# amendments: not before forwarding, never another's answer or a rejection
sed 's/Lines stay/Lines move/' "$T/a.txt" >"$T/am"
AM=$(jget "$(as yerevan --json amend "$A" --text "$T/am" --note "secret reason")" .id)
for p in baku minsk; do
	! as $p journal --agreement "$A" | grep -q "amendment" || fail "$p reads of an amendment not forwarded"
done
expect_rc 0 ctl amendment forward "$AM"
expect_rc 0 as stepanakert amendment respond "$AM" reject --note "no"
! as baku journal --agreement "$A" | grep -q "amendment-answered" || fail "baku reads stepanakert's answer"
as stepanakert journal --agreement "$A" | grep -q "amendment-answered" || fail "stepanakert's own answer is not in its record"
# forwarded, then rejected: the mediator's reason is the proposer's alone
AM3=$(jget "$(as yerevan --json amend "$A" --text "$T/am" --note "once more")" .id)
expect_rc 0 ctl amendment forward "$AM3"
expect_rc 0 ctl amendment reject "$AM3" --reason "PRIVATE: not in good faith"
! as baku amendment show "$AM3" | grep -q PRIVATE || fail "baku reads the reason for rejecting yerevan's amendment"
as yerevan amendment show "$AM3" | grep -q PRIVATE || fail "the proposer is not told why"
AM2=$(jget "$(as yerevan --json amend "$A" --text "$T/am" --note "again")" .id)
expect_rc 0 ctl amendment reject "$AM2" --reason "not now"
! as baku journal --agreement "$A" | grep -q "amendment-rejected" || fail "baku reads of a rejection told to yerevan"
as yerevan journal --agreement "$A" | grep -q "amendment-rejected" || fail "the proposer's record lacks the rejection"
pass
