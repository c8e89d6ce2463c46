# Issue 23, item 3: a printable record.  A released agreement (text in
# Russian and Armenian, a Day-X calendar, a frame, a reservation and a
# condition) is printed with parley render as a PDF a delegation can file,
# only after its bundle verifies; pdftotext finds its title, texts, sheet,
# signatures, reservation, calendar, certificate and how to verify it,
# zbarimg reads the verification QR code back from the printed page, and
# pdftoppm's image of the first page is kept under build/test-artifacts.
# A bundle with one byte changed is refused and nothing is written.
. "$(dirname "$0")/lib.sh"
setup
command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || fail "poppler-utils missing (scripts/deps.sh)"
for p in baku yerevan stepanakert; do enrol $p; done
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null
# a clause longer than a page goes on over the next, to its last word
long="2. $(for i in $(seq 2500); do printf 'word%d ' "$i"; done)THELASTWORD"
printf '%s\n' "Соглашение о прекращении огня" "Հրադադարի համաձայնագիր" \
	"1. Fire ceases at 00:01 on 12 May 1994." "$long" >"$T/text"
printf '%s\n' "X+0h | mediator | Ceasefire begins | -" "X+1d | all | Report | confirm" >"$T/cal"
printf '%s\n' "To: the Minister of Defence, Baku" "{{core}}" "For Azerbaijan: ____________" >"$T/frame"
A=$(jget "$(ctl --json agreement create --title "Ceasefire — Прекращение огня" --text "$T/text" \
	--parties baku,yerevan,stepanakert --frame baku="$T/frame")" .id)
expect_rc 0 ctl timeline set "$A" "$T/cal"
expect_rc 0 ctl agreement circulate "$A"
printf 'Оговорка: подпись не означает признания.\n' >"$T/res"
expect_out accepted as baku sign "$A" --yes --reservation "$T/res"
expect_out accepted as yerevan sign "$A" --yes --subject-to "ratification by the National Assembly"
expect_out "is released" as stepanakert sign "$A" --yes
B=$T/bundle
expect_rc 0 ctl agreement export "$A" "$B"
expect_out "its record is printed to $T/record.pdf" as baku render "$B" --pdf "$T/record.pdf"
pdftotext -layout "$T/record.pdf" "$T/record.txt" || fail "pdftotext"
for s in "Ceasefire — Прекращение огня" "Հրադադարի համաձայնագիր" "1. Fire ceases at 00:01" \
	"To: the Minister of Defence, Baku" "For Azerbaijan:" "Оговорка: подпись не означает признания" \
	"subject to: ratification by the National Assembly" "X+1d | all | Report | confirm" \
	"parley release certificate v1" "parley verify BUNDLE_DIR" "The signatures" "word1250 " \
	"THELASTWORD"; do
	grep -qF "$s" "$T/record.txt" || fail "the PDF lacks \"$s\""
done
mkdir -p "$BIN/test-artifacts"
pdftoppm -png -r 60 -f 1 -l 1 "$T/record.pdf" "$BIN/test-artifacts/render-record" || fail "pdftoppm"
# the verification block's QR code, read back from the printed page: the
# content hash and checkpoint of this bundle, the mediator key's SHA-256
command -v zbarimg >/dev/null || fail "zbar-tools missing (scripts/deps.sh)"
pdftoppm -png -r 150 "$T/record.pdf" "$T/page" || fail "pdftoppm"
qr=$(for p in "$T"/page*.png; do zbarimg -q --raw "$p" 2>/dev/null; done)
grep -qx "content sha256 $(sed -n 's/^content-sha256: //p' "$B/certificate.txt")" <<<"$qr" ||
	fail "the QR code lacks the content hash: $qr"
grep -qx "mediator key sha256 $(openssl pkey -pubin -in "$T/state/mediator.pub" -outform DER | tail -c 32 | sha256sum | cut -c1-64)" <<<"$qr" ||
	fail "the QR code lacks the mediator key: $qr"
grep -qxF "$(sed -n 3p "$B/checkpoint.txt")" <<<"$qr" || fail "the QR code lacks the checkpoint's root: $qr"
ls "$BIN"/test-artifacts/render-record*.png >/dev/null || fail "no page image"
# the calendar alone, as a picture
expect_out "its calendar is drawn in $T/calendar.svg" as baku render "$B" --svg "$T/calendar.svg"
grep -q "<svg" "$T/calendar.svg" || fail "not an SVG"
[ "$(grep -c "<path" "$T/calendar.svg")" -ge 2 ] || fail "the calendar picture has no measures"
cp "$T/calendar.svg" "$BIN/test-artifacts/render-calendar.svg"
# only what verifies is printed
rm -rf "$T/t"; cp -r "$B" "$T/t"; sed -i 's/00:01/00:02/' "$T/t/text.txt"
expect_out "not printed: certificate.txt:5: " as baku render "$T/t" --pdf "$T/tampered.pdf"
ls "$T"/tampered.pdf* >/dev/null 2>&1 && fail "a PDF was written for a bundle that does not verify"
# a link planted where the PDF goes is replaced, not written through
printf 'keep me\n' >"$T/victim"
ln -s "$T/victim" "$T/linked.pdf"
expect_rc 0 as baku render "$B" --pdf "$T/linked.pdf"
[ "$(cat "$T/victim")" = "keep me" ] && [ ! -L "$T/linked.pdf" ] || fail "render wrote through a link"
# nor into the bundle, which would then not verify
expect_out "outside the bundle" as baku render "$B" --pdf "$B/record.pdf"
expect_out "not a directory's" as baku render "$B" --pdf "$B/"
expect_out "not a directory's" as baku render "$B" --pdf "$T"
[ -e "$B/record.pdf" ] && fail "a PDF was written into the bundle"
expect_rc 2 as baku render "$B"
expect_rc 2 as baku render "$B" --pdf x.pdf --svg y.svg
pass
