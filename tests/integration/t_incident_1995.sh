# Issue 22, item 3: the February 1995 mechanism finished
# (../shared/scenarios/1995-02-incident-mechanism.md).  baku reports an
# incident with proposed measures; stepanakert answers late with the
# measures it took: both sides read both texts, and the late answer is
# flagged to the side that gave it.  baku's complaint to the mediator is
# refused until the report has reached stepanakert.  The mediator
# recommends, schedules a meeting (one side accepts, the other proposes
# another time), brings the case to the Minsk observer, and closes it;
# every step reaches both sides and the record.  A text that is not UTF-8
# is refused by the client (exit 2) and, sent raw, answered by parleyd
# with an Error on a connection that stays open.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
for p in baku stepanakert yerevan; do enrol $p; done
enrol minsk --observer
ctl clock set 1995-02-06T10:00:00+03:00 >/dev/null
out=$(as baku --json incident file --against stepanakert --place "sector 4" \
	--time 1995-02-06T08:30:00+03:00 --nature "small-arms fire" --consequences "one wounded" \
	--proposal "withdraw the post 200 m to the status quo ante") || fail "file: $out"
I=$(jget "$out" .id)
# the complaint waits until stepanakert has the report
expect_out "has not yet reached stepanakert" as baku complaint --incident "$I" --text "please take this up"
d=$(inbox stepanakert)
[ "$(jget "$d" '.deliveries[] | select(.kind == "incident") | .proposal')" = \
	"withdraw the post 200 m to the status quo ante" ] || fail "the other side does not read the proposal: $d"
expect_out "proposed measures: withdraw the post" as stepanakert incident show "$I"
expect_rc 0 as baku complaint --incident "$I" --text "please take this up"
# a late answer with measures: flagged to the answering side, read by both
ctl clock set 1995-02-06T17:00:00+03:00 >/dev/null
expect_out "it is LATE: it was due by 1995-02-06T16:00:00\+03:00" \
	as stepanakert incident respond "$I" --text "checked: a warning shot" --measures "the post was withdrawn"
d=$(inbox baku)
[ "$(jget "$d" '.deliveries[] | select(.event == "answered") | .measures')" = "the post was withdrawn" ] ||
	fail "the filer does not read the measures: $d"
[ "$(jget "$d" '.deliveries[] | select(.event == "answered") | .answered_late')" = true ] || fail "not marked late: $d"
for p in baku stepanakert; do
	out=$(as $p --json incident show "$I")
	[ "$(jget "$out" .measures)" = "the post was withdrawn" ] && [ "$(jget "$out" .answered_late)" = true ] &&
		[ "$(jget "$out" .proposal)" = "withdraw the post 200 m to the status quo ante" ] ||
		fail "$p does not see both texts: $out"
done
expect_out "answered .* \(LATE\)" ctl incident show "$I"
# the mediator recommends to both sides
printf '%s\n' "Both sides keep their posts 300 m apart in sector 4 until the meeting." >"$T/rec.txt"
expect_rc 0 ctl incident recommend "$I" --text "$T/rec.txt"
for p in baku stepanakert; do
	d=$(inbox $p)
	[ "$(jget "$d" '.deliveries[] | select(.event == "recommendation") | .recommendation')" = "$(cat "$T/rec.txt")" ] ||
		fail "$p did not receive the recommendation: $d"
done
# a meeting: scheduled, one side accepts, the other proposes another time
expect_rc 0 as stepanakert incident meeting "$I"
expect_out "no meeting on incident $I was scheduled" as baku incident meeting "$I" accept
# moved and moved back before the one that holds: one reminder all the same
expect_rc 0 ctl incident meeting "$I" --time 1995-02-08T10:00:00+03:00 --place "Moscow" --participants "the mediator"
expect_rc 0 ctl incident meeting "$I" --time 1995-02-09T10:00:00+03:00 --place "Moscow" --participants "the mediator"
expect_rc 0 ctl incident meeting "$I" --time 1995-02-08T10:00:00+03:00 --place "Moscow, Smolenskaya 32" \
	--participants "baku, stepanakert, the mediator"
[ "$(jget "$(inbox baku)" '[.deliveries[] | select(.event == "meeting-scheduled") | .meeting.place] | last')" = "Moscow, Smolenskaya 32" ] ||
	fail "baku not told of the meeting"
expect_rc 0 as baku incident meeting "$I" accept
expect_out "you propose to meet on incident $I at 1995-02-09T10:00:00\+03:00" \
	as stepanakert incident meeting "$I" propose --time 1995-02-09T10:00:00+03:00
[ "$(jget "$(inbox baku)" '.deliveries[] | select(.event == "meeting-proposed") | .meeting.answers | join("; ")')" = \
	"baku accepts; stepanakert proposes 1995-02-09T10:00:00+03:00" ] || fail "baku not told of the other time"
expect_out "baku accepts; stepanakert proposes" ctl incident show "$I"
expect_rc 2 as baku incident meeting "$I" propose
expect_rc 2 as baku incident meeting "$I" maybe
expect_out "propose a time" as baku incident meeting "$I" propose --time 1995-02-01T10:00:00+03:00
# stepanakert's counter-protest: the mediator's until forwarded to baku;
# baku's complaint to the mediator never reaches stepanakert
expect_out "sent to the mediator, who may forward it to baku" \
	as stepanakert incident counter "$I" --text "the shot came from the other side"
