# The record under the embargo (invariant 2; issue 17, point 7): before an
# agreement is released, `parley journal` (all of it, or --agreement ID) of
# one party shows none of another party's signing entries: copy-accepted,
# copy-refused (a non-identical copy), signature-withdrawn, signature-void
# (a mandate revoked) -- not the entry, not the hashes it carries.  Its own
# entries it sees.  Once released they are all there; an agreement created
# with --disclose-progress shows them before release.  The record stays
# verifiable: every connection checked consistency and countersigned.
. "$(dirname "$0")/lib.sh"
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan stepanakert; do enrol $p; done
enrol chair --observer
ctl clock set 1994-05-01T12:00:00+04:00 >/dev/null || fail "clock set"
openssl genpkey -algorithm ed25519 -out "$T/principal.key" 2>/dev/null &&
	openssl pkey -in "$T/principal.key" -pubout -out "$T/principal.pub" 2>/dev/null || fail "principal key"
ctl principal add yerevan --key "$T/principal.pub" >/dev/null || fail "principal add"
mandate() { jget "$(as yerevan --json mandate issue --principal-key "$T/principal.key" \
	--signer-key "$T/yerevan/signer.pub" --roles political "$@")" .id; }
M1=$(mandate)
[ -n "$M1" ] && [ "$M1" != null ] || fail "no mandate"

A=$(jget "$(ctl --json agreement create --title Ceasefire --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan,stepanakert --observers chair)" .id)
ctl agreement circulate "$A" >/dev/null || fail "circulate"
B=$(jget "$(ctl --json agreement create --title Disclosed --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,stepanakert --disclose-progress)" .id)
ctl agreement circulate "$B" >/dev/null || fail "circulate B"

# every kind of signing entry, by baku and yerevan
expect_out accepted as baku sign "$A" --yes
expect_rc 1 as yerevan sign "$A" --yes --role political --text "$D/ceasefire-1994-rev2.txt"
expect_out withdrawn as baku withdraw "$A"
expect_out accepted as baku sign "$A" --yes
expect_out accepted as yerevan sign "$A" --yes --role political
expect_out "1 signature it covered on unreleased agreements is void" \
	as yerevan mandate revoke "$M1" --principal-key "$T/principal.key"
# the answer carries no copy id: ids run over every party's copies, and
# the gap between two of one party's would count the others'
out=$(as baku --json sign "$B" --yes) || fail "baku sign B: $out"
[ "$(jget "$out" .id)" = null ] || fail "the sign answer carries a copy id: $out"
for k in copy-accepted copy-refused signature-withdrawn signature-void; do
	[ "$(db "SELECT count(*) FROM journal WHERE kind = '$k' AND agreement_id = $A")" -ge 1 ] ||
		fail "no $k entry of agreement $A in the store"
done

