# The calendar finished (issue 20 item 8), replayed on the dates of the
# February 1995 mechanism: X-5 and X+10 are days and X+6h hours, kept in the
# signed calendar as X-5d (the hash of a calendar spelt X-5d is the same);
# a measure for all is each party's to confirm: confirmed for those who did,
# awaiting and overdue for the others (the overdue flag names them), complete
# only when every party has; the mediator confirms its own measures, with a
# note; a party's note (the duty devices' numbers) reaches the mediator and
# the other parties concerned; a party cannot confirm the mediator's measure;
# a bad note is refused and changes nothing; a restart loses nothing.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
P="baku yerevan stepanakert"
for p in $P; do enrol $p; done
cat > "$T/calendar" <<'CAL'
# the mechanism of 3 February 1995 (X = in effect, 00:00 on 6 February)
X-5   | mediator | Proposal of the co-chairmen sent to the three sides     | -
X+6h  | all      | Numbers of the two duty devices reported via the mediator | confirm
X+1d  | baku     | Orders on the mechanism issued to the units               | confirm
X+10  | mediator | Co-chairmen review the first ten days of the mechanism    | -
CAL
sed -e 's/^X-5 /X-5d/' -e 's/^X+10 /X+10d/' "$T/calendar" > "$T/calendar-d"
ctl clock set 1995-02-03T10:00:00+03:00 >/dev/null
mk() { jget "$(ctl --json agreement create --title "Mechanism for settling incidents" \
	--text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan,stepanakert \
	--effective 1995-02-06T00:00:00+03:00)" .id; }
A=$(mk); B=$(mk)
expect_rc 0 ctl timeline set "$A" "$T/calendar"
expect_rc 0 ctl timeline set "$B" "$T/calendar-d"
# X-5 is X-5d in what is signed: the two calendars hash the same
[ "$(jget "$(ctl --json agreement show "$A")" .content_sha256)" = \
	"$(jget "$(ctl --json agreement show "$B")" .content_sha256)" ] || fail "X-5 and X-5d sign differently"
out=$(ctl --json timeline show "$A")
[ "$(jget "$out" '[.measures[].offset] | join(",")')" = "X-5d,X+6h,X+1d,X+10d" ] || fail "offsets: $out"
expect_out "X\+10d" ctl timeline show "$A"
# bad offsets still refused
printf 'X+1d12 | baku | x | confirm\n' > "$T/bad1"; printf 'X+5x | baku | x | confirm\n' > "$T/bad2"
expect_out "is not like X-5" ctl timeline set "$B" "$T/bad1"
expect_rc 2 ctl timeline set "$B" "$T/bad2"
expect_rc 0 ctl dayx set "$A" on-effect
expect_rc 0 ctl agreement circulate "$A"
# the confirmations of 4 February, and the agreement is released
ctl clock set 1995-02-04T12:00:00+03:00 >/dev/null
sign_all "$A" $P
out=$(ctl --json timeline show "$A")
[ "$(jget "$out" '[.measures[].due] | join(",")')" = \
	"1995-02-01T00:00:00+03:00,1995-02-06T06:00:00+03:00,1995-02-07T00:00:00+03:00,1995-02-16T00:00:00+03:00" ] \
	|| fail "due times: $out"
for p in $P; do inbox $p >/dev/null; done

