# Issue 21, items 3 and 4: sheets that differ only in their address and
# signature blocks around one core, and one text in three languages.
#
# Frames: baku's and yerevan's sheets have their own addressee and
# signature block (the faxed sheets of 1994); each party is shown and
# signs its own sheet, never sees another's before release; a copy signed
# without its frame is refused; the bundle carries every frame and sheet,
# both verifiers check them, and a byte changed in either is refused.
#
# Languages: ru (authentic), en and hy versions.  The check catches a
# changed number, a missing clause and a glossary term rendered otherwise,
# each with clause and language; circulation is refused while they stand
# (or goes out over them with an override note, journalled); the fixed
# versions pass, circulate, are signed and released, and Cyrillic and
# Armenian come back byte for byte through show, the bundle and both
# verifiers.  Bad input is refused with the reason and changes nothing.
. "$(dirname "$0")/lib.sh"
setup
INTEROP=$(cd "$(dirname "$0")/../interop" && pwd)
export RXLOG_DIR=$T/rx
mkdir "$RXLOG_DIR"
for p in baku yerevan stepanakert; do enrol $p; done
enrol minsk --observer
ctl clock set 1994-05-09T12:00:00+04:00 >/dev/null

# ---- frames: two sheets, one core ----
printf '%s\n' "1. Cease fire at 00:01 on 12 May 1994." "2. Hold positions." >"$T/core.txt"
printf '%s\n' "To: the Minister of Defence of the Azerbaijan Republic, Baku" "" "{{core}}" \
	"" "For Azerbaijan: ______________ (Mamedrafi Mamedov)" >"$T/frame-baku.txt"
printf '%s\n' "To: the Minister of Defence of the Republic of Armenia, Yerevan" "" "{{core}}" \
	"" "For Armenia: ______________ (Serzh Sargsyan)" >"$T/frame-yerevan.txt"
A=$(jget "$(ctl --json agreement create --title "Ceasefire (sheets)" --text "$T/core.txt" \
	--parties baku,yerevan,stepanakert --observers minsk \
	--frame baku="$T/frame-baku.txt" --frame yerevan="$T/frame-yerevan.txt")" .id)
sh=$(ctl --json agreement show "$A")
[ "$(jget "$sh" '.frames | join(",")')" = baku,yerevan ] || fail "frames not shown: $sh"
expect_rc 0 ctl agreement circulate "$A"
out=$(as baku show "$A")
echo "$out" | grep -q "To: the Minister of Defence of the Azerbaijan Republic" || fail "baku is not shown its sheet: $out"
echo "$out" | grep -q "your sheet: the address and signature blocks" || fail "baku is not told its sheet is signed"
echo "$out" | grep -q "Republic of Armenia" && fail "baku is shown yerevan's sheet"
[ "$(jget "$(as stepanakert --json show "$A")" .frame)" = null ] || fail "stepanakert has a frame"
# a copy signed without the frame of its sheet is refused, and changes nothing
before=$(snapshot)
out=$(ptool sign "$T/baku/client.conf" "$A" 2>&1) && fail "a copy without its frame accepted: $out"
echo "$out" | grep -q "sign the whole sheet" || fail "no reason for the frameless copy: $out"
[ "$(snapshot)" = "$before" ] || fail "a refused copy changed the store"
sign_all "$A" baku yerevan
for p in baku stepanakert minsk; do
	as $p --json inbox >/dev/null; as $p --json show "$A" >/dev/null; as $p --json status "$A" >/dev/null
done
grep -q "Republic of Armenia" "$RXLOG_DIR/baku.rx" "$RXLOG_DIR/stepanakert.rx" "$RXLOG_DIR/minsk.rx" &&
	fail "yerevan's sheet was read by another before release"
