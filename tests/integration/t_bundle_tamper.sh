# The release bundle against an outside check (issue 17; doc/bundle.md).
#
# One agreement with everything a bundle can carry: a Day-X calendar signed
# with the text, a party signing in two roles under mandates (one signer in
# another's place, writing two reservations on its copy, as in Bishkek), a
# signature subject to ratification, an observer, a text in Cyrillic and
# Armenian, and the
# party codes that used to collide (party "a" in role "b" beside party
# "a-b": both were copy-a-b.txt).  Before release a re-worded copy of the
# calendar-bearing revision is kept as evidence with its diff (not refused
# as a hash mismatch).  After release both verifiers, parley's and the
# independent tests/interop/verify_bundle.py, accept the bundle, and then
# every byte of every file is tampered with at least four ways, every file
# truncated, extended, emptied and deleted, and files added: each verifier,
# in one process over all the cases, must refuse every one, and both must
# have counted the same cases.
. "$(dirname "$0")/lib.sh"
setup
INTEROP=$(cd "$(dirname "$0")/../interop" && pwd)
PY=/usr/bin/python3
for p in baku yerevan a a-b; do enrol $p; done
enrol minsk --observer
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null
key() { openssl genpkey -algorithm ed25519 -out "$T/$1.key" 2>/dev/null &&
	openssl pkey -in "$T/$1.key" -pubout -out "$T/$1.pub" 2>/dev/null || fail "key $1"; }
key principal
key military
expect_rc 0 ctl principal add baku --key "$T/principal.pub"

printf '%s\n' "Соглашение о прекращении огня" "Հրադադարի համաձայնագիր" \
	"1. Fire ceases at 00:01 on 12 May 1994." \
	"2. This agreement comes into force when the mediator has received identical documents." >"$T/text"
cat >"$T/calendar" <<'CAL'
X-1d | all | Orders for the ceasefire issued | confirm
X+0h | mediator | Ceasefire begins | -
X+3d | baku | Report on the withdrawal	from positions | confirm
CAL
A=$(jget "$(ctl --json agreement create --title "Ceasefire — Прекращение огня" --text "$T/text" \
	--parties baku,yerevan,a,a-b --observers minsk --signatories baku=political+military,a=b \
	--effective 1994-05-12T00:01:00+04:00 --valid-for 10d)" .id)
[ -n "$A" ] && [ "$A" != null ] || fail "no agreement"
expect_rc 0 ctl timeline set "$A" "$T/calendar"
expect_rc 0 ctl dayx set "$A" on-effect
expect_rc 0 ctl agreement circulate "$A"

# mandates: the political signer in Dzhalilov's place, the military one
for r in political military; do
	k=$T/baku/signer.pub
	[ $r = military ] && k=$T/military.pub
	extra=()
	[ $r = political ] && extra=(--in-place-of "Dzhalilov")
	out=$(as baku --json mandate issue --principal-key "$T/principal.key" --signer-key "$k" \
		--roles $r --scope "agreements:$A" "${extra[@]}") || fail "mandate $r: $out"
done

# A re-worded copy of a revision with a calendar: evidence, with its diff.
sed 's/00:01/00:00/' "$T/text" >"$T/reworded"
expect_rc 1 as yerevan sign "$A" --yes --text "$T/reworded"
grep -q "not identical to revision 1" "$T/last.out" ||
	{ cat "$T/last.out"; fail "a re-worded copy with a calendar was not kept as a non-identical copy"; }
[ "$(db "SELECT count(*) FROM copy WHERE agreement_id = $A AND status = 'non-identical'")" = 1 ] ||
	fail "the non-identical copy was not stored"
expect_out "00:00" ctl agreement diff "$A" yerevan

ctl clock set 1994-05-10T09:00:00+04:00 >/dev/null
printf '%s\n' "Оговорки:" "1. «Конфликтующие стороны» читать как «стороны конфликта»." "" \
	"2. Ratified by the Milli Meclis before it binds." >"$T/reservation"
expect_out accepted as baku sign "$A" --yes --role political --reservation "$T/reservation"
expect_out accepted as baku sign "$A" --yes --role military --key "$T/military.key"
# yerevan signs with a key the mediator registered under a name and office
expect_out "parleyctl signer add PARTY --key" as yerevan key new "$T/defence.key"
expect_rc 0 ctl signer add yerevan --key "$T/defence.key.pub" --name "Վազգեն Սարգսյան" \
	--title "Minister of Defence"
