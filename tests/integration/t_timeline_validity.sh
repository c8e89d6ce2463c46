# Effect, validity, expiry and extensions on the virtual clock: the effect
# notice at 00:01 after a release the evening before; expiry at the end of an
# inclusive date; an extension released at 23:55 keeps coverage continuous,
# one released at 00:05 next day does not resurrect the original; an
# open-ended agreement cannot be extended, only reaffirmed.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
P="baku yerevan stepanakert"
for p in $P; do enrol $p; done
new() { jget "$(ctl --json agreement create --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan,stepanakert "$@")" .id; }

# May 1994: released on the evening of May 11, in effect at 00:01 May 12, open-ended
ctl clock set 1994-05-11T21:00:00+04:00 >/dev/null
A0=$(new --title "May ceasefire" --effective 1994-05-12T00:01:00+04:00)
ctl agreement circulate "$A0" >/dev/null; sign_all "$A0" $P
for p in $P; do inbox $p >/dev/null; done
ctl clock set 1994-05-12T08:00:00+04:00 >/dev/null
out=$(inbox yerevan)
[ "$(jget "$out" '[.deliveries[] | select(.event == "in-effect") | .created_at] | join(",")')" = "1994-05-12T00:01:00+04:00" ] \
	|| fail "effect notice not at 00:01: $out"
[ "$(jget "$(ctl --json agreement show "$A0")" .expires_at)" = null ] || fail "A0 is not open-ended"
# open-ended: extension refused, reaffirmation recorded
expect_out "open-ended: it cannot be extended.*--reaffirms $A0" ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --extends "$A0"
R=$(new --title "Reaffirmation" --reaffirms "$A0")
ctl agreement circulate "$R" >/dev/null; sign_all "$R" $P
expect_out "reaffirmed by agreement $R" ctl agreement show "$A0"

# Aug 31 to Sep 10 inclusive: warnings at 24 h and 1 h, expiry at 00:00 Sep 11
ctl clock set 1994-08-30T12:00:00+04:00 >/dev/null
A1=$(new --title "From August 31 to September 10 inclusive" --effective 1994-08-31T00:00:00+04:00 --valid-until 1994-09-10)
ctl agreement circulate "$A1" >/dev/null; sign_all "$A1" $P
for p in $P; do inbox $p >/dev/null; done
[ "$(jget "$(ctl --json agreement show "$A1")" .expires_at)" = "1994-09-11T00:00:00+04:00" ] || fail "inclusive date not to the end of the day"
ctl clock set 1994-09-10T23:59:00+04:00 >/dev/null
[ "$(jget "$(ctl --json agreement show "$A1")" .state)" = in_force ] || fail "expired early"
out=$(inbox baku)
[ "$(jget "$out" '[.deliveries[] | select(.event == "expiry-warning") | .created_at] | join(",")')" = \
	"1994-09-10T00:00:00+04:00,1994-09-10T23:00:00+04:00" ] || fail "expiry warnings: $out"
ctl clock set 1994-09-11T00:00:00+04:00 >/dev/null
[ "$(jget "$(ctl --json agreement show "$A1")" .state)" = expired ] || fail "not expired at the end of Sep 10"
[ "$(jget "$(inbox baku)" '[.deliveries[] | select(.event == "expired")] | length')" = 1 ] || fail "no expiry notice"

