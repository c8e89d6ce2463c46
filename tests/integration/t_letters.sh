# Issue 22, item 1: letters.  December 1993: yerevan writes to baku with
# a copy to the mediator (the memoir's constant pattern); baku answers the
# mediator alone; the mediator writes to two sides with a copy to the
# third.  Addressees and copies are distinguished in the delivery, in
# letter list/show and in JSON; every addressee and copy has receipts per
# endpoint; each letter is journalled for those it concerns and nobody
# else; a notice's text comes from a file or standard input, up to the
# text limit.  Bad input is refused with the reason and changes nothing.
. "$(dirname "$0")/lib.sh"
setup
export RXLOG_DIR=$T/rx
mkdir "$RXLOG_DIR"
for p in baku yerevan stepanakert; do enrol $p; done
enrol minsk --observer
ctl clock set 1993-12-17T10:00:00+03:00 >/dev/null

# yerevan to baku, a copy to the mediator implied
printf '%s\n' "Уважаемый господин министр," "предлагаем продлить прекращение огня до 1 марта 1994 года." >"$T/l1.txt"
out=$(as yerevan --json letter send --to baku --text "$T/l1.txt" --subject "Продление перемирия")
L1=$(jget "$out" .id)
[ "$L1" -ge 1 ] || fail "no letter id: $out"
echo "$out" | grep -q "copies to mediator" || fail "the sender is not told the mediator holds a copy: $out"
d=$(inbox baku)
[ "$(jget "$d" '.deliveries[] | select(.kind == "letter") | .from')" = yerevan ] || fail "baku: no letter: $d"
[ "$(jget "$d" '.deliveries[] | select(.kind == "letter") | .to | join(",")')" = baku ] || fail "to: $d"
[ "$(jget "$d" '.deliveries[] | select(.kind == "letter") | .cc | join(",")')" = mediator ] || fail "cc: $d"
[ "$(jget "$d" '.deliveries[] | select(.kind == "letter") | .text')" = "$(cat "$T/l1.txt")" ] ||
	fail "the letter's text did not come through byte for byte"
# the mediator holds it, with baku's receipt
sh=$(ctl --json letter show "$L1")
[ "$(jget "$sh" '.to[0].party')" = baku ] || fail "letter show: $sh"
[ "$(jget "$sh" '.to[0].receipts[0].acked_at')" != null ] || fail "baku's receipt not recorded: $sh"
[ "$(jget "$sh" '.cc[0].party')" = mediator ] || fail "the mediator's copy is not shown: $sh"
expect_out "to baku" ctl letter show "$L1"
# nobody else hears of it, on any channel
for p in stepanakert minsk; do as $p --json inbox >/dev/null; as $p journal >/dev/null; done
grep -q "Продление\|продлить" "$RXLOG_DIR/stepanakert.rx" "$RXLOG_DIR/minsk.rx" && fail "a third party read the letter"
grep -q "letter $L1" "$RXLOG_DIR/stepanakert.rx" && fail "a third party learnt of the letter"
as baku journal >"$T/j-baku"
grep -q "letter $L1 from yerevan to baku; cc mediator" "$T/j-baku" || fail "baku's record lacks the letter"
as yerevan journal | grep -q "letter $L1 sent by yerevan" || fail "yerevan's record lacks its letter"

# baku answers the mediator alone, urgently, from standard input
printf '%s\n' "Notice No. 97: a list of violations." |
	expect_out "letter [0-9]* sent to mediator" as baku letter send --to mediator --text - --urgent
L2=$(jget "$(ctl --json letter list --last 1)" '.letters[0].id')
[ "$(jget "$(ctl --json letter show "$L2")" .urgent)" = true ] || fail "urgent not kept"
grep -q "urgent letter $L2 from baku to mediator" "$T/parleyd.log" || fail "an urgent letter is not logged as a warning"
as yerevan --json inbox >/dev/null
grep -q "violations" "$RXLOG_DIR/yerevan.rx" && fail "yerevan read baku's letter to the mediator"

# the mediator to two sides with a copy to the third
printf '%s\n' "Я предлагаю встретиться в Москве 19 декабря." >"$T/l3.txt"
out=$(ctl --json letter send --to baku,yerevan --cc stepanakert --text "$T/l3.txt" --subject "Встреча")
L3=$(jget "$out" .id)
d=$(inbox stepanakert)
[ "$(jget "$d" '.deliveries[] | select(.kind == "letter") | .cc | join(",")')" = stepanakert ] ||
	fail "stepanakert is not shown as a copy: $d"
[ "$(jget "$d" '.deliveries[] | select(.kind == "letter") | .to | join(",")')" = baku,yerevan ] ||
	fail "the addressees are not shown to the copy: $d"
