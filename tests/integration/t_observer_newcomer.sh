# ../shared/scenarios/1994-07-copy-to-newcomer.md (issue 20, item 2): baku
# asks that the Minsk Conference receive a copy of the released May
# agreement; nobody objects within [agreements] objection_window (24 h,
# on the virtual clock); minsk is added and receives the release bundle at
# once, which verifies (its certificate, signed at release, does not name
# minsk).  An objection refuses a request; every other party's consent adds
# at once; a newcomer to a circulating agreement receives the text and can
# never sign; bad input changes nothing; a restart mid-window loses nothing.
. "$(dirname "$0")/lib.sh"
export TZ=Asia/Baku
setup
for p in baku yerevan stepanakert; do enrol $p; done
for o in minsk minsk-2 minsk-3 minsk-4; do enrol $o --observer; done
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null || fail "clock set"
printf 'The parties agree to cease fire.\n' >"$T/may.txt"
out=$(ctl --json agreement create --title "Ceasefire" --text "$T/may.txt" \
	--parties baku,yerevan,stepanakert) || fail "create: $out"
A=$(jget "$out" .id)
expect_rc 0 ctl agreement circulate "$A"
sign_all "$A" baku yerevan stepanakert
[ "$(jget "$(ctl --json agreement show "$A")" .state)" = in_force ] || fail "May not in force"
for p in baku yerevan stepanakert; do inbox $p >/dev/null; done

# --- bad input changes nothing ---
ctl clock set 1994-07-26T10:00:00+04:00 >/dev/null
printf 'Draft.\n' >"$T/d.txt"
D=$(jget "$(ctl --json agreement create --title Draft --text "$T/d.txt" --parties baku,yerevan)" .id)
W=$(jget "$(ctl --json agreement create --title Gone --text "$T/d.txt" --parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$W"
expect_rc 0 ctl agreement withdraw "$W"
# (a connection clears its party's duty alert: connect first)
for p in baku yerevan stepanakert minsk; do inbox $p >/dev/null; done
before=$(snapshot)
expect_out "not an observer" as baku observer request "$A" yerevan --note x
expect_rc 1 as baku observer request "$A" yerevan
expect_out "no party" as baku observer request "$A" nobody
expect_out "no agreement 999 for party baku" as baku observer request 999 minsk
expect_out "no agreement $D for party baku" as baku observer request "$D" minsk
expect_out "is withdrawn" as baku observer request "$W" minsk
expect_out "no agreement $A for party minsk" as minsk observer request "$A" minsk-2
expect_rc 2 as baku observer request "$A"
expect_rc 2 as baku observer object 1
expect_out "no observer request 77" as baku observer consent 77
expect_out "is withdrawn" ctl observer add "$W" minsk
expect_out "not an observer" ctl observer add "$A" baku
[ "$(snapshot)" = "$before" ] || fail "a refused request changed the store"

# --- July 26: baku asks for a copy to minsk on the released May agreement ---
out=$(as baku --json observer request "$A" minsk \
	--note "a copy to the chairman of the Minsk Conference") || fail "request: $out"
R=$(jget "$out" .id)
[ -n "$R" ] && [ "$R" != null ] || fail "no request id: $out"
expect_out "already a member|open already" as baku observer request "$A" minsk
for p in yerevan stepanakert; do
	out=$(inbox $p)
	[ "$(jget "$out" "[.deliveries[] | select(.kind == \"update\" and .event == \"observer-requested\")] | length")" = 1 ] \
		|| fail "$p not asked: $out"
done
out=$(inbox baku)
[ "$(jget "$out" '[.deliveries[] | select(.event == "observer-requested")] | length')" = 0 ] \
	|| fail "the requester was asked: $out"
out=$(inbox minsk)
[ "$(jget "$out" '.deliveries | length')" = 0 ] || fail "minsk told before it was added: $out"
inbox baku >/dev/null
before=$(snapshot)
expect_out "own" as baku observer consent "$R"
expect_out "no observer request" as minsk observer consent "$R"
[ "$(snapshot)" = "$before" ] || fail "a refused answer changed the store"
# restart in the middle of the window: the timer is a row
restart
ctl clock set 1994-07-27T09:59:00+04:00 >/dev/null
[ "$(jget "$(ctl --json observer list "$A")" '.requests[0].state')" = open ] || fail "decided early"
ctl clock set 1994-07-27T10:00:01+04:00 >/dev/null
out=$(ctl --json observer list "$A")
[ "$(jget "$out" '.requests[0].state')" = added ] || fail "not added after the window: $out"
inbox yerevan >"$T/yerevan-27.json"
before=$(snapshot)
expect_out "decided already" as yerevan observer object "$R" --reason late
[ "$(snapshot)" = "$before" ] || fail "a late answer changed the store"
# minsk receives the release bundle at once, and it verifies
out=$(inbox minsk)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "release" and .verified)] | length')" = 1 ] \
	|| fail "minsk: no verified release bundle: $out"
expect_out "verifies" "$BIN/parley" verify "$T/minsk/bundles/$A" --mediator-key "$MEDIATOR_PUB"
grep -q '^observers:$' "$T/minsk/bundles/$A/certificate.txt" || fail "the certificate changed"
expect_rc 0 as minsk bundle "$A" "$T/minsk-fetch"
expect_rc 0 ctl agreement export "$A" "$T/export-after"
# the record shows the request and its outcome to every party
for p in baku yerevan stepanakert minsk; do
	out=$(as $p journal --agreement "$A")
	case $out in *observer-requested*) ;; *) fail "$p: the request is not in the record: $out" ;; esac
	case $out in *observer-added*) ;; *) fail "$p: the outcome is not in the record: $out" ;; esac
