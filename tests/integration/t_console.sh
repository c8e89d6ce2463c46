# Issue 23, items 1 and 4: the mediator's console in a real browser.
# parleyctl console serves read-only pages on 127.0.0.1 with a one-time
# token; headless Chromium (through the DevTools protocol) loads each page
# and checks the rendered DOM (the board's party × role matrix, the Day-X
# calendar as SVG, incident clocks, the duty board, the agenda, validity
# bars), sees the open board change when the last copy arrives, and finds
# no request outside the console.  Without the token, with another Host,
# or with another method, every request is refused and nothing changes;
# the console asks only read-only verbs.  Screenshots go to
# build/test-artifacts/.
. "$(dirname "$0")/lib.sh"
setup
command -v chromium >/dev/null || fail "chromium missing (scripts/deps.sh)"
BROWSER=$(cd "$(dirname "$0")/../browser" && pwd)
for p in baku yerevan stepanakert; do enrol $p; done
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null
printf '1. Fire ceases at 00:01 on 12 May 1994.\n' >"$T/text"
printf '%s\n' "X-1d | all | Orders issued | confirm" "X+0h | mediator | Ceasefire begins | -" \
	"X+3d | baku | Withdrawal | confirm" >"$T/cal"
A=$(jget "$(ctl --json agreement create --title "Прекращение огня" --text "$T/text" \
	--parties baku,yerevan,stepanakert --valid-for 10d --zone Europe/Moscow)" .id)
expect_rc 0 ctl timeline set "$A" "$T/cal"
expect_rc 0 ctl dayx set "$A" on-release
expect_rc 0 ctl agreement circulate "$A"
expect_out accepted as yerevan sign "$A" --yes
expect_out accepted as baku sign "$A" --yes
I=$(jget "$(as yerevan --json incident file --against baku --place p --time 1994-05-09T09:00:00+04:00 \
	--nature "small-arms fire" --consequences none)" .id)
# two amendments: stepanakert's kept by the mediator, yerevan's forwarded
sed 's/00:01/00:05/' "$T/text" >"$T/am1"; sed 's/00:01/06:00/' "$T/text" >"$T/am2"
AM1=$(jget "$(as stepanakert --json amend "$A" --text "$T/am1" --note "five minutes later")" .id)
AM2=$(jget "$(as yerevan --json amend "$A" --text "$T/am2" --note "at dawn")" .id)
expect_rc 0 ctl amendment forward "$AM2"
[ "$(jget "$(as baku --json amendment list "$A")" '[.amendments[].id] | join(",")')" = "$AM2" ] ||
	fail "baku's amendment list: $(as baku --json amendment list "$A")"
expect_out "signs no agreement" as baku amendment list 99
"$BIN/parleyctl" -s "$T/admin.sock" console >"$T/console.out" 2>&1 &
C=$!
trap 'kill $C 2>/dev/null; cleanup' EXIT
for i in $(seq 100); do grep -q token= "$T/console.out" && break; sleep 0.05; done
URL=$(sed -n 's/^parleyctl console: \(http:[^ ]*\)$/\1/p' "$T/console.out")
[ -n "$URL" ] || fail "no console URL: $(cat "$T/console.out")"
base=${URL%%/\?*}
port=${base##*:}
code() { curl -s -o /dev/null -w "%{http_code}" "$@"; }
# the token (in its header), the host, the method, the verbs
tok=${URL##*token=}
before=$(snapshot)
[ "$(code "$base/api?verb=agreement+list")" = 403 ] || fail "the API without a token, not 403"
[ "$(code -H "X-Parley-Token: 00000000000000000000000000000000" "$base/api?verb=agreement+list")" = 403 ] ||
	fail "a wrong token, not 403"
[ "$(code "$base/api?verb=agreement+list&token=$tok")" = 403 ] ||
	fail "the token in the query (which any page can make a browser send) is taken"
[ "$(code -H "Cookie: parley_console=$tok" "$base/api?verb=agreement+list")" = 403 ] ||
	fail "the token in a cookie (which reaches every port of 127.0.0.1) is taken"
[ "$(code -H "X-Parley-Token: $tok" -H "Host: evil.example:$port" "$base/api?verb=agreement+list")" = 403 ] ||
	fail "another Host, not 403"
[ "$(code -H "X-Parley-Token: $tok" -H "Host: 127.0.0.1:99999" "$base/api?verb=agreement+list")" = 403 ] ||
	fail "a Host with a port that cannot be, not 403"
[ "$(code -H "X-Parley-Token: $tok" -H "Host: 127.0.0.1:8080" "$base/api?verb=agreement+list")" = 200 ] ||
	fail "through an SSH tunnel's other port, not served"
[ "$(code -X POST "$URL")" = 405 ] || fail "POST, not 405"
[ "$(code -X POST --data-binary @"$T/text" "$URL")" != 200 ] || fail "a POST with a body served"
[ "$(code -H "X-Parley-Token: $tok" "${base}/api?verb=agreement+withdraw&1=$A")" = 404 ] ||
	fail "a verb that changes something is served"
[ "$(code -H "X-Parley-Token: $tok" "${base}/api?verb=agreement+show&1=$A&TOKEN=x")" = 400 ] ||
	fail "an argument that is not one is passed on"
[ "$(code -H "X-Parley-Token: $tok" "${base}/api?verb=agreement+show&1=$A")" = 200 ] ||
	fail "a read-only verb is not served"
[ "$(snapshot)" = "$before" ] || fail "the console changed the store"
curl -s -D "$T/h" -o /dev/null "$URL"
grep -qi "^content-security-policy: default-src 'none'" "$T/h" || fail "no CSP: $(cat "$T/h")"
grep -qi "^set-cookie" "$T/h" && fail "a cookie is set: $(cat "$T/h")"
mkdir -p "$BIN/test-artifacts"
# baku's console, before release: its own row alone, nothing of the others
"$BIN/parley" -c "$T/baku/client.conf" console >"$T/party.out" 2>&1 &
PC=$!
trap 'kill $C $PC 2>/dev/null; cleanup' EXIT
for i in $(seq 100); do grep -q token= "$T/party.out" && break; sleep 0.05; done
PURL=$(sed -n 's/^parley console of baku: \(http:[^ ]*\)$/\1/p' "$T/party.out")
[ -n "$PURL" ] || fail "no party console URL: $(cat "$T/party.out")"
pbase=${PURL%%/\?*}
[ "$(code "$pbase/api?verb=agreement+list")" = 403 ] || fail "the party console without a token, not 403"
# a console looks and takes no deliveries: it does not keep baku on duty
[ "$(jget "$(ctl --json duty)" '.parties[] | select(.party == "baku") | .online')" = 0 ] ||
	fail "the party console counts baku online: $(ctl --json duty)"
[ "$(code -H "X-Parley-Token: ${PURL##*token=}" "$pbase/api?verb=duty")" = 404 ] || fail "a party console serves the duty board"
python3 "$BROWSER/party_check.py" "$PURL" "$BIN/test-artifacts" baku "$A" "$AM2" "$AM1" yerevan stepanakert ||
	fail "the party console shows more than the embargo lets it"
kill $PC; wait $PC 2>/dev/null
# the pages in the browser
python3 "$BROWSER/console_check.py" "$URL" "$BIN/test-artifacts" "$A" "$I" -- \
	"$BIN/parley" -c "$T/stepanakert/client.conf" sign "$A" --yes || fail "the console in the browser"
kill $C; wait $C 2>/dev/null
pass
