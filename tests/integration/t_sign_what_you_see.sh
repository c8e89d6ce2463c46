# Sign what you see (issue 20, items 4 and 6): parley show and the sign
# prompt render the text and every term, the ones the signature covers
# (content version 2: text, effective, validity, calendar, zone, parties
# with their required roles, relations; the content hash, recomputed by
# the client from what it shows) apart from the ones the hash does not
# cover (the deadline the mediator may move, the observers the parties
# may add), times in the agreement's zone; --json carries the same.
# Adversarially: the same text and terms in another zone, or with other
# required roles, is another content; a copy hashed as a client that
# ignores those terms would hash it is refused as not identical.
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
	"calendar: none" "zone: Europe/Moscow" "parties: baku, yerevan" \
	"required roles: baku=president, baku=speaker" \
	"extends or reaffirms: no other agreement" "not covered by the signature" \
	"sign by: 1994-05-12T00:00:00\+04:00" "observers: minsk"; do
	grep -qE -- "$want" <<<"$out" || fail "show lacks /$want/: $out"
done
# covered first, then the rest: the zone and the roles above the line
covered=$(sed -n '/your signature covers/,/not covered by the signature/p' <<<"$out")
for want in "zone: Europe/Moscow" "required roles: baku=president" "parties: baku"; do
	grep -q -- "$want" <<<"$covered" || fail "$want is not among the covered terms: $out"
done
for want in "sign by:" "observers:"; do
	grep -q -- "$want" <<<"$covered" && fail "$want is among the covered terms: $out"
done
grep -q "ceasefire" <<<"$(tr 'A-Z' 'a-z' <<<"$out")" || fail "show lacks the text"
j=$(as yerevan --json show "$A")
[ "$(jget "$j" .zone)" = Europe/Moscow ] || fail "json zone: $j"
[ "$(jget "$j" .sign_by)" = 1994-05-12T00:00:00+04:00 ] || fail "json sign_by: $j"
[ "$(jget "$j" '.roles | join(",")')" = "baku=president,baku=speaker" ] || fail "json roles: $j"
[ "$(jget "$j" '.observers | join(",")')" = minsk ] || fail "json observers: $j"
[ "$(jget "$j" '.covered | join(",")')" = \
	"text,effective,validity,calendar,zone,parties,roles,extends,reaffirms" ] || fail "json covered: $j"
[ "$(jget "$j" .content_version)" = 2 ] || fail "json content_version: $j"
H=$(jget "$j" .content_sha256)
# the same text and terms in another zone, or with other roles: another content
mk() { jget "$(ctl --json agreement create --title "Ceasefire" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --observers minsk --effective 1994-05-12T00:01:00+04:00 \
	--valid-for 10d --sign-by 1994-05-11 "$@")" .id; }
for variant in "--zone Asia/Baku --signatories baku=president+speaker" \
	"--zone Europe/Moscow --signatories baku=president" \
	"--zone Europe/Moscow"; do
	B=$(mk $variant)
	ctl agreement circulate "$B" >/dev/null || fail "circulate $variant"
	h=$(jget "$(as yerevan --json show "$B")" .content_sha256)
	[ -n "$h" ] && [ "$h" != "$H" ] || fail "$variant: the same content hash $h"
done
# and the same terms, observers aside, the same content: observers are not covered
B=$(jget "$(ctl --json agreement create --title "Ceasefire" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --zone Europe/Moscow --effective 1994-05-12T00:01:00+04:00 \
	--valid-for 10d --sign-by 1994-05-11T18:00:00+04:00 --signatories baku=president+speaker)" .id)
ctl agreement circulate "$B" >/dev/null || fail "circulate B"
[ "$(jget "$(as yerevan --json show "$B")" .content_sha256)" = "$H" ] ||
	fail "observers or the deadline changed the content hash"
# a client hashing only text, effective, validity and calendar: not identical
out=$(ptool sign "$T/yerevan/client.conf" "$A" --content-v1) && fail "a version 1 copy accepted: $out"
grep -q "not identical\|non-identical\|differs" <<<"$out" || fail "the refusal does not say why: $out"
[ "$(jget "$(ctl --json agreement show "$A")" '.state')" = circulating ] || fail "state changed"
# the sign prompt shows the same rendering before it signs
out=$(as yerevan sign "$A" --yes)
grep -q "sign by: 1994-05-12T00:00:00+04:00" <<<"$out" || fail "the sign prompt lacks the deadline: $out"
grep -q "required roles: baku=president, baku=speaker" <<<"$out" || fail "the sign prompt lacks the roles: $out"
grep -q "accepted" <<<"$out" || fail "not signed: $out"
pass
