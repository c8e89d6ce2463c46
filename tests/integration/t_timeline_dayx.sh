# Day-X calendars: conditional offsets until X is bound; loaded before
# circulation the calendar is part of what is signed (and verified in the
# bundle); X bound on effect or on release gives the right due times;
# reminders and overdue flags; only the responsible party may confirm.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
P="baku yerevan stepanakert"
for p in $P; do enrol $p; done
cat > "$T/calendar" <<'CAL'
# the May 1994 calendar (X = 00:01 May 12)
X-1d      | all       | Orders for the ceasefire issued           | confirm
X+0h      | mediator  | Ceasefire begins                          | -
X+22h59m  | all       | Texts of the orders exchanged             | confirm
X+3d      | baku      | Report on the withdrawal from positions   | confirm
X+10d     | mediator  | Main agreement concluded                  | -
CAL
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null
A=$(jget "$(ctl --json agreement create --title "May ceasefire" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan,stepanakert --effective 1994-05-12T00:01:00+04:00)" .id)
h1=$(jget "$(ctl --json agreement show "$A")" .content_sha256)
out=$(ctl --json timeline set "$A" "$T/calendar") || fail "timeline set: $out"
[ "$(jget "$out" .measures)" = 5 ] || fail "measures: $out"
h2=$(jget "$(ctl --json agreement show "$A")" .content_sha256)
[ "$h1" != "$h2" ] || fail "a calendar loaded before circulation is not part of the signed content"
# conditional until X is bound
out=$(ctl --json timeline show "$A")
[ "$(jget "$out" '[.measures[] | select(.status == "conditional")] | length')" = 5 ] || fail "not conditional: $out"
[ "$(jget "$out" '[.measures[].offset] | join(",")')" = "X-1d,X+0h,X+22h59m,X+3d,X+10d" ] || fail "order by offset: $out"
expect_rc 0 ctl dayx set "$A" on-effect
expect_rc 0 ctl agreement circulate "$A"
expect_out "calendar as part of the signed text" ctl timeline set "$A" "$T/calendar"
# parties see the calendar; confirming before X is known is refused
out=$(as yerevan --json timeline "$A")
[ "$(jget "$out" '.measures | length')" = 5 ] || fail "yerevan cannot see the calendar: $out"
expect_out "conditional" as baku confirm "$A" 1

ctl clock set 1994-05-11T15:00:00+04:00 >/dev/null
sign_all "$A" $P
out=$(ctl --json timeline show "$A")
[ "$(jget "$out" .x)" = "1994-05-12T00:01:00+04:00" ] || fail "X not bound on effect: $out"
[ "$(jget "$out" '[.measures[].due] | join(",")')" = \
	"1994-05-11T00:01:00+04:00,1994-05-12T00:01:00+04:00,1994-05-12T23:00:00+04:00,1994-05-15T00:01:00+04:00,1994-05-22T00:01:00+04:00" ] \
	|| fail "due times: $out"
# the bundle carries the calendar and verifies
out=$(inbox baku)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "release" and .verified)] | length')" = 1 ] || fail "bundle with calendar not verified: $out"
grep -q "Texts of the orders exchanged" "$T/baku/bundles/$A/calendar.txt" || fail "calendar.txt missing from the bundle"

# confirmations: only the responsible party
expect_out "is baku's to confirm, not yerevan's" as yerevan confirm "$A" 4
expect_out "is the mediator.s; parties do not confirm it" as baku confirm "$A" 2
expect_rc 1 as baku confirm "$A" 9
expect_rc 0 as baku confirm "$A" 4
expect_rc 0 as baku confirm "$A" 1
expect_rc 0 as yerevan confirm "$A" 1
expect_rc 0 as stepanakert confirm "$A" 1
expect_rc 0 as baku confirm "$A" 3
# time passes: measure 3 (all) is overdue for want of yerevan and stepanakert
for p in $P; do inbox $p >/dev/null; done
ctl clock set 1994-05-13T12:00:00+04:00 >/dev/null
out=$(ctl --json timeline show "$A")
[ "$(jget "$out" '[.measures[] | .status] | join(",")')" = "confirmed,due,overdue,confirmed,pending" ] || fail "statuses: $out"
grep -q "measure 3 (X+22h59m) is OVERDUE" "$T/parleyd.log" || fail "mediator not flagged"
out=$(inbox yerevan)
[ "$(jget "$out" '[.deliveries[] | select(.event == "measure-reminder") | .created_at] | join(",")')" = \
	"1994-05-11T23:00:00+04:00,1994-05-12T22:00:00+04:00" ] || fail "reminders of measure 3: $out"
[ "$(jget "$out" '[.deliveries[] | select(.event == "overdue") | .created_at] | join(",")')" = "1994-05-12T23:00:00+04:00" ] \
	|| fail "overdue notice: $out"
# baku confirmed measure 4 ahead of time: no reminder, never overdue
ctl clock set 1994-05-16T00:00:00+04:00 >/dev/null
[ "$(jget "$(inbox baku)" '[.deliveries[] | select(.text | test("measure 4"))] | length')" = 0 ] || fail "baku reminded of a confirmed measure"

# X bound on release: due = release time + offset
B=$(jget "$(ctl --json agreement create --title "Second" --text "$D/ceasefire-1994-rev2.txt" --parties baku,yerevan)" .id)
printf 'X+2h | yerevan | Report | confirm\n' > "$T/cal2"
ctl dayx set "$B" on-release >/dev/null
ctl agreement circulate "$B" >/dev/null
ctl timeline set "$B" "$T/cal2" >/dev/null || fail "calendar after circulation"
ctl clock set 1994-05-16T10:30:00+04:00 >/dev/null
sign_all "$B" baku yerevan
[ "$(jget "$(ctl --json timeline show "$B")" '.measures[0].due')" = "1994-05-16T12:30:00+04:00" ] || fail "X on release"
# bad calendars change nothing
printf 'Y+1d | baku | x | confirm\n' > "$T/bad1"; printf 'X+1d | nobody | x | confirm\n' > "$T/bad2"
printf 'X+1d | baku | x\n' > "$T/bad3"; printf 'X+1d | mediator | x | confirm\n' > "$T/bad4"
before=$(snapshot)
for f in bad1 bad2 bad3 bad4; do expect_rc 2 ctl timeline set "$B" "$T/$f"; done
expect_rc 2 ctl dayx set "$B" tomorrow
[ "$(snapshot)" = "$before" ] || fail "a bad calendar changed the store"
pass
