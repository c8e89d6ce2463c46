# ../shared/scenarios/1994-05-ceasefire.md: three sheets, one signature each.
# An amendment by yerevan is adopted (baku signs again), the release comes on
# stepanakert's copy, effective 00:01 May 12, and every bundle verifies
# offline with the mediator's public key alone; tampering is detected.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan stepanakert; do enrol $p; done
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null || fail "clock set"

out=$(ctl --json agreement create --title "Ceasefire agreement (Bishkek Protocol follow-up)" \
	--text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan,stepanakert \
	--effective 1994-05-12T00:01:00+04:00) || fail "create: $out"
A=$(jget "$out" .id)
[ "$(jget "$out" .state)" = draft ] || fail "not a draft: $out"
expect_rc 0 ctl agreement circulate "$A"
for p in baku yerevan stepanakert; do
	out=$(as $p --json inbox)
	[ "$(jget "$out" '[.deliveries[] | select(.kind == "circulation")] | length')" = 1 ] || fail "$p: no circulation: $out"
done

# May 9, Baku: baku signs revision 1
ctl clock set 1994-05-09T18:00:00+04:00 >/dev/null
expect_out "accepted" as baku sign "$A" --yes
# May 9-10: yerevan proposes an amendment; forwarded; baku accepts; adopted
ctl clock set 1994-05-10T09:00:00+04:00 >/dev/null
out=$(as yerevan --json amend "$A" --text "$D/ceasefire-1994-rev2.txt" \
	--note "delete the Protocol reference and the Minsk Conference invitation") || fail "amend: $out"
AM=$(jget "$out" .id)
expect_rc 0 ctl amendment forward "$AM"
out=$(as baku --json inbox)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "amendment")] | length')" = 1 ] || fail "baku did not receive the amendment: $out"
expect_rc 0 as baku amendment respond "$AM" accept --note "accepted by phone"
expect_out "yerevan|baku=accept" ctl amendment list "$A"
out=$(ctl --json amendment adopt "$AM") || fail "adopt: $out"
[ "$(jget "$out" .revision)" = 2 ] || fail "adopt did not make revision 2: $out"
[ "$(jget "$out" .superseded_signatures)" = 1 ] || fail "baku's signature not superseded: $out"
out=$(as baku --json inbox)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "update" and .event == "sign-again")] | length')" = 1 ] \
	|| fail "baku not told to sign again: $out"
out=$(ctl --json agreement show "$A")
[ "$(jget "$out" '[.parties[] | select(.signed)] | length')" = 0 ] || fail "a signature survived the adoption: $out"
# a copy of the superseded revision is refused
expect_out "revision 1 superseded by 2" "$BIN/ptool" sign "$T/baku/client.conf" "$A" --revision 1
expect_out "accepted" as baku sign "$A" --yes

# May 10: yerevan signs; May 11: not yet in force before stepanakert
ctl clock set 1994-05-10T16:00:00+04:00 >/dev/null
expect_out "accepted" as yerevan sign "$A" --yes
out=$(ctl --json agreement show "$A")
[ "$(jget "$out" .state)" = circulating ] || fail "released early: $out"
# the embargo: nobody has received a release, nor sees another's status
for p in baku yerevan stepanakert; do
	out=$(as $p --json inbox)
	[ "$(jget "$out" '[.deliveries[] | select(.kind == "release")] | length')" = 0 ] || fail "$p got a release early"
	[ "$(jget "$(as $p --json status "$A")" '.parties | length')" = 1 ] || fail "$p sees others' status"
	expect_rc 1 as $p bundle "$A" "$T/early-$p"
done

ctl clock set 1994-05-11T15:00:00+04:00 >/dev/null
expect_out "released" as stepanakert sign "$A" --yes
out=$(ctl --json agreement show "$A")
# released on the 11th, in force only from 00:01 on the 12th (issue 20)
[ "$(jget "$out" .state)" = released ] || fail "not released (and not yet in force): $out"
[ "$(jget "$out" .revision)" = 2 ] || fail "wrong revision: $out"
[ "$(jget "$out" .effective_at)" = "1994-05-12T00:01:00+04:00" ] || fail "effective_at: $out"
[ "$(jget "$out" .released_at)" = "1994-05-11T15:00:00+04:00" ] || fail "released_at: $out"
[ "$(jget "$out" .expires_at)" = null ] || fail "not open-ended: $out"
[ "$(jget "$out" '[.parties[] | select(.receipt == null)] | length')" = 3 ] || fail "receipt before ack: $out"

