# The record stays UTF-8 whatever a party writes (review of issue 20): a note
# or reason of multi-byte characters long enough that the chronology line
# and journal note are cut short is cut at a whole character, so every
# member's `parley journal` and the mediator's `agreement show` keep
# working; control bytes in reasons and notes are refused.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
P1=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1; P2=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2; O=ooooooooooooooooooooooooooooooo3
enrol $P1; enrol $P2; enrol $O --observer
printf 'Text.\n' >"$T/t.txt"
ctl clock set 1995-02-01T10:00:00+03:00 >/dev/null
A=$(jget "$(ctl --json agreement create --title E --text "$T/t.txt" --parties $P1,$P2)" .id)
ctl agreement circulate "$A" >/dev/null
NOTE=$(python3 -c 'print("z" + "\u044f" * 249, end="")')
expect_rc 0 as $P1 observer request "$A" $O --note "$NOTE"
expect_rc 0 as $P2 observer object 1 --reason "$(python3 -c 'print("x" + "\u044f" * 249, end="")')"
utf8() { python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")'; }
out=$(ctl --json agreement show "$A") || fail "agreement show: $out"
printf '%s' "$out" | utf8 || fail "agreement show is not UTF-8"
for p in $P1 $P2; do
	out=$(as $p --json journal --agreement "$A") || fail "$p journal: $out"
	printf '%s' "$out" | utf8 || fail "$p's journal is not UTF-8"
done
db "SELECT hex(CAST(text AS BLOB)) FROM ag_event" | python3 -c '
import sys
for line in sys.stdin:
    bytes.fromhex(line.strip()).decode("utf-8")' || fail "a chronology line is not UTF-8"
expect_out "journal .*every hash recomputed" ctl journal verify
# control bytes (a terminal escape) in a reason or note are refused, nothing stored
before=$(snapshot)
expect_out "control character" as $P1 decline "$A" --reason "$(printf 'ok\033]0;pwned\007')"
expect_out "control character" as $P2 observer request "$A" $O --note "$(printf 'x\033[2J')"
expect_out "control character" as $P2 decline "$A" --reason "$(printf 'x\rY')"
[ "$(snapshot)" = "$before" ] || fail "a refused text changed the store"
pass
