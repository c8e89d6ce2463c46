# ../shared/scenarios/1994-05-bishkek-reservations.md (issue 21, items 1
# and 2): yerevan signs the Bishkek Protocol on 5 May; baku signs on 8 May
# with two reservations written on its own sheet; stepanakert signs last.
# baku's copy is identical and counts; its reservation is signed with it
# (the payload of version 2), shown to the mediator at once, and to nobody
# else before release: every byte the other parties and the observer read
# is searched for it.  At release every member reads it; the bundle carries
# it, both verifiers check it, and a byte of it changed, the file dropped
# or moved to another copy is refused.  An agreement created
# --no-reservations refuses such a copy with the reason, changing nothing.
# A signature subject to ratification is released and carried as such.
# Bad reservations and conditions are refused with the reason.
. "$(dirname "$0")/lib.sh"
setup
INTEROP=$(cd "$(dirname "$0")/../interop" && pwd)
export RXLOG_DIR=$T/rx
mkdir "$RXLOG_DIR"
for p in baku yerevan stepanakert; do enrol $p; done
enrol minsk --observer
ctl clock set 1994-05-05T12:00:00+05:00 >/dev/null
printf '%s\n' "Бишкекский протокол" \
	"1. Прекратить огонь в ночь с 8 на 9 мая 1994 года." \
	"2. Встретиться до 10 мая для уточнения деталей." >"$T/protocol.txt"
printf '%s\n' "Оговорки азербайджанской стороны:" \
	"1. Вместо «конфликтующие стороны» читать «стороны конфликта»." \
	"2. Подпись не означает признания иных участников сторонами." >"$T/reservation.txt"
RES_LINE="Подпись не означает признания"
A=$(jget "$(ctl --json agreement create --title "Bishkek Protocol" --text "$T/protocol.txt" \
	--parties baku,yerevan,stepanakert --observers minsk)" .id)
expect_rc 0 ctl agreement circulate "$A"
expect_out accepted as yerevan sign "$A" --yes

# 8 May, Baku: signed with the reservations; accepted and counted
ctl clock set 1994-05-08T22:00:00+04:00 >/dev/null
expect_out accepted as baku sign "$A" --yes --reservation "$T/reservation.txt"
expect_out "your copy carries this reservation" as baku sign "$A" --reservation "$T/reservation.txt" --yes
out=$(as baku --json status "$A")
[ "$(jget "$out" '.parties[0].signed')" = true ] || fail "baku's copy with a reservation does not count: $out"
# the mediator reads it at once
sh=$(ctl --json agreement show "$A")
[ "$(jget "$sh" '.parties[] | select(.party == "baku") | .reservations[0].reservation')" = "$(cat "$T/reservation.txt")" ] ||
	fail "the mediator does not read baku's reservation: $sh"
expect_out "reservation:" ctl agreement show "$A"
grep -q "baku signed revision 1 (copy [0-9]*) with a reservation" "$T/parleyd.log" || fail "no log line"
# nobody else learns of it before release, on any channel they read
for p in yerevan stepanakert minsk; do
	as $p --json inbox >/dev/null; as $p --json show "$A" >/dev/null; as $p --json status "$A" >/dev/null
	as $p journal >/dev/null; as $p journal --agreement "$A" >/dev/null
	grep -qF "$RES_LINE" "$RXLOG_DIR/$p.rx" && fail "$p read baku's reservation before release"
	grep -q "with a reservation" "$RXLOG_DIR/$p.rx" && fail "$p learnt that baku made a reservation"
done

# stepanakert signs: released; every member reads the reservation
expect_out "agreement $A is released" as stepanakert sign "$A" --yes
for p in yerevan stepanakert minsk baku; do
	out=$(inbox $p)
	[ "$(jget "$out" '[.deliveries[] | select(.kind == "release" and .verified)] | length')" = 1 ] ||
		fail "$p: no verified release bundle: $out"
	jget "$out" '.deliveries[] | select(.kind == "release") | .result' | grep -q "baku signed with a reservation" ||
		fail "$p is not told of the reservation at release: $out"
	cmp -s "$T/reservation.txt" "$T/$p/bundles/$A/reservation-baku.txt" || fail "$p's bundle lacks the reservation"
done
B=$T/bundle
expect_rc 0 ctl agreement export "$A" "$B"
grep -qx "reservation: $(sha256sum "$T/reservation.txt" | cut -d' ' -f1)" "$B/certificate.txt" ||
	fail "the certificate does not name the reservation"
