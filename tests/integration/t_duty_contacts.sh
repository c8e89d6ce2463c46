# Issue 22, item 4: a duty directory (February 1995, obligation 4: the
# sides reported the numbers of their duty devices via the mediator).
# baku records its contacts; the mediator records stepanakert's for it and
# passes each to the others as a letter with receipts; each side sees its
# own list and what was passed to it, nothing else; bad lists are refused
# and change nothing.
. "$(dirname "$0")/lib.sh"
setup
export RXLOG_DIR=$T/rx
mkdir "$RXLOG_DIR"
for p in baku yerevan stepanakert; do enrol $p; done
ctl clock set 1995-02-05T12:00:00+03:00 >/dev/null
cat >"$T/baku.txt" <<'TXT'
Колонель Мамедов | duty officer | fax  | +994 12 000001 | 24 h
Major Aliyev     | deputy       | phone| +994 12 000002 | 08:00-20:00
TXT
expect_out "the duty contacts of baku are recorded" as baku duty contacts set "$T/baku.txt"
printf 'Col. Babayan | duty officer | radio | channel 4 | 24 h\n' >"$T/st.txt"
expect_rc 0 ctl duty contacts set stepanakert "$T/st.txt"
# nothing passed yet: each sees only its own
[ "$(jget "$(as baku --json duty contacts)" '[.contacts[] | .party] | join(",")')" = baku ] || fail "baku's own"
[ "$(jget "$(as yerevan --json duty contacts)" '.contacts | length')" = 0 ] || fail "yerevan saw a list"
# the mediator passes baku's to all the others, stepanakert's to baku
out=$(ctl --json duty contacts pass baku --to all)
L=$(jget "$out" .letter)
expect_rc 0 ctl duty contacts pass stepanakert --to baku
for p in yerevan stepanakert; do
	c=$(as $p --json duty contacts)
	[ "$(jget "$c" '.contacts[] | select(.party == "baku") | .text')" = \
		"$(printf '%s\n' 'Колонель Мамедов | duty officer | fax | +994 12 000001 | 24 h' 'Major Aliyev | deputy | phone | +994 12 000002 | 08:00-20:00')" ] ||
		fail "$p does not see baku's contacts as passed: $c"
done
[ "$(jget "$(as baku --json duty contacts)" '[.contacts[] | .party] | sort | join(",")')" = baku,stepanakert ] ||
	fail "baku does not see stepanakert's"
grep -q "Babayan" "$RXLOG_DIR/yerevan.rx" && fail "yerevan read stepanakert's contacts"
# the letter, with receipts
for p in yerevan stepanakert; do inbox $p >/dev/null; done
sh=$(ctl --json letter show "$L")
[ "$(jget "$sh" .subject)" = "duty contacts of baku" ] || fail "letter: $sh"
[ "$(jget "$sh" '[.to[] | .receipts[0].acked_at != null] | all')" = true ] || fail "receipts: $sh"
expect_out "passed to yerevan,stepanakert" ctl duty contacts list
# a list changed after it was passed is not shown to the others until passed again
printf 'Col. Mamedov | duty officer | fax | +994 12 000009 | 24 h\n' >"$T/baku2.txt"
expect_rc 0 as baku duty contacts set "$T/baku2.txt"
jget "$(as yerevan --json duty contacts)" '.contacts[0].text' | grep -q 000001 || fail "an unpassed change reached yerevan"
expect_out "passed to nobody yet; an earlier list is with yerevan,stepanakert" ctl duty contacts list
# bad lists: refused, nothing changed
before=$(snapshot)
printf 'only | three | fields\n' >"$T/bad1"; printf 'a | b | c | d | e | f\n' >"$T/bad2"
printf 'a |  | c | d | e\n' >"$T/bad3"; printf '\n\n' >"$T/bad4"
for b in bad1 bad2 bad3 bad4; do expect_rc 1 as baku duty contacts set "$T/$b"; done
expect_out "unknown party" ctl duty contacts pass nobody --to all
expect_out "has recorded no duty contacts" ctl duty contacts pass yerevan --to baku
[ "$(snapshot)" = "$before" ] || fail "a refused list changed the store"
pass