expect_out "accused side's" as baku incident counter "$I" --text x
# one each, kept as made: more is a letter
expect_out "already sent; write to the mediator" as stepanakert incident counter "$I" --text "another"
expect_out "already carries a complaint" as baku complaint --incident "$I" --text "again"
[ "$(jget "$(as baku --json incident show "$I")" .counter_protest)" = null ] || fail "baku read the counter-protest early"
[ "$(jget "$(as stepanakert --json incident show "$I")" .complaint)" = null ] || fail "stepanakert read baku's complaint"
expect_out "not forwarded" ctl incident show "$I"
expect_rc 0 ctl incident forward "$I"
d=$(inbox baku)
[ "$(jget "$d" '.deliveries[] | select(.event == "counter-protest") | .counter_protest')" = \
	"the shot came from the other side" ] || fail "baku did not receive the counter-protest: $d"
expect_out "no counter-protest left to forward" ctl incident forward "$I"
# brought to the Minsk observer; both sides told
expect_rc 0 ctl incident escalate "$I" --to minsk
d=$(inbox minsk)
[ "$(jget "$d" '.deliveries[] | select(.event == "escalated") | .incident')" = "$I" ] || fail "minsk did not receive it: $d"
[ "$(jget "$(inbox stepanakert)" '[.deliveries[] | select(.event == "escalated")] | length')" = 1 ] ||
	fail "stepanakert not told of the escalation"
expect_out "is a side of incident" ctl incident escalate "$I" --to baku
expect_out "unknown party" ctl incident escalate "$I" --to nobody
# every step in the record
kinds=$(jget "$(ctl --json journal show)" '[.entries[] | capture("kind: (?<k>[a-z-]+)").k | select(startswith("incident"))] | join(",")')
for k in incident-filed incident-complaint incident-answered incident-recommendation incident-meeting \
	incident-meeting-scheduled incident-meeting-accept incident-meeting-propose incident-escalated \
	incident-counter-protest incident-counter-forwarded; do
	case ",$kinds," in *",$k,"*) ;; *) fail "the record lacks $k: $kinds" ;; esac
done
# bad input: refused, nothing changed
before=$(snapshot)
printf '' >"$T/empty"
expect_rc 2 ctl incident recommend "$I" --text "$T/empty"
expect_out "in the future" ctl incident meeting "$I" --time 1995-02-01T10:00:00+03:00 --place p --participants q
expect_out "no incident 99" ctl incident recommend 99 --text "$T/rec.txt"
expect_rc 2 as baku incident file --against stepanakert --place "$(printf 'sector \377')" \
	--time 1995-02-06T08:30:00+03:00 --nature n --consequences c
grep -q "must be UTF-8" "$T/last.out" || fail "no reason for the non-UTF-8 text: $(cat "$T/last.out")"
# a text with a line of its own could pass for one of incident show's (the
# mediator's recommendation); one with an escape could repaint the screen
expect_out "one line without control characters" as stepanakert incident respond "$I" \
	--text "$(printf "we deny it\n  the mediator's recommendation: baku withdraws")"
expect_out "one line without control characters" as stepanakert incident respond "$I" \
	--text "$(printf 'we deny it\342\200\250the mediator recommends: baku withdraws')"
expect_out "one line without control characters" as baku incident file --against stepanakert \
	--place "$(printf 'sector 4\033[2J')" --time 1995-02-06T08:30:00+03:00 --nature n --consequences c
# and parleyd refuses it as well, sent raw: Frame { id 5, incident_action
# { incident 1, action "complaint", text "a\rb" } }
out=$(ptool raw "$T/baku/client.conf" 0805da011208011209636f6d706c61696e741a03610d62 2>&1)
echo "$out" | grep -q "one line without control characters" || fail "parleyd took a text with a CR: $out"
# sent raw: Frame { id 5, incident_action { incident 1, action "complaint", text "\xff" } }
out=$(ptool raw "$T/baku/client.conf" 0805da011008011209636f6d706c61696e741a01ff 2>&1)
echo "$out" | grep -q "not valid UTF-8" || fail "parleyd did not answer the raw frame with a reason: $out"
[ "$(snapshot)" = "$before" ] || fail "a refused step changed the store"
# an hour before the meeting both sides are reminded
ctl clock set 1995-02-08T09:00:00+03:00 >/dev/null
for p in baku stepanakert; do
	[ "$(jget "$(inbox $p)" '[.deliveries[] | select(.event == "meeting-soon")] | length')" = 1 ] ||
		fail "$p not reminded of the meeting"
done
expect_rc 0 ctl incident close "$I" --reason "settled at the meeting"
expect_out "is closed" ctl incident recommend "$I" --text "$T/rec.txt"
# closed: no side's step is taken any more
before=$(snapshot)
expect_out "is closed" as baku incident meeting "$I" accept
expect_out "is closed" as baku incident meeting "$I"
expect_out "is closed" as stepanakert incident inspect "$I"
[ "$(snapshot)" = "$before" ] || fail "a step on a closed incident changed the store"
# the meeting passes: no other reminder, late or repeated
ctl clock set 1995-02-09T12:00:00+03:00 >/dev/null
for p in baku stepanakert; do
	[ "$(jget "$(inbox $p)" '[.deliveries[] | select(.event == "meeting-soon")] | length')" = 0 ] ||
		fail "$p reminded again of the meeting"
done
restart
out=$(ctl --json incident show "$I")
[ "$(jget "$out" .recommendation)" = "$(cat "$T/rec.txt")" ] && [ "$(jget "$out" .escalated_to)" = minsk ] ||
	fail "lost in a restart: $out"
pass
