# Signers and mandates (issue 9): once a party has a principal key its
# signer keys count only under a mandate that covers the key, the role and
# the agreement at the time of signing; a revocation before release voids
# the signatures it covered; a party with two required roles releases only
# when both have signed; a substitute is recorded as such in the
# certificate; and the bundle proves each mandate down to the principal key.
. "$(dirname "$0")/lib.sh"
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
enrol baku
enrol yerevan
ctl clock set 1994-05-01T12:00:00+04:00 >/dev/null
key() { openssl genpkey -algorithm ed25519 -out "$T/$1.key" 2>/dev/null &&
	openssl pkey -in "$T/$1.key" -pubout -out "$T/$1.pub" 2>/dev/null || fail "key $1"; }
key principal
key military
P=$T/principal.key
mandate() { jget "$(as baku --json mandate issue --principal-key "$P" "$@")" .id; }

expect_out "principal of \"baku\" registered" ctl principal add baku --key "$T/principal.pub"
expect_out "already has a principal" ctl principal add baku --key "$T/military.pub"
A=$(jget "$(ctl --json agreement create --title Ceasefire --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --label ceasefire)" .id)
expect_rc 0 ctl agreement circulate "$A"

# no mandate yet: the mediator-registered key no longer suffices
expect_out "no mandate" as baku sign "$A" --yes --role political
# a mandate signed by another key is refused
expect_out "not signed with the principal key registered for baku" as baku mandate issue \
	--principal-key "$T/military.key" --signer-key "$T/baku/signer.pub" --roles political
# outside scope: the refusal names the mandate and the reason
M1=$(mandate --signer-key "$T/baku/signer.pub" --roles political --scope agreements:99)
[ -n "$M1" ] && [ "$M1" != null ] || fail "no mandate id"
expect_rc 1 as baku sign "$A" --yes --role political
expect_out "mandate $M1 does not cover this signature: outside scope" as baku sign "$A" --yes --role political
# expired
M2=$(mandate --signer-key "$T/baku/signer.pub" --roles political --scope label:ceasefire \
	--supersedes "$M1" --until 1994-05-02T00:00:00+04:00)
ctl clock set 1994-05-03T10:00:00+04:00 >/dev/null
expect_out "mandate $M2 does not cover this signature: expired" as baku sign "$A" --yes --role political
# role not covered
M3=$(mandate --signer-key "$T/baku/signer.pub" --roles political --scope label:ceasefire)
expect_out "mandate $M3 does not cover this signature: role not covered" as baku sign "$A" --yes --role military
[ "$(db "SELECT count(*) FROM copy WHERE agreement_id = $A")" = 0 ] \
	|| fail "a refused copy was stored"

# revocation between signing and release blocks the release
expect_out "accepted" as baku sign "$A" --yes --role political
as baku inbox >/dev/null
expect_out "1 signature it covered on unreleased agreements is void" \
	as baku mandate revoke "$M3" --principal-key "$P"
expect_out "already revoked" as baku mandate revoke "$M3" --principal-key "$P"
out=$(inbox baku)
[ "$(jget "$out" '[.deliveries[] | select(.event == "signature-void")] | length')" = 1 ] \
	|| fail "baku not told its signature is void: $out"
expect_out "accepted" as yerevan sign "$A" --yes
[ "$(jget "$(ctl --json agreement show "$A")" .state)" = circulating ] || fail "released on a void signature"
[ "$(db "SELECT status FROM copy WHERE agreement_id = $A AND party_id = (SELECT id FROM party WHERE code = 'baku')")" = void ] \
	|| fail "the voided copy is not marked void"
ctl journal show --agreement "$A" | grep -q "signature-void" || fail "voiding not journalled"
expect_out "mandate $M3 does not cover this signature: revoked" as baku sign "$A" --yes --role political
# a substitute: a new mandate "in place of" the leader, then the release
M4=$(mandate --signer-key "$T/baku/signer.pub" --roles political --scope "agreements:$A" \
	--in-place-of "Dzhalilov")
expect_out "agreement $A is released" as baku sign "$A" --yes --role political
expect_rc 0 ctl agreement export "$A" "$T/bundle"
grep -q "^principal: baku " "$T/bundle/certificate.txt" || fail "no principal line"
grep -qE "^copy: baku political [0-9a-f]{64} [0-9a-f]{128} [^ ]+ mandate $M4\$" "$T/bundle/certificate.txt" \
	|| { cat "$T/bundle/certificate.txt"; fail "copy line lacks its mandate"; }