# What of agreement AG, party P's signing, endpoint E's record shows
# (journal or journal --agreement AG): the number of entries, and of the
# hashes they carry (the content hash of a refused copy, SHA-256 of every
# signature) how many appear anywhere in what it printed.
sigkinds='["copy-accepted","copy-refused","signature-withdrawn","signature-void"]'
shows() { # ENDPOINT AG PARTY [--agreement AG]
	local out
	out=$(as "$1" --json journal ${4:+--agreement "$2"}) || fail "$1: journal: $out"
	jget "$out" "[.entries[] | select(test(\"\\nkind: (\" + ($sigkinds | join(\"|\")) + \")\\nagreement: $2\\nparty: $3\\n\"))] | length"
}
hashes_in() { # ENDPOINT AG PARTY
	local out h n=0
	out=$(as "$1" --json journal; as "$1" --json journal --agreement "$2")
	for h in $(db "SELECT lower(hex(c.signature)) FROM copy c JOIN party p ON p.id = c.party_id
		WHERE c.agreement_id = $2 AND p.code = '$3'"); do
		h=$(printf "$(printf '%s' "$h" | sed 's/../\\x&/g')" | sha256sum | cut -d' ' -f1)
		grep -q "$h" <<<"$out" && n=$((n + 1))
	done
	for h in $(db "SELECT lower(hex(c.content_hash)) FROM copy c JOIN party p ON p.id = c.party_id
		WHERE c.agreement_id = $2 AND p.code = '$3' AND c.status = 'non-identical'"); do
		grep -q "$h" <<<"$out" && n=$((n + 1))
	done
	echo $n
}

# before release: the others see nothing of it, by either request
for e in stepanakert chair baku; do
	[ "$(shows $e "$A" yerevan)" = 0 ] || fail "$e sees yerevan's signing entries before release"
	[ "$(shows $e "$A" yerevan --agreement)" = 0 ] || fail "$e sees yerevan's signing entries (--agreement) before release"
	[ "$(hashes_in $e "$A" yerevan)" = 0 ] || fail "$e's record carries yerevan's hashes before release"
done
for e in stepanakert chair yerevan; do
	[ "$(shows $e "$A" baku)" = 0 ] || fail "$e sees baku's signing entries before release"
	[ "$(shows $e "$A" baku --agreement)" = 0 ] || fail "$e sees baku's signing entries (--agreement) before release"
	[ "$(hashes_in $e "$A" baku)" = 0 ] || fail "$e's record carries baku's hashes before release"
done
# ... and the rest of the agreement's record as before
as stepanakert --json journal --agreement "$A" | grep -q 'kind: circulated' ||
	fail "stepanakert does not see the circulation"
# its own entries a party sees: baku accepted twice, withdrew once;
# yerevan refused, accepted, void
[ "$(shows baku "$A" baku)" = 3 ] || fail "baku sees $(shows baku "$A" baku) of its 3 signing entries"
[ "$(shows yerevan "$A" yerevan --agreement)" = 3 ] || fail "yerevan sees $(shows yerevan "$A" yerevan --agreement) of its 3 signing entries"
# disclosed progress: stepanakert sees baku's copy of B before B's release
[ "$(shows stepanakert "$B" baku --agreement)" = 1 ] || fail "disclosed progress hidden from stepanakert"
[ "$(shows stepanakert "$B" baku)" = 1 ] || fail "disclosed progress hidden from stepanakert's whole record"

# release: everything is in the record for every member
M2=$(mandate)
expect_out accepted as yerevan sign "$A" --yes --role political
expect_out "agreement $A is released" as stepanakert sign "$A" --yes
for e in stepanakert chair; do
	[ "$(shows $e "$A" baku)" = 3 ] || fail "$e sees $(shows $e "$A" baku) of baku's 3 signing entries after release"
	[ "$(shows $e "$A" yerevan --agreement)" = 4 ] || fail "$e sees $(shows $e "$A" yerevan --agreement) of yerevan's 4 signing entries after release"
done
[ "$(shows baku "$A" stepanakert --agreement)" = 1 ] || fail "baku does not see stepanakert's copy after release"
n=$(hashes_in chair "$A" yerevan)
# three signatures (refused, void, counted) and the refused copy's content
[ "$n" = 4 ] || fail "after release the chair's record carries $n of yerevan's 4 hashes"

# a withdrawn or void signature's entry names it by its SHA-256 (no copy
# id, and no entry another party could guess and try against the leaf hash
# a consistency proof shows)
sha_of() { # COPY-ID
	printf "$(db "SELECT lower(hex(signature)) FROM copy WHERE id = $1" | sed 's/../\\x&/g')" |
		sha256cut; }
sha256cut() { sha256sum | cut -d' ' -f1; }
out=$(as stepanakert --json journal --agreement "$A")
w=$(db "SELECT c.id FROM copy c JOIN party p ON p.id = c.party_id WHERE c.agreement_id = $A
	AND p.code = 'baku' AND c.status = 'withdrawn'")
v=$(db "SELECT c.id FROM copy c JOIN party p ON p.id = c.party_id WHERE c.agreement_id = $A
	AND p.code = 'yerevan' AND c.status = 'void'")
[ -n "$w" ] && [ -n "$v" ] || fail "no withdrawn or no void copy in the store"
jget "$out" '.entries[] | select(test("kind: signature-withdrawn"))' | grep -qx "sha256: $(sha_of "$w")" ||
	fail "the withdrawal's entry does not name the signature: $out"
jget "$out" '.entries[] | select(test("kind: signature-void"))' | grep -qx "sha256: $(sha_of "$v")" ||
	fail "the void signature's entry does not name it: $out"
jget "$out" '.entries[]' | grep -q '^note: .*copy [0-9]' && fail "an entry names a copy by its id: $out"

# the record is whole and every party's view of it was consistent
out=$(ctl --json journal verify) || fail "journal verify: $out"
[ "$(jget "$out" .ok)" = true ] || fail "journal verify: $out"
for p in baku yerevan stepanakert chair; do
	[ -s "$T/$p/checkpoint" ] || fail "$p kept no checkpoint"
	expect_rc 0 as $p status "$A"	# consistent with it, or parley stops
done
pass