ls=$(ctl --json letter list --party stepanakert)
[ "$(jget "$ls" '[.letters[].id] | join(",")')" = "$L3" ] || fail "letter list --party: $ls"
[ "$(jget "$(ctl --json letter list)" '.letters | length')" = 3 ] || fail "letter list"
expect_out "cc stepanakert" ctl letter list

# notices take a file or standard input now, up to the text limit
head -c 300000 /dev/zero | tr '\0' 'x' >"$T/big.txt"
expect_rc 0 ctl notice send baku --text "$T/big.txt"
d=$(inbox baku)
[ "$(jget "$d" '[.deliveries[] | select(.kind == "notice") | .text | length] | max')" = 300000 ] ||
	fail "a 300 KB notice did not arrive whole"

# the letters survive a restart
restart
[ "$(jget "$(ctl --json letter list)" '.letters | length')" = 3 ] || fail "letters lost in a restart"

# bad input: refused with the reason, nothing changed
before=$(snapshot)
expect_out "cannot write to itself" as baku letter send --to baku --text "$T/l1.txt"
expect_out "unknown party \"nobody\"" as baku letter send --to nobody --text "$T/l1.txt"
expect_out "named twice" as baku letter send --to yerevan --cc yerevan --text "$T/l1.txt"
expect_out "named twice" ctl letter send --to baku,all --text "$T/l1.txt"
expect_rc 2 as baku letter send --to yerevan,,stepanakert --text "$T/l1.txt"
expect_rc 2 as baku letter send --text "$T/l1.txt"
printf '\377\376 not UTF-8\n' >"$T/bad.txt"
expect_rc 2 as baku letter send --to yerevan --text "$T/bad.txt"
printf 'a \342\200\256 bidi\n' >"$T/bidi.txt"
expect_rc 2 as baku letter send --to yerevan --text "$T/bidi.txt"
printf '   \n' | expect_out "blank" ctl letter send --to baku --text -
printf '\n\n' | expect_rc 2 as baku letter send --to yerevan --text -
expect_out "unknown party" ctl letter send --to baku,nobody --text "$T/l1.txt"
expect_out "cannot write to itself" ctl letter send --to mediator --text "$T/l1.txt"
expect_rc 2 ctl letter send --to baku --text "$T/l1.txt" --subject "$(printf 'a\tb')"
expect_out "no letter 99" ctl letter show 99
[ "$(snapshot)" = "$before" ] || fail "a refused letter changed the store"
# delivery and notice lists filtered by party and agreement
[ "$(jget "$(ctl --json delivery list --party stepanakert)" '[.messages[].party] | unique | join(",")')" = stepanakert ] ||
	fail "delivery list --party"
[ "$(jget "$(ctl --json delivery list --agreement 99)" '.messages | length')" = 0 ] || fail "delivery list --agreement"
[ "$(jget "$(ctl --json notice list --party baku --last 1)" '.messages | length')" = 1 ] || fail "notice list --party --last"
# any argument not UTF-8: a clear refusal (exit 2), nothing changed, the
# connection kept (the refusal never echoes the bytes)
printf 'x\n' >"$T/x.txt"
before=$(snapshot)
for args in "letter send --to $(printf '\xff') --text $T/x.txt" "duty contacts pass $(printf '\xff') --to all" \
	"template show $(printf '\xff')" "notice send $(printf '\xff') --text $T/x.txt" \
	"letter send --to baku --subject $(printf '\xfe\xff') --text $T/x.txt"; do
	out=$(ctl $args 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "not valid UTF-8" <<<"$out" || fail "ctl $args: exit $rc: $out"
done
[ "$(snapshot)" = "$before" ] || fail "a refused argument changed the store"
# "mediator" and "all" name someone else wherever a party code stands
expect_out "cannot be a party code" ctl party add mediator --name "Not the mediator"
expect_out "cannot be a party code" ctl party add all --name "Everyone"
# a party's letters are stored once for each recipient: no more than
# [limits] letter_bytes_per_day of them in any 24 hours
printf '[limits]\nletter_bytes_per_day = 1048576\n' >>"$T/parleyd.conf"
restart
ctl clock advance 25h >/dev/null	# the letters above out of the window
head -c 300000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
expect_rc 0 as baku letter send --to yerevan --text "$T/big.txt"	# 2 x 300000
before=$(snapshot)
# (300000 + 1 KiB) x 2: the text and what else each copy stores
expect_out "has sent 602048 bytes .* would pass the limit of 1048576" as baku letter send --to yerevan --text "$T/big.txt"
[ "$(snapshot)" = "$before" ] || fail "a letter over the quota changed the store"
expect_rc 0 as yerevan letter send --to baku --text "$T/big.txt"	# another party's own
ctl clock advance 25h >/dev/null
expect_rc 0 as baku letter send --to yerevan --text "$T/big.txt"	# a day later
pass
