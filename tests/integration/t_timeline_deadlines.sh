# Signing deadlines on the virtual clock: reminders at the right times and
# only to parties that have not signed (one that has hears of the deadline
# with its copy in: one delivery each, so that the delivery ids, one
# sequence for all, count no one's signing), lapse at the deadline, a late copy
# refused with "lapsed", and a restart between two timers that neither loses
# nor repeats one.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan stepanakert; do enrol $p; done
ctl clock set 1994-09-01T12:00:00+04:00 >/dev/null
A=$(jget "$(ctl --json agreement create --title "Deadline test" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan,stepanakert --sign-by 1994-09-03T12:00:00+04:00)" .id)
expect_rc 0 ctl agreement circulate "$A"
[ "$(jget "$(ctl --json agreement show "$A")" .sign_by)" = "1994-09-03T12:00:00+04:00" ] || fail "sign_by not shown"
ctl clock set 1994-09-01T13:00:00+04:00 >/dev/null
expect_rc 0 as baku sign "$A" --yes
for p in baku yerevan stepanakert; do inbox $p >/dev/null; done

# the 24 h reminder: yerevan and stepanakert, at 12:00 on Sep 2; not baku
fired() { db "SELECT count(*) FROM timer WHERE fired_at IS NOT NULL"; }
ctl clock set 1994-09-02T13:00:00+04:00 >/dev/null
[ "$(fired)" = 1 ] || fail "expected one timer fired: $(fired)"
rem() { jget "$1" '[.deliveries[] | select(.event == "sign-reminder") | .created_at] | join(",")'; }
out=$(inbox baku)
[ "$(rem "$out")" = "" ] || fail "baku, who signed, was reminded"
[ "$(jget "$out" '[.deliveries[] | select(.event == "sign-deadline") | .created_at] | join(",")')" = \
	"1994-09-02T12:00:00+04:00" ] || fail "baku, who signed, not told of the deadline: $out"
[ "$(rem "$(inbox yerevan)")" = "1994-09-02T12:00:00+04:00" ] || fail "yerevan's 24 h reminder"
[ "$(rem "$(inbox stepanakert)")" = "1994-09-02T12:00:00+04:00" ] || fail "stepanakert's 24 h reminder"

# a restart between two timers
restart
ctl clock set 1994-09-03T10:00:00+04:00 >/dev/null
expect_rc 0 as yerevan sign "$A" --yes
ctl clock set 1994-09-03T12:30:00+04:00 >/dev/null
[ "$(fired)" = 3 ] || fail "expected the 1 h reminder and the deadline: $(fired)"
[ "$(rem "$(inbox stepanakert | tee "$T/st.json")")" = "1994-09-03T11:00:00+04:00" ] || fail "stepanakert's 1 h reminder"
[ "$(jget "$(cat "$T/st.json")" '[.deliveries[] | select(.event == "lapsed") | .created_at] | join(",")')" = "1994-09-03T12:00:00+04:00" ] \
	|| fail "stepanakert not told of the lapse at 12:00"
out=$(inbox yerevan)
[ "$(rem "$out")" = "" ] || fail "yerevan, who had signed, got the 1 h reminder"
[ "$(jget "$out" '[.deliveries[] | select(.event == "lapsed")] | length')" = 1 ] || fail "yerevan not told of the lapse"
[ "$(jget "$(ctl --json agreement show "$A")" .state)" = lapsed ] || fail "not lapsed"
# a late copy is refused; a lapsed agreement is never released
expect_out "lapsed" as stepanakert sign "$A" --yes
expect_out "lapsed" ctl agreement withdraw "$A"
# nothing fires twice after another restart, and nothing is lost
restart
ctl clock advance 3d >/dev/null
[ "$(fired)" = 3 ] || fail "a timer fired twice: $(fired)"
[ "$(jget "$(inbox stepanakert)" .count)" = 0 ] || fail "deliveries repeated after restart"
[ "$(db "SELECT count(*) FROM timer WHERE fired_at IS NULL")" = 0 ] || fail "timers left unfired"
[ "$(db "SELECT count(*) FROM timer")" = 3 ] || fail "wrong number of timers"
# a deadline in the past cannot be set
expect_rc 2 ctl agreement create --title Late --text "$D/ceasefire-1994-rev1.txt" --parties baku --sign-by 1994-09-01T00:00:00+04:00
pass
