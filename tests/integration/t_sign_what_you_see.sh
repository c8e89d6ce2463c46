# Sign what you see (issue 20, item 4): parley show and the sign prompt
# render the text and every term, the ones the signature covers (text,
# effective, validity, calendar: the content hash, recomputed by the client
# from what it shows) apart from the ones the mediator set and the hash does
# not cover (deadline, zone, parties, observers, required roles,
# relations), times in the agreement's zone; --json carries the same.
. "$(dirname "$0")/lib.sh"
export TZ=UTC
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan; do enrol $p; done
enrol minsk --observer
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null
A=$(jget "$(ctl --json agreement create --title "Ceasefire" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --observers minsk --zone Europe/Moscow \
	--effective 1994-05-12T00:01:00+04:00 --valid-for 10d --sign-by 1994-05-11 \
	--signatories baku=president+speaker)" .id)
ctl agreement circulate "$A" >/dev/null
out=$(as yerevan show "$A")
for want in "your signature covers \\(content SHA-256 [0-9a-f]{64}\\)" \
	"effective: 1994-05-12T00:01:00\+04:00" "validity: for 10d from the effect" \
	"calendar: none" "not covered by the signature" \
	"sign by: 1994-05-12T00:00:00\+04:00" "zone: Europe/Moscow" \
	"parties: baku, yerevan" "observers: minsk" \
	"required roles: baku=president, baku=speaker"; do
	grep -qE -- "$want" <<<"$out" || fail "show lacks /$want/: $out"
done
grep -q "ceasefire" <<<"$(tr 'A-Z' 'a-z' <<<"$out")" || fail "show lacks the text"
j=$(as yerevan --json show "$A")
[ "$(jget "$j" .zone)" = Europe/Moscow ] || fail "json zone: $j"
[ "$(jget "$j" .sign_by)" = 1994-05-12T00:00:00+04:00 ] || fail "json sign_by: $j"
[ "$(jget "$j" '.roles | join(",")')" = "baku=president,baku=speaker" ] || fail "json roles: $j"
[ "$(jget "$j" '.observers | join(",")')" = minsk ] || fail "json observers: $j"
[ "$(jget "$j" '.covered | join(",")')" = "text,effective,validity,calendar" ] || fail "json covered: $j"
# the sign prompt shows the same rendering before it signs
out=$(as yerevan sign "$A" --yes)
grep -q "sign by: 1994-05-12T00:00:00+04:00" <<<"$out" || fail "the sign prompt lacks the deadline: $out"
grep -q "required roles: baku=president, baku=speaker" <<<"$out" || fail "the sign prompt lacks the roles: $out"
grep -q "accepted" <<<"$out" || fail "not signed: $out"
pass