# Sep 13: an extension signed at 23:55, five minutes before expiry
ctl clock set 1994-09-12T10:00:00+04:00 >/dev/null
A2=$(new --title "Ceasefire to September 13" --valid-until 1994-09-13)
A3=$(new --title "Another, to September 13" --valid-until 1994-09-13)
for a in $A2 $A3; do ctl agreement circulate "$a" >/dev/null; sign_all "$a" $P; done
E2=$(new --title "Extension of $A2" --valid-until 1994-10-13 --extends "$A2")
E3=$(new --title "Extension of $A3" --valid-until 1994-10-13 --extends "$A3")
for a in $E2 $E3; do ctl agreement circulate "$a" >/dev/null; done
ctl clock set 1994-09-13T23:55:00+04:00 >/dev/null
sign_all "$E2" $P
out=$(ctl --json agreement show "$A2")
[ "$(jget "$out" .expires_at)" = "1994-10-14T00:00:00+03:00" ] || fail "A2 not extended to E2's end (Moscow is UTC+3 again in October): $out"
[ "$(jget "$out" '.extended_by[0].id')" = "$E2" ] || fail "show lacks the chain: $out"
ctl clock set 1994-09-14T00:05:00+04:00 >/dev/null
[ "$(jget "$(ctl --json agreement show "$A2")" .state)" = in_force ] || fail "A2 expired despite its extension"
[ "$(jget "$(ctl --json agreement show "$A3")" .state)" = expired ] || fail "A3 did not expire at midnight"
# E3 arrives after A3 expired: marked, its parties told, its copies refused,
# it cannot be circulated again or released as a standalone agreement
out=$(ctl --json agreement show "$E3")
[ "$(jget "$out" '[.record[] | select(.kind == "cannot-extend")] | length')" = 1 ] || fail "E3 not marked: $out"
[ "$(jget "$(inbox baku)" '[.deliveries[] | select(.event == "cannot-extend")] | length')" = 1 ] \
	|| fail "baku not told that E3 can no longer extend A3"
expect_rc 1 as baku sign "$E3" --yes
expect_out "can no longer extend it" as yerevan sign "$E3" --yes
[ "$(jget "$(ctl --json agreement show "$E3")" .state)" = circulating ] || fail "E3 changed state"
[ "$(jget "$(ctl --json agreement show "$A3")" .state)" = expired ] || fail "a late extension resurrected A3"
expect_out "can no longer extend agreement $A3" ctl agreement remind "$E3"
expect_out "has expired: it can no longer be extended" ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --valid-until 1994-10-13 --extends "$A3"
# the chain runs on: A2 expires with its extension on Oct 14
for p in $P; do inbox $p >/dev/null; done
ctl clock set 1994-10-14T00:00:00+03:00 >/dev/null
[ "$(jget "$(ctl --json agreement show "$A2")" .state)" = expired ] || fail "A2 outlived its extension"
[ "$(jget "$(ctl --json agreement show "$E2")" .state)" = expired ] || fail "E2 did not expire"
# one warning at each lead and one expiry notice for the chain, naming it
out=$(inbox stepanakert)
[ "$(jget "$out" '[.deliveries[] | select(.event == "expiry-warning")] | length')" = 2 ] \
	|| fail "the chain A2-E2 warned more than once per lead: $out"
[ "$(jget "$out" '[.deliveries[] | select(.event == "expired")] | length')" = 1 ] \
	|| fail "the chain A2-E2 sent more than one expiry notice: $out"
case $out in *"agreement $E2 \\\"Extension of $A2\\\" (extending agreement $A2) expired at"*) ;;
	*) fail "the expiry notice does not name the chain: $out" ;; esac
expect_rc 2 ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --valid-for 10d --valid-until 1994-12-01
expect_rc 2 ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --valid-until 1994-13-01

