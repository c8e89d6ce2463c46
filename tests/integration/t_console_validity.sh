# Issue 23, item 2 (validity): the console draws each agreement in effect as
# a bar on a time axis, joins an extension and a reaffirmation to what they
# continue, marks the gap before a reaffirmation of an expired agreement,
# marks an agreement that expired with nothing after it, and lists one whose
# signing deadline passed; checked in headless Chromium, in the mediator's
# console and in a delegation's.
. "$(dirname "$0")/lib.sh"
setup
command -v chromium >/dev/null || fail "chromium missing (scripts/deps.sh)"
BROWSER=$(cd "$(dirname "$0")/../browser" && pwd)
for p in baku yerevan; do enrol $p; done
printf '1. Fire ceases.\n' >"$T/text"
new() { jget "$(ctl --json agreement create --text "$T/text" --parties baku,yerevan --zone Europe/Moscow "$@")" .id; }
ctl clock set 1994-09-12T10:00:00+04:00 >/dev/null
A=$(new --title "Ceasefire to 13 September" --valid-until 1994-09-13)
C=$(new --title "Another to 13 September" --valid-until 1994-09-13)
D=$(new --title "A third to 13 September" --valid-until 1994-09-13)
L=$(new --title "Never signed" --valid-until 1994-10-13 --sign-by 1994-09-14T00:00:00+03:00)
for a in $A $C $D $L; do expect_rc 0 ctl agreement circulate "$a"; done
for a in $A $C $D; do sign_all "$a" baku yerevan; done
E=$(new --title "Extension" --valid-until 1994-10-13 --extends "$A")
expect_rc 0 ctl agreement circulate "$E"
sign_all "$E" baku yerevan
# C and D expire; C is reaffirmed two days later, D never
ctl clock set 1994-09-15T10:00:00+04:00 >/dev/null
R=$(new --title "Reaffirmation" --valid-until 1994-10-13 --reaffirms "$C")
expect_rc 0 ctl agreement circulate "$R"
sign_all "$R" baku yerevan
[ "$(jget "$(ctl --json agreement show "$L")" .state)" = lapsed ] || fail "$L did not lapse"
"$BIN/parleyctl" -s "$T/admin.sock" console >"$T/console.out" 2>&1 &
for i in $(seq 100); do grep -q token= "$T/console.out" && break; sleep 0.05; done
URL=$(sed -n 's/^parleyctl console: \(http:[^ ]*\)$/\1/p' "$T/console.out")
[ -n "$URL" ] || fail "no console URL: $(cat "$T/console.out")"
python3 "$BROWSER/validity_check.py" "$URL" "$BIN/test-artifacts" "$R" "$D" "$E" "$R" ||
	fail "the validity page"
# a delegation's console draws the same from its endpoint (parley status)
"$BIN/parley" -c "$T/baku/client.conf" console >"$T/party.out" 2>&1 &
for i in $(seq 100); do grep -q token= "$T/party.out" && break; sleep 0.05; done
PURL=$(sed -n 's/^parley console of baku: \(http:[^ ]*\)$/\1/p' "$T/party.out")
[ -n "$PURL" ] || fail "no party console URL: $(cat "$T/party.out")"
python3 "$BROWSER/validity_check.py" "$PURL" "$BIN/test-artifacts" "$R" "$D" "$E" "$R" ||
	fail "the delegation's validity page"
[ "$(jget "$(as baku --json status "$E")" .extends)" = "$A" ] || fail "status lacks what it extends"
expect_out "in effect from 1994-09-12T" as baku status "$E"
pass