expect_out "baku signed with a reservation" as yerevan verify "$B"
expect_out "^valid" python3 "$INTEROP/verify_bundle.py" "$B" --mediator-key "$MEDIATOR_PUB"
# a reservation altered, dropped, or put on another copy: refused by both
tamper() { rm -rf "$T/t"; cp -r "$B" "$T/t"; }
tamper; sed -i 's/признания/признание/' "$T/t/reservation-baku.txt"
expect_rc 1 as yerevan verify "$T/t"
tamper; rm "$T/t/reservation-baku.txt"
expect_rc 1 as yerevan verify "$T/t"
tamper; mv "$T/t/reservation-baku.txt" "$T/t/reservation-yerevan.txt"
expect_rc 1 as yerevan verify "$T/t"
# (the interop check at the end runs the independent verifier on each)

# --no-reservations: refused with the reason, nothing changed; a plain copy is taken
C=$(jget "$(ctl --json agreement create --title "No reservations" --text "$T/protocol.txt" \
	--parties baku,yerevan --no-reservations)" .id)
expect_rc 0 ctl agreement circulate "$C"
[ "$(jget "$(ctl --json agreement show "$C")" .no_reservations)" = true ] || fail "no_reservations not shown"
before=$(snapshot)
expect_out "created with --no-reservations" as baku sign "$C" --yes --reservation "$T/reservation.txt"
expect_out "created with --no-reservations" as baku sign "$C" --yes --subject-to "ratification"
[ "$(snapshot)" = "$before" ] || fail "a refused reservation changed the store"
expect_out accepted as baku sign "$C" --yes

# subject to ratification: released, and carried as such
D=$(jget "$(ctl --json agreement create --title "Ratified later" --text "$T/protocol.txt" \
	--parties baku,yerevan --observers minsk --zone Asia/Baku)" .id)
expect_rc 0 ctl agreement circulate "$D"
COND="ratification by the Milli Meclis"
expect_out accepted as baku sign "$D" --yes --subject-to "$COND"
[ "$(jget "$(ctl --json agreement show "$D")" '.parties[] | select(.party == "baku") | .reservations[0].condition')" = "$COND" ] ||
	fail "the condition is not shown to the mediator"
expect_out "agreement $D is released" as yerevan sign "$D" --yes
expect_rc 0 ctl agreement export "$D" "$T/bundle-d"
grep -qx "subject-to: $COND" "$T/bundle-d/certificate.txt" || fail "the certificate lacks the condition"
expect_out "baku signed subject to: $COND" as yerevan verify "$T/bundle-d"
[ "$(jget "$(ctl --json agreement show "$D")" '.parties[] | select(.party == "baku") | .reservations[0].condition_state')" = open ] ||
	fail "the condition is not open"
