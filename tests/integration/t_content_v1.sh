# A store upgraded with an agreement in circulation (issue 20, content
# hash version 2): its revision keeps content version 1, the hash its
# copies were signed over.  Emulated here as the 16 -> 17 migration leaves
# it: the revision's content_version 1 and its hash the version 1 layout,
# computed in this test from doc/bundle.md 5.1 (not by parley).  The
# parties still sign it with the real client (which hashes in the version
# the daemon states), it is released, and its bundle has a two-line
# terms.txt that both verifiers accept; an amendment adopted afterwards is
# a version 2 revision.  A client that hashes in version 2 what is version
# 1 is refused as not identical.
. "$(dirname "$0")/lib.sh"
sqlite_only "it rewrites a revision in the SQLite file to emulate an old store"
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan; do enrol $p; done
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null
A=$(jget "$(ctl --json agreement create --title "Ceasefire" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --zone Europe/Moscow --valid-for 10d)" .id)
ctl agreement circulate "$A" >/dev/null || fail "circulate"
[ "$(db "SELECT content_version FROM revision WHERE agreement_id = $A")" = 2 ] ||
	fail "a new revision is not of content version 2"
stop_daemon
python3 - "$T/state/parley.db" "$A" <<'PY' || fail "could not make the revision version 1"
import hashlib, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
a = int(sys.argv[2])
text, cal = db.execute("SELECT text, calendar FROM revision WHERE agreement_id = ?", (a,)).fetchone()
eff, val = db.execute("SELECT effective, validity FROM agreement WHERE id = ?", (a,)).fetchone()
f = lambda s: struct.pack(">I", len(s.encode())) + s.encode()
h = hashlib.sha256(b"parley-content-v1\x00" + f(text) + f(eff) + f(val) + f(cal)).digest()
db.execute("UPDATE revision SET content_version = 1, content_hash = ? WHERE agreement_id = ?",
           (h, a))
db.commit()
PY
start_daemon
j=$(as baku --json show "$A") || fail "show: $j"
[ "$(jget "$j" .content_version)" = 1 ] || fail "show says content version $(jget "$j" .content_version)"
[ "$(jget "$j" '.covered | join(",")')" = "text,effective,validity,calendar" ] || fail "covered: $j"
out=$(as baku show "$A")
covered=$(sed -n '/your signature covers/,/not covered by the signature/p' <<<"$out")
grep -q "zone:" <<<"$covered" && fail "version 1 shows the zone as covered: $out"
# hashed as version 2 (what the daemon does not state): not identical
out=$(ptool sign "$T/yerevan/client.conf" "$A" --content-v2) && fail "a version 2 copy accepted: $out"
grep -qi "identical" <<<"$out" || fail "the refusal does not say why: $out"
expect_out accepted as baku sign "$A" --yes
expect_out accepted as yerevan sign "$A" --yes
[ "$(jget "$(ctl --json agreement show "$A")" .state)" != circulating ] || fail "not released"
expect_rc 0 as baku bundle "$A" "$T/bundle-v1"
[ "$(wc -l < "$T/bundle-v1/terms.txt")" = 2 ] || fail "terms.txt is not two lines: $(cat "$T/bundle-v1/terms.txt")"
expect_rc 0 as baku verify "$T/bundle-v1"
# a version 1 bundle dressed as version 2 (the zone and roles added to its
# terms): the content hash no longer matches
mkdir "$T/dressed" && cp "$T"/bundle-v1/* "$T/dressed/"
printf 'zone: Europe/Moscow\nsignatories: baku yerevan\nextends:\nreaffirms:\n' >>"$T/dressed/terms.txt"
expect_rc 1 as baku verify "$T/dressed"
pass