expect_out accepted as yerevan sign "$A" --yes --key "$T/defence.key" \
	--subject-to "վավերացում Ազգային ժողովի կողմից"
expect_out accepted as a sign "$A" --yes --role b
expect_out "agreement $A is released" as a-b sign "$A" --yes

# Every member's delivered bundle verifies (the collision case included).
for p in baku yerevan a a-b minsk; do
	out=$(inbox $p)
	[ "$(jget "$out" '[.deliveries[] | select(.kind == "release" and .verified)] | length')" = 1 ] ||
		fail "$p: the released bundle was not received and verified: $out"
done
B=$T/bundle
expect_rc 0 ctl agreement export "$A" "$B"
for f in copy-a.b.txt copy-a-b.txt copy-baku.political.txt copy-baku.military.txt \
	mandate-baku.political.txt mandate-baku.military.txt journal-copy-a.b.entry \
	journal-copy-a-b.entry calendar.txt reservation-baku.political.txt; do
	[ -f "$B/$f" ] || fail "the bundle lacks $f"
done
[ "$(ls "$B" | wc -l)" = $((8 + 3 * 5 + 2 + 1)) ] || { ls "$B"; fail "the bundle has $(ls "$B" | wc -l) files"; }
[ -s "$B/calendar.txt" ] || fail "the calendar is not in the bundle"
grep -q "Հրադադարի" "$B/text.txt" || fail "the Armenian line did not round-trip"
cmp -s "$T/text" "$B/text.txt" || fail "text.txt differs from the text created"
cmp -s "$T/reservation" "$B/reservation-baku.political.txt" || fail "the reservation did not round-trip"
grep -qx "subject-to: վավերացում Ազգային ժողովի կողմից" "$B/certificate.txt" || fail "the condition is not in the certificate"
grep -A1 -x "signer: Վազգեն Սարգսյան" "$B/certificate.txt" | grep -qx "signer-title: Minister of Defence" ||
	fail "the signer's name and office are not in the certificate"
grep -qx "signer: Վազգեն Սարգսյան" "$B/copy-yerevan.txt" || fail "the copy sheet does not name the signer"
expect_out "in place of Dzhalilov" "$BIN/parley" verify "$B" --mediator-key "$MEDIATOR_PUB"
expect_out "^valid" $PY "$INTEROP/verify_bundle.py" "$B" --mediator-key "$MEDIATOR_PUB"

# A bundle written over an unrelated directory is refused, not mixed.
mkdir -p "$T/other" && echo hello >"$T/other/notes.txt"
expect_rc 1 ctl agreement export "$A" "$T/other"
grep -q "notes.txt, which is not a file of this bundle" "$T/last.out" || { cat "$T/last.out"; fail "export into a used directory"; }

# Refusals name the file and line.
cp -r "$B" "$T/t1"
sed -i 's/^revision: 1$/revision: 7/' "$T/t1/copy-a.b.txt"
expect_rc 1 "$BIN/parley" verify "$T/t1" --mediator-key "$MEDIATOR_PUB"
grep -q "copy-a.b.txt:3: " "$T/last.out" || { cat "$T/last.out"; fail "refusal does not name copy-a.b.txt:3"; }
expect_rc 1 $PY "$INTEROP/verify_bundle.py" "$T/t1" --mediator-key "$MEDIATOR_PUB"
grep -q "copy-a.b.txt:3: " "$T/last.out" || { cat "$T/last.out"; fail "verify_bundle.py does not name copy-a.b.txt:3"; }
# a link instead of a file is refused, not followed
cp -r "$B" "$T/t2"
mv "$T/t2/text.txt" "$T/text-elsewhere" && ln -s "$T/text-elsewhere" "$T/t2/text.txt"
expect_out "text.txt:0: not a regular file" "$BIN/parley" verify "$T/t2" --mediator-key "$MEDIATOR_PUB"
expect_rc 1 $PY "$INTEROP/verify_bundle.py" "$T/t2" --mediator-key "$MEDIATOR_PUB"

# make fuzz-seeds: this bundle, with its key, is the seed of fuzz_bundle.
if [ -n "${BUNDLE_SEED_OUT:-}" ]; then
	"$BIN/bundle_tamper" --seed "$B" "$MEDIATOR_PUB" "$BUNDLE_SEED_OUT" || fail "seed not written"
fi