st=$(curl -s --unix-socket "$T/status.sock" http://localhost/status) || fail "status socket"
[ "$(jget "$st" .conditions_open)" = 1 ] || fail "the status socket does not count the open condition: $st"
# the mediator expects it lifted by 20 May; bad input changes nothing
before=$(snapshot)
expect_rc 2 ctl condition deadline "$D" baku yesterday
expect_out "must be in the future" ctl condition deadline "$D" baku 1994-05-01
expect_out "not a signing party" ctl condition deadline "$D" minsk 1994-05-20
expect_out "no copy of yerevan on agreement $D is subject to a condition" ctl condition deadline "$D" yerevan 1994-05-20
expect_out "no copy of baku in role x" ctl condition deadline "$D" baku 1994-05-20 --role x
[ "$(snapshot)" = "$before" ] || fail "a refused deadline changed the store"
for p in baku yerevan minsk; do inbox $p >/dev/null; done
expect_out "the mediator expects baku to lift its condition on agreement $D \(ratification by the Milli Meclis\) by 1994-05-21T00:00:00\+04:00" \
	ctl condition deadline "$D" baku 1994-05-20
out=$(inbox yerevan)
[ "$(jget "$out" '[.deliveries[] | select(.event == "condition-deadline")] | length')" = 1 ] || fail "yerevan not told of the deadline: $out"
# past it, every member is told once; a restart repeats nothing
ctl clock set 1994-05-21T10:00:00+04:00 >/dev/null
restart
ctl clock advance 1h >/dev/null
for p in baku yerevan; do
	out=$(inbox $p)
	[ "$(jget "$out" '[.deliveries[] | select(.event == "condition-overdue")] | length')" = 1 ] ||
		fail "$p not told once that the condition is overdue: $out"
done
grep -q "baku has not lifted its condition on agreement $D" "$T/parleyd.log" || fail "the log does not say"
# refusals: an observer, a party without a condition, a key not its own, before release
expect_out "no copy of minsk on agreement $D is subject to a condition" as minsk condition lift "$D" --yes
expect_out "no copy of yerevan on agreement $D is subject to a condition" as yerevan condition lift "$D" --yes
expect_out "no copy of baku in role x" as baku condition lift "$D" --yes --role x
expect_out "is not registered for baku" as baku condition lift "$D" --yes --key "$T/yerevan/signer.key"
# a lifting signed for one agreement is refused for another with the
# same condition (the layout names the agreement and the copy)
D2=$(jget "$(ctl --json agreement create --title "Twin" --text "$T/protocol.txt" \
	--parties baku,yerevan --zone Asia/Baku)" .id)
expect_rc 0 ctl agreement circulate "$D2"
expect_out accepted as baku sign "$D2" --yes --subject-to "$COND"
expect_out "agreement $D2 is released" as yerevan sign "$D2" --yes
before=$(snapshot)
out=$(ptool lift "$T/baku/client.conf" "$D2" "$D") && fail "a lifting replayed from agreement $D was accepted: $out"
grep -q "does not verify over the lifting" <<<"$out" || fail "the replay is refused for another reason: $out"
[ "$(snapshot)" = "$before" ] || fail "a replayed lifting changed the store"
[ "$(jget "$(ctl --json agreement show "$D2")" '.parties[] | select(.party == "baku") | .reservations[0].condition_state')" = open ] ||
	fail "the replay lifted the condition"
# 27 May: the Milli Meclis ratified it; baku lifts the condition, every member is told
ctl clock set 1994-05-27T12:00:00+04:00 >/dev/null
expect_out "baku lifted the condition of its signature of agreement $D \(ratification by the Milli Meclis\): the signature is final" \
	as baku condition lift "$D" --yes
expect_out "lifted its condition on agreement $D at 1994-05-27T12:00:00\+04:00 already" as baku condition lift "$D" --yes
sh=$(ctl --json agreement show "$D")
[ "$(jget "$sh" '.parties[] | select(.party == "baku") | .reservations[0].condition_state')" = lifted ] || fail "not lifted: $sh"
[ "$(jget "$sh" '.parties[] | select(.party == "baku") | .reservations[0].condition_lifted_at')" = 1994-05-27T12:00:00+04:00 ] || fail "lifted_at: $sh"
out=$(inbox yerevan)
txt=$(jget "$out" '.deliveries[] | select(.event == "condition-lifted") | .text')
grep -q "the signature is final; signed by key [0-9a-f]\{64\}: [0-9a-f]\{128\}" <<<"$txt" || fail "yerevan not told with the signature: $out"
# the lifting signature verifies offline over the layout of proto/sign.h,
# built here in python from the certificate (not by parley)
sigline=$(grep "^copy: baku " "$T/bundle-d/certificate.txt")
python3 - "$sigline" "$txt" "$D" <<'PY' || fail "the lifting signature does not verify independently"
import hashlib, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
copy = sys.argv[1].split(); text = sys.argv[2]; agreement = sys.argv[3]
key, sig = text.rsplit("signed by key ", 1)[1].split(": ")
f = lambda b: struct.pack(">I", len(b)) + b
layout = (b"parley-lift-v1\x00" + f(agreement.encode()) + struct.pack(">I", 1) + f(b"baku")
          + f(b"") + f("ratification by the Milli Meclis".encode())
          + hashlib.sha256(bytes.fromhex(copy[4])).digest())
Ed25519PublicKey.from_public_bytes(bytes.fromhex(key)).verify(bytes.fromhex(sig.strip()), layout)
PY
as yerevan journal --agreement "$D" | grep -q "kind: condition-lifted" || fail "not in the record"
# before release a condition is not lifted: withdrawn and signed again
F=$(jget "$(ctl --json agreement create --title "F" --text "$T/protocol.txt" --parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$F"
expect_out accepted as baku sign "$F" --yes --subject-to "$COND"
expect_out "agreement $F is not released" as baku condition lift "$F" --yes

# bad reservations and conditions: refused by parley before anything is sent
E=$(jget "$(ctl --json agreement create --title "E" --text "$T/protocol.txt" --parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$E"
printf 'Оговорка \033[8mскрыта\033[0m\n' >"$T/esc.txt"
head -c 65537 /dev/zero | tr '\0' x >"$T/big.txt"
: >"$T/empty.txt"; printf "  \n\t\n" >"$T/blank.txt"
before=$(snapshot)
expect_out "control character U\\+001B" as baku sign "$E" --yes --reservation "$T/esc.txt"
expect_rc 2 as baku sign "$E" --yes --reservation "$T/big.txt"
expect_rc 2 as baku sign "$E" --yes --reservation "$T/empty.txt"
expect_out "not blank" as baku sign "$E" --yes --reservation "$T/blank.txt"
expect_rc 2 as baku sign "$E" --yes --reservation "$T/nonexistent.txt"
expect_rc 2 as baku sign "$E" --yes --subject-to "$(printf 'two\nlines')"
expect_rc 2 as baku sign "$E" --yes --subject-to " leading space"
expect_rc 2 as baku sign "$E" --yes --subject-to "$(head -c 301 /dev/zero | tr '\0' x)"
[ "$(snapshot)" = "$before" ] || fail "a refused reservation changed the store"
# a deadline before release would tell the others of a signing: refused
expect_out "known to the members only once it is released" ctl condition deadline "$F" baku 1994-06-01
# what a withdrawn copy carried is never told, not even after release
G=$(jget "$(ctl --json agreement create --title "G" --text "$T/protocol.txt" --parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$G"
printf 'SECRET-G-RESERVATION\n' >"$T/g.txt"
expect_out accepted as baku sign "$G" --yes --reservation "$T/g.txt" --subject-to "SECRET-G-CONDITION"
expect_out withdrawn as baku withdraw "$G"
expect_out accepted as baku sign "$G" --yes
expect_out "agreement $G is released" as yerevan sign "$G" --yes
for p in yerevan minsk; do as $p journal >/dev/null; as $p journal --agreement "$G" >/dev/null; inbox $p >/dev/null; done
grep -q "SECRET-G" "$RXLOG_DIR/yerevan.rx" && fail "yerevan read what baku's withdrawn copy carried"
as yerevan journal --agreement "$G" | grep -q "with a reservation\|subject to" && fail "the record tells of a withdrawn copy's reservation"

# Reservations never make a release too large to deliver: on a text near
# the limit, each of the signatures required has an equal share of the
# room left, so that one party's reservation never depends on (nor tells
# of) another's.  Over its share it is refused with the reason and
# nothing changed; at its share it is taken; the release verifies.
head -c 515000 /dev/zero | tr '\0' 'a' | fold -w 100 >"$T/long.txt"
H=$(jget "$(ctl --json agreement create --title "Long" --text "$T/long.txt" --parties baku,yerevan,stepanakert)" .id)
expect_rc 0 ctl agreement circulate "$H"
head -c 65536 /dev/zero | tr '\0' 'r' | fold -w 64 | head -c 65536 >"$T/r-big.txt"
for p in baku yerevan stepanakert; do inbox $p >/dev/null; done	# (clears the duty alerts)
share() { sed -n 's/.*may be at most \([0-9]*\) bytes.*/\1/p' "$T/last.out"; }
before=$(snapshot)
expect_out "a reservation on agreement $H may be at most [0-9]* bytes" as baku sign "$H" --yes --reservation "$T/r-big.txt"
max=$(share)
[ "$(snapshot)" = "$before" ] || fail "a refused reservation changed the store"
expect_out accepted as yerevan sign "$H" --yes
# the same share, whether another has signed or not
expect_out "may be at most $max bytes" as baku sign "$H" --yes --reservation "$T/r-big.txt"
head -c "$max" "$T/r-big.txt" >"$T/r-max.txt"
expect_out accepted as baku sign "$H" --yes --reservation "$T/r-max.txt"
expect_out "is released" as stepanakert sign "$H" --yes --reservation "$T/r-max.txt"
[ "$(jget "$(ctl --json agreement show "$H")" .state)" != circulating ] || fail "not released"
expect_rc 0 ctl agreement export "$H" "$T/bundle-h"
expect_rc 0 as baku verify "$T/bundle-h"
expect_rc 0 ctl journal verify
pass