expect_out "agreement $A is released" as stepanakert sign "$A" --yes
B=$T/bundle-a
expect_rc 0 ctl agreement export "$A" "$B"
for p in baku yerevan; do
	cmp -s "$T/frame-$p.txt" "$B/frame-$p.txt" || fail "the bundle's frame of $p is not the one set"
	grep -qx "frame: $p $(sha256sum "$T/frame-$p.txt" | cut -d' ' -f1)" "$B/certificate.txt" ||
		fail "the certificate does not name $p's frame"
	python3 -c 'import sys; f, c = (open(x, "rb").read() for x in sys.argv[1:3]); sys.stdout.buffer.write(f.replace(b"{{core}}", c))' \
		"$T/frame-$p.txt" "$T/core.txt" | cmp -s - "$B/sheet-$p.txt" || fail "sheet-$p.txt is not its frame around the core"
done
[ -e "$B/frame-stepanakert.txt" ] && fail "stepanakert has no frame, yet a frame file"
expect_out "verifies: " as yerevan verify "$B"
expect_out "^valid" python3 "$INTEROP/verify_bundle.py" "$B" --mediator-key "$MEDIATOR_PUB"
out=$(inbox baku)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "release" and .verified)] | length')" = 1 ] ||
	fail "baku: no verified release bundle: $out"
cmp -s "$B/sheet-yerevan.txt" "$T/baku/bundles/$A/sheet-yerevan.txt" || fail "baku's bundle lacks yerevan's sheet"
tamper() { rm -rf "$T/t"; cp -r "$B" "$T/t"; }
tamper; sed -i 's/Baku/Baky/' "$T/t/frame-baku.txt"
expect_out "frame-baku.txt" as yerevan verify "$T/t"
tamper; sed -i 's/Baku/Baky/' "$T/t/sheet-baku.txt"
expect_out "sheet-baku.txt" as yerevan verify "$T/t"
tamper; cp "$T/t/frame-yerevan.txt" "$T/t/frame-baku.txt"
expect_rc 1 as yerevan verify "$T/t"
tamper; rm "$T/t/sheet-yerevan.txt"
expect_out "sheet-yerevan.txt:0: missing" as yerevan verify "$T/t"
# bad frames are refused with the reason, nothing stored
before=$(snapshot)
printf 'To: Baku\n' >"$T/f1"; printf '{{core}}\n{{core}}\n' >"$T/f2"; printf 'To: {{core}}\n' >"$T/f3"
printf 'To: \342\200\256ukaB\n{{core}}\n' >"$T/f4"
mk() { ctl agreement create --title X --text "$T/core.txt" --parties baku,yerevan "$@"; }
expect_out "where the agreed text goes" mk --frame baku="$T/f1"
expect_out "only once" mk --frame baku="$T/f2"
expect_out "alone on its line" mk --frame baku="$T/f3"
expect_out "frame of baku" mk --frame baku="$T/f4"
expect_out "is not one of --parties" mk --frame minsk="$T/frame-baku.txt"
expect_out "given twice" mk --frame baku="$T/frame-baku.txt" --frame baku="$T/frame-baku.txt"
expect_rc 2 mk --frame "$T/frame-baku.txt"
[ "$(snapshot)" = "$before" ] || fail "a refused frame changed the store"

# ---- three languages, with a glossary ----
RU="Соглашение о прекращении огня
1. Стороны прекращают огонь в 24:00 12 мая 1994 года.
2. Стороны отводят крупные силы на 5 километров.
3. Наблюдатели СБСЕ прибывают в течение 10 дней.
"
EN="Ceasefire agreement
1. The sides cease fire at 24:00 on 12 May 1994.
2. The sides withdraw major forces by 5 kilometres.
3. CSCE observers arrive within 10 days.
"
HY="Հրադադարի համաձայնագիր
1. Կողմերը դադարեցնում են կրակը 1994 թվականի մայիսի 12-ին, ժամը 24:00-ին։
2. Կողմերը խոշոր ուժերը հետ են քաշում 5 կիլոմետրով։
3. ԵԱՀԽ դիտորդները ժամանում են 10 օրվա ընթացքում։
"
printf '%s' "$RU" >"$T/ru.txt"; printf '%s' "$EN" >"$T/en.txt"; printf '%s' "$HY" >"$T/hy.txt"
printf '%s\n' "# the mediator's key terms" "languages: ru en hy" "крупн = major = խոշոր" \
	"party baku: Азербайдж = Azerbaijan = Ադրբեջան" >"$T/glossary.txt"