# Terms that contradict each other or the clock (issue 20): refused with the
# reason, nothing created.  The clock reads 1994-10-14T00:00+03:00.
x() { expect_rc 2 ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku "$@"; }
before=$(snapshot)
x --effective 1994-10-13T12:00:00+03:00
expect_out "already past" ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --effective 1994-10-13T12:00:00+03:00
x --valid-until 1994-10-13
x --effective 1994-11-01T00:00:00+03:00 --valid-until 1994-10-31
expect_out "before the agreement takes effect" ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --effective 1994-11-01T00:00:00+03:00 --valid-until 1994-10-31
x --effective 1994-11-01T00:00:00+03:00 --sign-by 1994-11-02T00:00:00+03:00
expect_out "sign-after-effect" ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --effective 1994-11-01T00:00:00+03:00 --sign-by 1994-11-02T00:00:00+03:00
x --valid-until 1994-11-01 --sign-by 1994-11-05T00:00:00+03:00
[ "$(snapshot)" = "$before" ] || fail "a refused create changed the store"
# ... unless the mediator says so
L=$(new --title "Late signing allowed" --effective 1994-11-01T00:00:00+03:00 --sign-by 1994-11-02T00:00:00+03:00 --sign-after-effect)
[ -n "$L" ] || fail "--sign-after-effect refused"
# an extension must carry on what it extends: no gap, a later end
B=$(new --title "Base" --valid-until 1994-11-30)
x --extends "$B" --valid-until 1994-11-20
expect_out "would not extend it" ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --extends "$B" --valid-until 1994-11-20
x --extends "$B" --effective 1994-12-05T00:00:00+03:00 --valid-until 1995-01-31
expect_out "would leave a gap" ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --extends "$B" --effective 1994-12-05T00:00:00+03:00 --valid-until 1995-01-31

# The agreement carries its zone: "September 10 inclusive" for an agreement in
# Moscow time ends at the same instant whether parleyd runs under TZ=UTC or
# TZ=Asia/Baku (issue 20); so does a date-only signing deadline.
expect_rc 2 ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --zone Mars/Olympus
expect_rc 2 ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" --parties baku --zone ../../etc/passwd
tz0=$TZ
for tz in UTC Asia/Baku; do
	stop_daemon
	export TZ=$tz
	start_daemon
	id=$(new --title "In Moscow time, run under $tz" --zone Europe/Moscow --valid-until 1995-09-10 --sign-by 1994-12-01)
	out=$(ctl --json agreement show "$id")
	[ "$(jget "$out" .zone)" = Europe/Moscow ] || fail "zone not kept: $out"
	[ "$(jget "$out" .validity)" = "until 1995-09-10T20:00:00Z" ] || fail "under TZ=$tz, September 10 inclusive in Moscow: $out"
	[ "$(date -u -d "$(jget "$out" .sign_by)" +%FT%TZ)" = 1994-12-01T21:00:00Z ] || fail "under TZ=$tz, sign by December 1: $out"
	expect_out "zone: Europe/Moscow" ctl agreement show "$id"
	expect_out "validity: until 1995-09-11T00:00:00\+04:00" ctl agreement show "$id"
	# what parleyd says of it is in Moscow time too
	ctl agreement circulate "$id" >/dev/null
	expect_out "signed by 1994-12-06T00:00:00\+03:00 \(was 1994-12-02T00:00:00\+03:00\)" ctl agreement deadline "$id" 1994-12-05
done
export TZ=$tz0
x --valid-until 1995-02-30
x --sign-by 1995-04-31
x --zone right/Europe/Moscow
x --zone posixrules
# a moved deadline is checked against the terms too, and no copy counts
# once the validity has ended before release (review of issue 20)
V=$(new --title "Short-lived" --valid-until 1995-11-30)
ctl agreement circulate "$V" >/dev/null
expect_out "not before the validity ends" ctl agreement deadline "$V" 1995-12-05
ctl clock set 1995-12-01T12:00:00+03:00 >/dev/null
expect_out "validity ended at .* before it was released" as baku sign "$V" --yes
[ "$(jget "$(ctl --json agreement show "$V")" .state)" = circulating ] || fail "an agreement past its validity changed state"
# a validity as a person reads it, and the header first
W=$(new --title "Ten days" --valid-for 1d12h)
expect_out "validity: for 1 day 12 hours" ctl agreement show "$W"
ctl agreement show "$W" | head -1 | grep -q "^agreement $W: Ten days$" || fail "agreement show does not begin with its header"
pass