# Every tampering, both verifiers.
tamper_all() {
	b=$1
	start=$(date +%s%N)
	"$BIN/bundle_tamper" "$b" "$MEDIATOR_PUB" >"$T/tamper-c.out" 2>&1
	rc=$?
	c_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ $rc = 0 ] || { tail -n 20 "$T/tamper-c.out"; fail "parley's verifier accepted a tampered bundle"; }
	start=$(date +%s%N)
	$PY "$INTEROP/tamper.py" "$b" --mediator-key "$MEDIATOR_PUB" >"$T/tamper-py.out" 2>&1
	rc=$?
	py_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ $rc = 0 ] || { tail -n 20 "$T/tamper-py.out"; fail "the independent verifier accepted a tampered bundle"; }
	c_line=$(grep '^tamper: ' "$T/tamper-c.out")
	py_line=$(grep '^tamper: ' "$T/tamper-py.out")
	case $c_line in "tamper: "*" cases, 0 accepted") ;; *) fail "bundle_tamper: $c_line" ;; esac
	[ "$c_line" = "$py_line" ] || fail "the verifiers counted different cases: C '$c_line', Python '$py_line'"
	diff <(counts "$T/tamper-c.out") <(counts "$T/tamper-py.out") >"$T/tamper.diff" ||
		{ cat "$T/tamper.diff"; fail "per-file counts differ"; }
	echo "$c_line (in one process each: parley verify ${c_ms} ms, verify_bundle.py ${py_ms} ms)"
}
counts() { grep -E '^[^ ]+: [0-9]+ cases, [0-9]+ accepted$' "$1"; }
tamper_all "$B"

# A second agreement: sheets with address blocks around one core in three
# languages (content version 3, signing payload version 3), tampered the same way.
printf '%s\n' "1. Огонь прекращается в 00:01 12 мая 1994 года." >"$T/ru"
printf '%s\n' "1. Fire ceases at 00:01 on 12 May 1994." >"$T/en"
printf '%s\n' "1. Կրակը դադարում է 1994 թ. մայիսի 12-ին, ժամը 00:01-ին։" >"$T/hy"
printf '%s\n' "To: Yerevan" "{{core}}" "For Armenia: ________" >"$T/frame-yerevan"
printf '%s\n' "To: A" "{{core}}" "For A: ________" >"$T/frame-a"
L=$(jget "$(ctl --json agreement create --title "Ceasefire in three languages" --parties yerevan,a,a-b \
	--text ru="$T/ru" --text en="$T/en" --text hy="$T/hy" --authentic ru,en \
	--frame yerevan="$T/frame-yerevan" --frame a="$T/frame-a")" .id)
expect_rc 0 ctl agreement circulate "$L"
expect_out accepted as yerevan sign "$L" --yes --subject-to "ratification"
expect_out accepted as a sign "$L" --yes
expect_out "agreement $L is released" as a-b sign "$L" --yes
B2=$T/bundle-l
expect_rc 0 ctl agreement export "$L" "$B2"
[ "$(ls "$B2" | wc -l)" = $((7 + 3 + 3 * 3 + 2 * 2)) ] || { ls "$B2"; fail "the bundle has $(ls "$B2" | wc -l) files"; }
expect_out "^valid" $PY "$INTEROP/verify_bundle.py" "$B2" --mediator-key "$MEDIATOR_PUB"
tamper_all "$B2"

# Correctly signed but unusual bundles: both verifiers reach the verdict
# doc/bundle.md gives.
$PY "$INTEROP/crafted.py" "$BIN/parley" >"$T/crafted.out" 2>&1 ||
	{ grep -v '^ok' "$T/crafted.out"; fail "crafted bundles: a verifier departs from doc/bundle.md"; }
tail -n 1 "$T/crafted.out"

# A FIFO put in place of a file while parley verify reads the directory
# (after it looked, before it opened) is refused; it is never waited on.
cp -r "$B" "$T/t3" && mkfifo "$T/fifo" && cp "$B/text.txt" "$T/text-reg" || fail "t3"
$PY -c 'import os, sys, time
t, end = sys.argv[1], time.time() + 5
while time.time() < end:
    for src in ("fifo", "text-reg"):
        os.link(t + "/" + src, t + "/t3.new")
        os.rename(t + "/t3.new", t + "/t3/text.txt")' "$T" &
swapper=$!
for i in $(seq 1 60); do
	timeout 20 "$BIN/parley" verify "$T/t3" --mediator-key "$MEDIATOR_PUB" >/dev/null 2>&1
	[ $? != 124 ] || { kill $swapper; fail "parley verify waited on a FIFO in place of text.txt"; }
done
kill $swapper 2>/dev/null
wait $swapper 2>/dev/null
pass