# the flawed versions: a number changed, "major" became "important", a clause missing
sed 's/24:00/23:00/; s/major/important/' "$T/en.txt" >"$T/en-bad.txt"
sed '/^3\./d' "$T/hy.txt" >"$T/hy-bad.txt"
mkl() { ctl --json agreement create --title "Ceasefire (three languages)" --parties baku,yerevan,stepanakert \
	--observers minsk --authentic ru "$@"; }
L1=$(jget "$(mkl --text ru="$T/ru.txt" --text en="$T/en-bad.txt" --text hy="$T/hy-bad.txt")" .id)
expect_out "no language versions to compare" ctl agreement check "$A"
rep=$(ctl --json agreement check "$L1" --glossary "$T/glossary.txt")
[ "$(jget "$rep" .mismatches)" = 3 ] || fail "the check does not find the three mismatches: $rep"
echo "$rep" | jq -r .report >"$T/report"
grep -q "^hy: clause 3 is missing" "$T/report" || fail "the missing clause not reported: $(cat "$T/report")"
grep -q "^clause 1, en: numbers differ from ru: lacks 24; has 23" "$T/report" || fail "the changed number not reported"
grep -q "^clause 2, en: lacks the glossary term \"major\"" "$T/report" || fail "the glossary term not reported"
# the glossary is kept: a check without --glossary still uses it
[ "$(jget "$(ctl --json agreement check "$L1")" .mismatches)" = 3 ] || fail "the glossary was not kept"
before=$(snapshot)
expect_out "3 mismatches between its language versions" ctl agreement circulate "$L1"
[ "$(snapshot)" = "$before" ] || fail "a refused circulation changed the store"
# a bad glossary is refused with its line
printf 'languages: ru en\nкрупн = major = խոշոր\n' >"$T/g-bad"
expect_out "line 2" ctl agreement check "$L1" --glossary "$T/g-bad"
# the fixed versions pass, with the glossary
L2=$(jget "$(mkl --text ru="$T/ru.txt" --text en="$T/en.txt" --text hy="$T/hy.txt" \
	--frame stepanakert="$T/frame-baku.txt")" .id)
expect_out "the language versions agree" ctl agreement check "$L2" --glossary "$T/glossary.txt"
sh=$(ctl --json agreement show "$L2")
[ "$(jget "$sh" '[.languages[] | .lang + (if .authentic then "*" else "" end)] | join(" ")')" = "en hy ru*" ] ||
	fail "the languages are not shown: $sh"
expect_rc 0 ctl agreement circulate "$L2"
# every party reads every version byte for byte; show --lang picks one
for l in ru en hy; do
	[ "$(as yerevan --json show "$L2" --lang $l | jq -r .versions[0].text)" = "$(cat "$T/$l.txt")" ] ||
		fail "the $l version does not come back byte for byte"