# 6 February, 03:00: baku reports its duty devices
ctl clock set 1995-02-06T03:00:00+03:00 >/dev/null
NOTE="duty devices: fax +994 12 92-22-22, line 92-33-33 (officer on duty)"
expect_out "confirmed by baku" as baku confirm "$A" 2 --note "$NOTE"
out=$(ctl --json timeline show "$A")
m2() { jget "$1" ".measures[] | select(.number == 2) | $2"; }
[ "$(m2 "$out" .status)" = pending ] || fail "all-measure complete on one confirmation: $out"
[ "$(m2 "$out" '[.confirmed_by[].party] | join(",")')" = baku ] || fail "confirmed_by: $out"
[ "$(m2 "$out" '.confirmed_by[0].note')" = "$NOTE" ] || fail "the mediator does not see the note: $out"
[ "$(m2 "$out" '.awaiting | join(",")')" = yerevan,stepanakert ] || fail "awaiting: $out"
expect_out "awaiting yerevan, stepanakert" ctl timeline show "$A"
expect_out "confirmed by baku at 1995-02-06T03:00:00\+03:00, note: \"duty devices" ctl timeline show "$A"
# each party sees itself; the others concerned see baku's note
out=$(as baku --json timeline "$A")
[ "$(m2 "$out" .status),$(m2 "$out" .yours)" = confirmed,confirmed ] || fail "baku's view: $out"
out=$(as yerevan --json timeline "$A")
[ "$(m2 "$out" .status),$(m2 "$out" .yours)" = pending,awaiting ] || fail "yerevan's view: $out"
[ "$(m2 "$out" '.confirmations[0].note')" = "$NOTE" ] || fail "yerevan does not see baku's note: $out"
[ "$(jget "$out" '.measures[] | select(.number == 3) | .confirmations | length')" = 0 ] || fail "baku's own measure shown with its confirmations"
expect_out "awaiting you" as yerevan timeline "$A"
expect_out "confirmed by you" as baku timeline "$A"
for p in yerevan stepanakert; do
	out=$(inbox $p)
	[ "$(jget "$out" '[.deliveries[] | select(.event == "confirmed") | .text] | join("")' | grep -c "fax +994 12 92-22-22")" = 1 ] \
		|| fail "$p not told of baku's confirmation with its note: $out"
done
inbox baku >/dev/null

# 07:00: overdue for yerevan and stepanakert only, and named
ctl clock set 1995-02-06T07:00:00+03:00 >/dev/null
grep -q "measure 2 (X+6h) is OVERDUE since 1995-02-06T06:00:00+03:00 and not confirmed by yerevan, stepanakert" \
	"$T/parleyd.log" || fail "the overdue flag does not name who has not confirmed"
[ "$(jget "$(inbox baku)" '[.deliveries[] | select(.event == "overdue")] | length')" = 0 ] || fail "baku told overdue after confirming"
for p in yerevan stepanakert; do
	[ "$(jget "$(inbox $p)" '[.deliveries[] | select(.event == "overdue")] | length')" = 1 ] || fail "$p not told overdue"
done
[ "$(m2 "$(as baku --json timeline "$A")" .status)" = confirmed ] || fail "baku sees its confirmed measure overdue"
[ "$(m2 "$(as yerevan --json timeline "$A")" .status)" = overdue ] || fail "yerevan does not see overdue"
[ "$(m2 "$(ctl --json timeline show "$A")" .status)" = overdue ] || fail "the mediator does not see overdue"
expect_rc 0 as yerevan confirm "$A" 2 --note "fax +374 10 52-11-11"
out=$(ctl --json timeline show "$A")
[ "$(m2 "$out" .status),$(m2 "$out" '.awaiting | join(",")')" = overdue,stepanakert ] || fail "two of three: $out"
expect_rc 0 as stepanakert confirm "$A" 2
out=$(ctl --json timeline show "$A")
[ "$(m2 "$out" .status),$(m2 "$out" '.awaiting | length')" = confirmed,0 ] || fail "not complete with all three: $out"
[ "$(m2 "$out" '[.confirmed_by[] | .note // "-"] | join("|")')" = "$NOTE|fax +374 10 52-11-11|-" ] || fail "notes: $out"
# a second confirmation changes nothing
before=$(snapshot)
expect_out "already confirmed" as baku confirm "$A" 2 --note "another"
[ "$(snapshot)" = "$before" ] || fail "a repeated confirmation changed the store"

