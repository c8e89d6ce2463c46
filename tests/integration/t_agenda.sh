# Issue 22, item 5 (the agenda): parleyctl agenda shows what needs the
# mediator now, read from the store: signatures awaited by party and role
# with the deadline, amendments awaiting a decision, incident clocks,
# overdue measures (the mediator's own too), conditions not lifted, and
# requests to add an observer; and nothing once all is done.
. "$(dirname "$0")/lib.sh"
setup
for p in baku yerevan stepanakert; do enrol $p; done
enrol minsk --observer
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null
expect_out "nothing needs the mediator now" ctl agenda
printf '%s\n' "1. Fire ceases at 00:01 on 12 May 1994." >"$T/text"
printf '%s\n' "X+0h | mediator | Ceasefire begins | -" "X+1d | baku | Report | confirm" >"$T/cal"
A=$(jget "$(ctl --json agreement create --title "Ceasefire" --text "$T/text" --parties baku,yerevan,stepanakert \
	--signatories baku=political+military --sign-by 1994-05-11 --zone Europe/Moscow)" .id)
expect_rc 0 ctl timeline set "$A" "$T/cal"
expect_rc 0 ctl dayx set "$A" on-release
expect_rc 0 ctl agreement circulate "$A"
as yerevan key new "$T/mil.key" >/dev/null
expect_rc 0 ctl signer add baku --key "$T/mil.key.pub"
expect_out accepted as baku sign "$A" --yes --role political
ag=$(ctl --json agenda)
[ "$(jget "$ag" '[.signatures[] | .party + (if .role then "." + .role else "" end)] | join(",")')" = \
	"baku.military,yerevan,stepanakert" ] || fail "signatures awaited: $ag"
[ "$(jget "$ag" '.signatures[0].sign_by')" = "1994-05-12T00:00:00+04:00" ] || fail "deadline: $ag"
# an amendment, an incident, an observer request
printf '%s\n' "1. Fire ceases at 00:00 on 12 May 1994." >"$T/am"
AM=$(jget "$(as yerevan --json amend "$A" --text "$T/am")" .id)
I=$(jget "$(as yerevan --json incident file --against baku --place p --time 1994-05-09T09:00:00+04:00 \
	--nature n --consequences c)" .id)
expect_rc 0 as stepanakert observer request "$A" minsk
ag=$(ctl --json agenda)
[ "$(jget "$ag" '.amendments[0].amendment')" = "$AM" ] && [ "$(jget "$ag" '.amendments[0].state')" = proposed ] ||
	fail "amendment: $ag"
[ "$(jget "$ag" '.incidents[0].incident')" = "$I" ] &&
	[ "$(jget "$ag" '.incidents[0].respond_by')" = "1994-05-09T12:00:00+00:00" ] || fail "incident: $ag"
[ "$(jget "$ag" '.observer_requests[0].observer')" = minsk ] || fail "observer request: $ag"
expect_out "incidents not closed" ctl agenda
# what waits on the mediator in it: a counter-protest to forward, another
# time proposed for the meeting, an inspection awaiting consent
inbox baku >/dev/null
expect_rc 0 as baku incident counter "$I" --text "it came from the other side"
expect_rc 0 ctl incident meeting "$I" --time 1994-05-11T10:00:00+04:00 --place Moscow --participants all
expect_rc 0 as baku incident meeting "$I" propose --time 1994-05-12T10:00:00+04:00
expect_rc 0 as yerevan incident inspect "$I"
ag=$(ctl --json agenda)
[ "$(jget "$ag" '.incidents[0] | [.counter_protest_unforwarded, .meeting_time_proposed, .inspection_requested] | all')" = true ] ||
	fail "the incident's waiting steps: $ag"
expect_out "\[counter_protest_unforwarded\]" ctl agenda
expect_rc 0 ctl amendment reject "$AM"
expect_rc 0 ctl incident close "$I"
# released: a condition, and measures that fall due
expect_out accepted as baku sign "$A" --yes --role military --key "$T/mil.key"
expect_out accepted as yerevan sign "$A" --yes --subject-to "ratification"
expect_out "is released" as stepanakert sign "$A" --yes
# a circulation the party signed is received, acked or not
dl=$(ctl --json delivery list --agreement "$A" --party stepanakert)
[ "$(jget "$dl" '[.messages[] | select(.kind == "circulation") | .deliveries[] | (.acked_at != null or .received_by_signing)] | all')" = true ] ||
	fail "a signed circulation still shows pending: $dl"
ctl clock advance 2d >/dev/null
ag=$(ctl --json agenda)
[ "$(jget "$ag" '.signatures | length')" = 0 ] || fail "signatures still awaited: $ag"
[ "$(jget "$ag" '.conditions[0].party')" = yerevan ] || fail "condition: $ag"
[ "$(jget "$ag" '[.measures[] | .party] | join(",")')" = "mediator,baku" ] || fail "measures: $ag"
expect_rc 0 ctl timeline confirm "$A" 1
expect_rc 0 as baku confirm "$A" 2
expect_rc 0 as yerevan condition lift "$A" --yes
ctl clock advance 10d >/dev/null	# the observer request's window ends
ag=$(ctl --json agenda)
# the parties' endpoints are offline all this while: duty alerts remain
[ "$(jget "$ag" '[.duty_alerts[].party] | sort | join(",")')" = baku,stepanakert,yerevan ] ||
	fail "duty alerts: $ag"
[ "$(jget "$ag" '.items - (.duty_alerts | length)')" = 0 ] || fail "the agenda is not empty once all is done: $ag"
expect_out "duty alerts:" ctl agenda
pass