# every party receives the bundle with the other two sheets, verifies it, acks
ctl clock set 1994-05-11T15:10:00+04:00 >/dev/null
for p in baku yerevan stepanakert; do
	out=$(as $p --json inbox)
	[ "$(jget "$out" '[.deliveries[] | select(.kind == "release" and .verified)] | length')" = 1 ] \
		|| fail "$p: release not received and verified: $out"
	ls "$T/$p/bundles/$A"/copy-*.txt | wc -l | grep -qx 3 || fail "$p: bundle lacks three copies"
done
out=$(ctl --json agreement show "$A")
[ "$(jget "$out" '[.parties[] | select(.receipt == "1994-05-11T15:10:00+04:00")] | length')" = 3 ] \
	|| fail "receipts not recorded: $out"
# released exactly once
[ "$(jget "$(ctl --json delivery list)" '[.messages[] | select(.kind == "release")] | length')" = 3 ] \
	|| fail "release queued more than once per party"
# later copies and withdrawals are refused
expect_out "already released" as baku withdraw "$A"
expect_rc 1 as baku sign "$A" --yes
# an incident in the night of the 11th cites an agreement not yet in effect
ctl clock set 1994-05-11T23:00:00+04:00 >/dev/null
out=$(as baku --json incident file --against yerevan --agreement "$A" --place "Fizuli" \
	--time 1994-05-11T22:00:00+04:00 --nature "shelling" --consequences "none known")
case $out in *"agreement it cites is not in force"*) ;; *) fail "not marked before effect: $out" ;; esac
# 00:01 on May 12: in force, and every party is told
ctl clock set 1994-05-12T00:02:00+04:00 >/dev/null
out=$(ctl --json agreement show "$A")
[ "$(jget "$out" .state)" = in_force ] || fail "not in force after 00:01: $out"
for p in baku yerevan stepanakert; do
	out=$(as $p --json inbox)
	[ "$(jget "$out" '[.deliveries[] | select(.event == "in-effect")] | length')" = 1 ] \
		|| fail "$p not told of the effect: $out"
done

# export and verify offline, then tamper
expect_rc 0 ctl agreement export "$A" "$T/export"
expect_out "verifies" "$BIN/parley" verify "$T/export" --mediator-key "$MEDIATOR_PUB"
# the same agreement; the record's proofs refer to a later checkpoint
diff -r -x 'checkpoint.txt' -x 'journal-*' "$T/export" "$T/baku/bundles/$A" >/dev/null \
	|| fail "exported bundle differs from the delivered one"
tamper() { # DIR FILE: flip one byte in the middle of FILE and verify
	rm -rf "$T/t"; cp -r "$T/export" "$T/t"
	f="$T/t/$1"; n=$(( $(stat -c %s "$f") / 2 ))
	printf "$(printf '\\%03o' $(( ($(od -An -tu1 -j $n -N1 "$f") ^ 1) )))" | dd of="$f" bs=1 seek=$n conv=notrunc 2>/dev/null
	"$BIN/parley" verify "$T/t" --mediator-key "$MEDIATOR_PUB" >"$T/last.out" 2>&1 && fail "tampered $1 verified"
	grep -q "$2" "$T/last.out" || { cat "$T/last.out"; fail "tampered $1: reason lacks '$2'"; }
}
tamper text.txt "content hash"
tamper certificate.txt "not signed by this mediator"
tamper certificate.sig "not signed by this mediator\|lower-case hex digits"
tamper copy-yerevan.txt "copy-yerevan.txt"
tamper journal-release.entry "journal-release.entry"
tamper journal-copy-baku.proof "journal-copy-baku"
tamper checkpoint.txt "checkpoint.txt"
# a different mediator key does not verify
openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout > "$T/other.pub"
expect_rc 1 "$BIN/parley" verify "$T/export" --mediator-key "$T/other.pub"
pass