# the mediator's measures (marked - in what is signed, as the bundle
# specification has them): not a party's to confirm; the mediator marks them done
before=$(snapshot)
expect_rc 1 as baku confirm "$A" 4
expect_out "is the mediator.s; parties do not confirm it" as yerevan confirm "$A" 4
expect_out "is baku's to confirm" ctl timeline confirm "$A" 3
expect_out "is every party's to confirm" ctl timeline confirm "$A" 2
expect_rc 1 ctl timeline confirm "$A" 9
expect_rc 2 ctl timeline confirm "$A" x
expect_rc 2 ctl timeline confirm "$A"
# bad notes: too long, a control character, bad UTF-8, a NUL
LONG=$(head -c 501 /dev/zero | tr '\0' n)
expect_out "longer than 500 bytes" as baku confirm "$A" 3 --note "$LONG"
expect_rc 1 as baku confirm "$A" 3 --note "$(printf 'ok\033[2J')"
expect_rc 2 as baku confirm "$A" 3 --note "$(printf '\377\376')"
expect_out "longer than 500 bytes" ctl timeline confirm "$A" 4 --note "$LONG"
expect_rc 2 ctl timeline confirm "$A" 4 --note "$(printf 'bad \377')"
expect_rc 2 ctl timeline confirm "$A" 4 --note "$(printf 'a\033]0;x\007')"
# a ConfirmRequest whose note holds a NUL: id 1, confirm (22) {agreement,
# measure 3, note "a\0b"}
hex=$(printf '0801b20109%02x%02x10031a03610062' 8 "$A")
expect_rc 1 ptool raw "$T/baku/client.conf" "$hex"
[ "$(snapshot)" = "$before" ] || fail "a refused confirmation changed the store"
inbox baku >/dev/null

ctl clock set 1995-02-16T09:00:00+03:00 >/dev/null
[ "$(jget "$(ctl --json timeline show "$A")" '.measures[] | select(.number == 4) | .status')" = due ] || fail "the mediator's measure not due"
for p in $P; do inbox $p >/dev/null; done
expect_out "measure 4 of agreement $A confirmed by the mediator" \
	ctl timeline confirm "$A" 4 --note "reviewed in Moscow with the three sides"
out=$(ctl --json timeline show "$A")
[ "$(jget "$out" '.measures[] | select(.number == 4) | .status')" = confirmed ] || fail "mediator's measure: $out"
[ "$(jget "$out" '.measures[] | select(.number == 4) | .confirmed_by[0].party')" = mediator ] || fail "confirmed_by: $out"
for p in $P; do
	out=$(inbox $p)
	[ "$(jget "$out" '[.deliveries[] | select(.event == "confirmed") | .text | test("confirmed by mediator.*note: reviewed in Moscow")] | length')" = 1 ] \
		|| fail "$p not told of the mediator's confirmation: $out"
	out=$(as $p --json timeline "$A")
	[ "$(jget "$out" '.measures[] | select(.number == 4) | .confirmations[0].note')" = \
		"reviewed in Moscow with the three sides" ] || fail "$p does not see the mediator's note: $out"
done
expect_out "was already confirmed" ctl timeline confirm "$A" 4
ctl --json journal show --agreement "$A" > "$T/journal.json"
grep -q "measure 4 (X+10d) confirmed by mediator, with a note" "$T/journal.json" || fail "not journalled"
grep -q "measure 2 (X+6h) confirmed by baku, with a note" "$T/journal.json" || fail "baku's not journalled"
grep -q "fax +994" "$T/journal.json" && fail "a note went into the record every member reads"

# a restart loses nothing
c1=$(ctl --json timeline show "$A"); y1=$(as yerevan --json timeline "$A")
restart
[ "$(ctl --json timeline show "$A")" = "$c1" ] || fail "the mediator's view changed across a restart"
[ "$(as yerevan --json timeline "$A")" = "$y1" ] || fail "yerevan's view changed across a restart"
pass