done
out=$(as yerevan --json observer list "$A")
[ "$(jget "$out" '.requests[0].party')" = minsk ] || fail "yerevan's list: $out"
for p in yerevan stepanakert baku; do
	out=$(inbox $p)
	[ $p = yerevan ] && out=$(cat "$T/yerevan-27.json")
	[ "$(jget "$out" '[.deliveries[] | select(.event == "observer-added")] | length')" = 1 ] \
		|| fail "$p not told of the outcome: $out"
done

# --- a second request, refused by an objection ---
out=$(as yerevan --json observer request "$A" minsk-2 --note "another copy") || fail "request 2: $out"
R2=$(jget "$out" .id)
expect_rc 2 as baku observer object "$R2"
expect_out "objection recorded; the request is refused" \
	as stepanakert observer object "$R2" --reason "not a party to these talks"
expect_out "decided already" as baku observer consent "$R2"
ctl clock advance 2d >/dev/null
out=$(ctl --json observer list "$A")
[ "$(jget "$out" ".requests[] | select(.id == $R2) | .state")" = refused ] || fail "not refused: $out"
[ "$(jget "$out" ".requests[] | select(.id == $R2) | .answers[0].reason")" = "not a party to these talks" ] \
	|| fail "reason not recorded: $out"
[ "$(db "SELECT count(*) FROM agreement_party ap JOIN party p ON p.id = ap.party_id WHERE p.code = 'minsk-2'")" = 0 ] \
	|| fail "minsk-2 added"
out=$(as baku journal --agreement "$A")
case $out in *observer-objected*"not a party to these talks"*) ;; *) fail "objection not in the record: $out" ;; esac

# --- the mediator proposes; explicit consents from all add at once ---
out=$(ctl --json observer add "$A" minsk-3 --note "for the archive") || fail "observer add: $out"
R3=$(jget "$out" .id)
expect_out "consent recorded; the request is open" as baku observer consent "$R3"
expect_out "has answered request $R3 already" as baku observer consent "$R3"
expect_out "consent recorded; the request is open" as yerevan observer consent "$R3"
expect_out "consent recorded; the request is added" as stepanakert observer consent "$R3"
out=$(inbox minsk-3)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "release" and .verified)] | length')" = 1 ] \
	|| fail "minsk-3: no verified release bundle at once: $out"

# --- a circulating agreement: the newcomer receives the text, never signs ---
printf 'The parties reaffirm the ceasefire.\n' >"$T/july.txt"
C=$(jget "$(ctl --json agreement create --title "Reaffirmation" --text "$T/july.txt" \
	--parties baku,yerevan,stepanakert)" .id)
expect_rc 0 ctl agreement circulate "$C"
expect_out "accepted" as yerevan sign "$C" --yes
R4=$(jget "$(as baku --json observer request "$C" minsk-4 --note "copy")" .id)
for p in baku yerevan stepanakert; do inbox $p >/dev/null; done
expect_rc 0 as yerevan observer consent "$R4"
expect_rc 0 as stepanakert observer consent "$R4"
out=$(inbox minsk-4)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "circulation")] | length')" = 1 ] \
	|| fail "minsk-4: no text: $out"
# it reads what it was sent, the text and terms, and nothing of the signing
out=$(as minsk-4 --json show "$C") || fail "minsk-4 show: $out"
[ "$(jget "$out" .text)" = "The parties reaffirm the ceasefire." ] || fail "minsk-4 show: $out"
out=$(as minsk-4 --json status "$C") || fail "minsk-4 status: $out"
[ "$(jget "$out" '.parties | length')" = 0 ] || fail "minsk-4 learns who signed: $out"
expect_out "observer" as minsk-4 sign "$C" --yes
[ "$(db "SELECT count(*) FROM copy c JOIN party p ON p.id = c.party_id WHERE p.code = 'minsk-4'")" = 0 ] || fail "minsk-4 signed"
# the embargo: what the parties were told of the request says nothing of signing
for p in baku stepanakert; do
	out=$(inbox $p)
	case $out in *signed*|*yerevan\ sign*) fail "$p learnt of signing: $out" ;; esac
done
sign_all "$C" baku stepanakert
out=$(inbox minsk-4)
[ "$(jget "$out" '[.deliveries[] | select(.kind == "release" and .verified)] | length')" = 1 ] \
	|| fail "minsk-4: no verified release bundle: $out"
grep -q '^observers: minsk-4$' "$T/minsk-4/bundles/$C/certificate.txt" || fail "minsk-4 not named"
pass