done
as yerevan show "$L2" --lang hy >"$T/show-hy"
grep -qF "$(sed -n 2p "$T/hy.txt")" "$T/show-hy" || fail "show --lang hy lacks the Armenian text"
grep -qF "Стороны" "$T/show-hy" && fail "show --lang hy shows the Russian text"
expect_out "has no de version" as yerevan show "$L2" --lang de
out=$(as yerevan show "$L2")
echo "$out" | grep -q "the text in every language below: en hy ru (authentic)" || fail "sign prompt does not name the languages: $out"
# an amendment of one text cannot change three
expect_out "in several languages" as yerevan amend "$L2" --text "$T/en.txt" --note x
expect_out "in several languages" as yerevan sign "$L2" --yes --text "$T/en.txt"
sign_all "$L2" baku yerevan
expect_out "agreement $L2 is released" as stepanakert sign "$L2" --yes
B=$T/bundle-l
expect_rc 0 ctl agreement export "$L2" "$B"
for l in ru en hy; do cmp -s "$T/$l.txt" "$B/text-$l.txt" || fail "text-$l.txt is not the $l version"; done
[ -e "$B/text.txt" ] && fail "a bundle in three languages has a text.txt"
tail -2 "$B/terms.txt" | tr '\n' '|' | grep -qx "languages: en hy ru|authentic: ru|" || fail "terms.txt: $(cat "$B/terms.txt")"
grep -q "^--- ru (authentic) ---$" "$B/sheet-stepanakert.txt" || fail "the sheet lacks the versions"
expect_out "verifies: " as baku verify "$B"
expect_out "^valid" python3 "$INTEROP/verify_bundle.py" "$B" --mediator-key "$MEDIATOR_PUB"
tamper() { rm -rf "$T/t"; cp -r "$B" "$T/t"; }
tamper; sed -i 's/խոշոր/կարևոր/' "$T/t/text-hy.txt"
expect_out "content hash differs" as baku verify "$T/t"
tamper; sed -i 's/^authentic: ru$/authentic: en ru/' "$T/t/terms.txt"
expect_rc 1 as baku verify "$T/t"
tamper; mv "$T/t/text-hy.txt" "$T/t/text-az.txt"
expect_rc 1 as baku verify "$T/t"
# the flawed versions go out over the check with the mediator's note, journalled
expect_out "--override" ctl agreement circulate "$L1" --override ""
expect_rc 0 ctl agreement circulate "$L1" --override "the sides accept the English as it stands"
ctl journal show --agreement "$L1" | grep -q "circulated with 3 mismatches between its language versions: the sides accept" ||
	fail "the override is not journalled"
# bad language versions are refused, nothing stored
before=$(snapshot)
expect_out "not both" ctl agreement create --title X --parties baku,yerevan --text "$T/core.txt" --text ru="$T/ru.txt"
# what comes before "=" is a language only if it is a tag: else a path
expect_out "cannot read RU=" ctl agreement create --title X --parties baku,yerevan --text RU="$T/ru.txt"
expect_out "--authentic names ru twice" ctl agreement create --title X --parties baku,yerevan --text ru="$T/ru.txt" --text en="$T/en.txt" --authentic ru,ru
expect_out "given twice" ctl agreement create --title X --parties baku,yerevan --text ru="$T/ru.txt" --text ru="$T/en.txt"
expect_out "--authentic de: no version" ctl agreement create --title X --parties baku,yerevan --text ru="$T/ru.txt" --authentic de
printf '\342\200\256x\n' >"$T/bidi.txt"
expect_out "the hy version" ctl agreement create --title X --parties baku,yerevan --text ru="$T/ru.txt" --text hy="$T/bidi.txt"
[ "$(snapshot)" = "$before" ] || fail "a refused agreement changed the store"
# a path with "=" in it is one text
mkdir "$T/a=b" && cp "$T/core.txt" "$T/a=b/t.txt"
expect_rc 0 ctl agreement create --title X --parties baku,yerevan --text "$T/a=b/t.txt"
# a glossary for one text, or naming too few of the languages, is refused
expect_out "no language versions to compare" ctl agreement check "$A" --glossary "$T/glossary.txt"
printf 'languages: de fr\nmajor = grand\n' >"$T/g-other"
L3=$(jget "$(mkl --text ru="$T/ru.txt" --text en="$T/en.txt")" .id)
expect_out "fewer than two of the languages" ctl agreement check "$L3" --glossary "$T/g-other"
# an amendment cannot take the texts and frames past the limit together
{ printf 'To: Baku\n{{core}}\n'; head -c 16000 /dev/zero | tr '\0' 's' | fold -w 80; } >"$T/f16k"
F=$(jget "$(ctl --json agreement create --title F --parties baku,yerevan --text "$T/core.txt" \
	--frame baku="$T/f16k" --frame yerevan="$T/f16k")" .id)
expect_rc 0 ctl agreement circulate "$F"
head -c 500000 /dev/zero | tr '\0' 'x' | fold -w 100 >"$T/t500k"
expect_out "with the parties' frames the text would be" as yerevan amend "$F" --text "$T/t500k"
S=$(jget "$(ctl --json agreement create --title X --parties baku,yerevan --text "$T/core.txt")" .id)
expect_out "nothing to override" ctl agreement circulate "$S" --override "why"
pass