grep -q "^in-place-of: Dzhalilov\$" "$T/bundle/certificate.txt" || fail "substitute not recorded"
[ -f "$T/bundle/mandate-baku.political.txt" ] || fail "mandate file missing"
expect_out "in place of Dzhalilov" as baku verify "$T/bundle" --mediator-key "$MEDIATOR_PUB"
# statuses, history kept
out=$(ctl --json mandate list baku)
[ "$(jget "$out" "[.mandates[] | .status] | join(\",\")")" = "superseded,expired,revoked,active" ] \
	|| fail "mandate statuses: $out"
expect_out "mandate $M4 \\[active\\]" as baku mandate list

# a tampered mandate fails verify
cp -r "$T/bundle" "$T/tampered"
sed -i 's/^roles: political$/roles: military political/' "$T/tampered/mandate-baku.political.txt"
expect_rc 1 as baku verify "$T/tampered" --mediator-key "$MEDIATOR_PUB"
expect_out "mandate-baku.political.txt:13: the principal.s signature does not verify" as baku verify "$T/tampered" --mediator-key "$MEDIATOR_PUB"

# two required roles: released only when both have signed
M5=$(mandate --signer-key "$T/military.pub" --roles military --scope label:ceasefire)
M6=$(mandate --signer-key "$T/baku/signer.pub" --roles political --scope label:ceasefire)
B=$(jget "$(ctl --json agreement create --title "Second" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --label ceasefire --signatories baku=political+military)" .id)
expect_out "not one of --parties" ctl agreement create --title X --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --signatories minsk=political
expect_rc 0 ctl agreement circulate "$B"
expect_out "every role it must sign in" as baku sign "$B" --yes --role political
expect_out "accepted" as yerevan sign "$B" --yes
[ "$(jget "$(ctl --json agreement show "$B")" .state)" = circulating ] || fail "released with one role of two"
out=$(as baku --json status "$B")
[ "$(jget "$out" '.parties[0].signed')" = false ] || fail "baku counted as signed with one role: $out"
expect_out "mandate $M5 does not cover this signature: role not covered" \
	as baku sign "$B" --yes --role political --key "$T/military.key"
expect_out "agreement $B is released" as baku sign "$B" --yes --role military --key "$T/military.key"
expect_rc 0 ctl agreement export "$B" "$T/bundle2"
[ "$(grep -c '^copy: baku ' "$T/bundle2/certificate.txt")" = 2 ] || fail "two baku copy lines expected"
expect_rc 0 as baku verify "$T/bundle2" --mediator-key "$MEDIATOR_PUB"
# a party without a principal keeps today's behaviour (yerevan signed with role "")
grep -q "^copy: yerevan - " "$T/bundle2/certificate.txt" || fail "yerevan's copy"
# the record names each accepted copy (by its signature's SHA-256, not its
# row id: ids count every party's copies, and the party reads its entry),
# its role and its mandate (only when it has one)
entries=$(db "SELECT count(*) FROM journal WHERE kind = 'copy-accepted'")
named=0
while IFS='|' read -r seq sig note; do
	h=$(printf "$(printf '%s' "$sig" | sed 's/../\\x&/g')" | sha256sum | cut -d' ' -f1)
	db "SELECT CAST(entry AS TEXT) FROM journal WHERE seq = $seq" | grep -qx "sha256: $h" &&
		db "SELECT CAST(entry AS TEXT) FROM journal WHERE seq = $seq" | grep -qx "$note" &&
		named=$((named + 1))
done < <(db "SELECT j.seq, lower(hex(c.signature)), 'note: revision ' || c.revision ||
	    CASE WHEN c.role != '' THEN ', role ' || c.role ELSE '' END ||
	    CASE WHEN c.mandate_id IS NOT NULL THEN ', mandate ' || c.mandate_id ELSE '' END
	FROM journal j JOIN copy c ON c.agreement_id = j.agreement_id JOIN party p ON p.id = c.party_id
	WHERE j.kind = 'copy-accepted' AND p.code = j.party
	AND instr(CAST(j.entry AS TEXT), 'note: revision ' || c.revision) > 0
	AND c.status IN ('valid', 'void', 'superseded', 'withdrawn')")
[ "$entries" -ge 3 ] && [ "$named" = "$entries" ] || fail "$named of $entries copy-accepted entries name their copy"

# Two roles, two signers (issue 21, item 5): one key signing a second role
# of its party is refused with the reason and nothing kept, mandates or
# not; a second registered key completes the pair; --same-signer-ok lets
# one key sign both, and the record says the agreement was made so.
C=$(jget "$(ctl --json agreement create --title "Two signers" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --signatories yerevan=political+military)" .id)
expect_rc 0 ctl agreement circulate "$C"
expect_out accepted as yerevan sign "$C" --yes --role political
before=$(snapshot)
expect_out "signer key [0-9a-f]{64} signed role political of agreement $C already; each role of yerevan needs its own signer" \
	as yerevan sign "$C" --yes --role military
[ "$(snapshot)" = "$before" ] || fail "a refused second role changed the store"
key yerevan2
expect_rc 0 ctl signer add yerevan --key "$T/yerevan2.pub"
expect_out accepted as yerevan sign "$C" --yes --role military --key "$T/yerevan2.key"
# baku, under mandates: the same key under its one mandate, refused too
E=$(jget "$(ctl --json agreement create --title "Two signers, mandates" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --signatories baku=political+military)" .id)
M8=$(mandate --signer-key "$T/baku/signer.pub" --roles political,military --scope "agreements:$E")
[ -n "$M8" ] && [ "$M8" != null ] || fail "no mandate M8"
expect_rc 0 ctl agreement circulate "$E"
expect_out accepted as baku sign "$E" --yes --role political
expect_out "needs its own signer" as baku sign "$E" --yes --role military
# --same-signer-ok: one key, both roles, released; the record says so
F=$(jget "$(ctl --json agreement create --title "One signer" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --signatories yerevan=political+military --same-signer-ok)" .id)
expect_rc 0 ctl agreement circulate "$F"
expect_out accepted as yerevan sign "$F" --yes --role political
expect_out accepted as yerevan sign "$F" --yes --role military
[ "$(jget "$(ctl --json agreement show "$F")" .same_signer_ok)" = true ] || fail "same_signer_ok not shown"
expect_rc 0 ctl agreement withdraw "$F"
ctl journal show 2>/dev/null | grep -q "one signer may sign several roles" ||
	db "SELECT CAST(entry AS TEXT) FROM journal WHERE kind = 'draft' AND agreement_id = $F" |
	grep -q "one signer may sign several roles" || fail "the record does not say --same-signer-ok"

# Named signers and key commands (issue 21, item 6): parley key new makes
# the pair (never overwriting), the mediator registers it with the holder's
# name and office; bad names are refused with nothing changed.
expect_out "parleyctl signer add PARTY --key $T/speaker.key.pub" as baku key new "$T/speaker.key"
[ "$(stat -c %a "$T/speaker.key")" = 600 ] || fail "the private key is not 0600"
expect_out "already exists; not overwriting it" as baku key new "$T/speaker.key"
expect_out "parleyctl principal add PARTY" as yerevan principal new "$T/yprincipal.key"
ln -s /nonexistent "$T/dangling.key.pub"
expect_out "already exists" as baku key new "$T/dangling.key"
[ -e "$T/dangling.key" ] && fail "key new left a private key without its public half"
before=$(snapshot)
expect_out "--title needs --name" ctl signer add yerevan --key "$T/speaker.key.pub" --title "Speaker"
expect_rc 2 ctl signer add yerevan --key "$T/speaker.key.pub" --name "$(printf 'Rasul\033[8m Guliev')"
expect_rc 2 ctl signer add yerevan --key "$T/speaker.key.pub" --name " Rasul Guliev"
expect_rc 2 ctl signer add yerevan --key "$T/speaker.key.pub" --name "$(head -c 101 /dev/zero | tr '\0' x)"
[ "$(snapshot)" = "$before" ] || fail "a refused signer changed the store"
expect_out "Rasul Guliev, Speaker of the Milli Meclis" ctl signer add yerevan --key "$T/speaker.key.pub" \
	--name "Rasul Guliev" --title "Speaker of the Milli Meclis"
[ "$(jget "$(ctl --json signer list yerevan)" '.signers[] | select(.name != null) | .title')" = "Speaker of the Milli Meclis" ] ||
	fail "signer list lacks the title"
as yerevan journal | grep -q "Ed25519 key of Rasul Guliev, Speaker of the Milli Meclis" || fail "the record does not name the signer"
pass
