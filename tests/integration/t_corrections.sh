#!/bin/bash
# Corrections in flight (issue 20, item 3), on the virtual clock in May 1994:
# - a signing deadline postponed twice (a restart between: the new timers
#   are rows, nothing lost or repeated), then the agreement released before
#   the new deadline and nothing lapsing at the old one; a deadline brought
#   forward, the agreement lapsing at it, and the deadline refused after;
# - a reminder now, to every signing party or to those named, each of its
#   own copy (invariant 2), delivered, acked, its receipts listed;
# - a withdrawal and an incident's close with a reason that reaches the
#   parties and is shown and journalled;
# - a decline with a reason: the mediator sees it, the other party does not
#   before release (journal, status, deliveries: invariant 2), signing
#   withdraws it, and after release the record shows it;
# - bad input (empty, blank, too long, not UTF-8, unknown agreement or
#   party, a past time) refused with nothing changed.
. "$(dirname "$0")/lib.sh"
export TZ=Asia/Baku
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan stepanakert; do enrol $p; done
enrol minsk --observer
TXT=$D/ceasefire-1994-rev1.txt
create() { jget "$(ctl --json agreement create --title "$1" --text "$TXT" --parties "$2" "${@:3}")" .id; }
count_ev() { jget "$1" "[.deliveries[] | select(.event == \"$2\")] | length"; }
pending_timers() { db "SELECT count(*) FROM timer WHERE agreement_id = $1 AND fired_at IS NULL"; }

# ---- the deadline postponed twice, released before the new one ----
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null
A=$(create "Ceasefire" baku,yerevan,stepanakert --sign-by 1994-05-10T12:00:00+04:00)
expect_rc 0 ctl agreement circulate "$A"
expect_rc 0 as baku sign "$A" --yes
[ "$(pending_timers "$A")" = 3 ] || fail "circulation: expected 2 reminders and the deadline"
out=$(ctl --json agreement deadline "$A" 1994-05-11T12:00:00+04:00) || fail "postpone 1: $out"
[ "$(jget "$out" .sign_by)" = "1994-05-11T12:00:00+04:00" ] || fail "postpone 1 answer: $out"
[ "$(jget "$out" .previous_sign_by)" = "1994-05-10T12:00:00+04:00" ] || fail "previous deadline: $out"
[ "$(pending_timers "$A")" = 3 ] || fail "postpone 1: the old timers were not replaced: $(pending_timers "$A")"
restart
# a date alone: the end of that day in the display time zone
expect_rc 0 ctl agreement deadline "$A" 1994-05-12
[ "$(jget "$(ctl --json agreement show "$A")" .sign_by)" = "1994-05-13T00:00:00+04:00" ] || fail "date deadline not shown"
expect_out "sign by: 1994-05-13T00:00:00\+04:00" ctl agreement show "$A"
NEW=$(date -d 1994-05-13T00:00:00+04:00 +%s)
[ "$(db "SELECT group_concat(kind || '@' || due_at || '/' || ref, ' ') FROM timer WHERE agreement_id = $A AND fired_at IS NULL ORDER BY due_at")" = \
	"sign-reminder@$((NEW - 86400))/$NEW sign-reminder@$((NEW - 3600))/$NEW deadline@$NEW/$NEW" ] \
	|| fail "the new timers are not those circulation schedules: $(db "SELECT * FROM timer")"
expect_out "deadline-changed: signing deadline 1994-05-13T00:00:00\+04:00, was 1994-05-11T12:00:00\+04:00" ctl agreement show "$A"
for p in baku yerevan stepanakert; do
	[ "$(count_ev "$(inbox $p)" deadline-changed)" = 2 ] || fail "$p was not told of both changes"
done
[ "$(count_ev "$(inbox minsk)" deadline-changed)" = 0 ] || fail "the observer was told of the deadline"
restart
# past the first deadline: nothing lapses, nothing fires
ctl clock set 1994-05-10T13:00:00+04:00 >/dev/null
[ "$(jget "$(ctl --json agreement show "$A")" .state)" = circulating ] || fail "lapsed at the old deadline"
[ "$(db "SELECT count(*) FROM timer WHERE agreement_id = $A AND fired_at IS NOT NULL")" = 0 ] || fail "an old timer fired"
expect_rc 0 as yerevan sign "$A" --yes
ctl clock set 1994-05-11T10:00:00+04:00 >/dev/null
expect_out "released" as stepanakert sign "$A" --yes
ctl clock set 1994-05-14T00:00:00+04:00 >/dev/null
[ "$(jget "$(ctl --json agreement show "$A")" .state)" = in_force ] || fail "not in force"
[ "$(db "SELECT count(*) FROM timer WHERE agreement_id = $A AND fired_at IS NOT NULL")" = 3 ] || fail "timers not each fired once"
for p in baku yerevan stepanakert; do
	out=$(inbox $p)
	[ "$(count_ev "$out" lapsed)$(count_ev "$out" sign-reminder)$(count_ev "$out" sign-deadline)" = 000 ] \
		|| fail "$p heard of a deadline after release: $out"
done

# ---- brought forward, a reminder now, lapse, refused after ----
B=$(create "Exchange of orders" baku,yerevan --observers minsk --sign-by 1994-05-20T12:00:00+04:00)
expect_rc 0 ctl agreement circulate "$B"
# as many names as an agreement has parties reach the daemon (one not a
# party refuses them all); more than that are refused by parleyctl
expect_out '"minsk" is not a signing party' ctl agreement remind "$B" \
	baku yerevan baku yerevan baku yerevan baku yerevan baku yerevan minsk
expect_rc 2 ctl agreement remind "$B" $(for i in $(seq 65); do echo baku; done)
out=$(ctl --json agreement remind "$B") || fail "remind: $out"
[ "$(jget "$out" '[.reminded[].party] | join(",")')" = baku,yerevan ] || fail "remind all: $out"
expect_rc 0 as baku sign "$B" --yes
out=$(ctl --json agreement remind "$B" yerevan baku) || fail "remind named: $out"
[ "$(jget "$out" '[.reminded[] | "\(.party)=\(.signed)"] | join(",")')" = "baku=true,yerevan=false" ] || fail "remind named: $out"
MB=$(jget "$out" '.reminded[0].message'); MY=$(jget "$out" '.reminded[1].message')
out=$(inbox baku)
[ "$(count_ev "$out" sign-reminder)$(count_ev "$out" copy-in)" = 11 ] || fail "baku's reminders: $out"
jget "$out" '.deliveries[] | select(.event == "copy-in") | .text' | grep -q "your signed copy is in" || fail "baku's copy-in wording"
out=$(inbox yerevan)
[ "$(count_ev "$out" sign-reminder)" = 2 ] || fail "yerevan's reminders: $out"
jget "$out" '.deliveries[] | select(.event == "sign-reminder") | .text' | grep -q "you have not signed" || fail "yerevan's wording"
[ "$(count_ev "$(inbox minsk)" sign-reminder)" = 0 ] || fail "the observer was reminded"
dl=$(ctl --json delivery list)
for m in $MB $MY; do
	[ "$(jget "$dl" "[.messages[] | select(.id == $m) | .deliveries[] | select(.acked_at != null)] | length")" = 1 ] \
		|| fail "no receipt for reminder message $m: $dl"
done
# each party reads only its own reminder entries in the record
as yerevan journal --agreement "$B" >"$T/yj" || fail "yerevan journal"
grep -q "party: baku" "$T/yj" && fail "yerevan sees an entry about baku's signing before release"
grep -c "kind: sign-reminded" "$T/yj" | grep -qx 2 || fail "yerevan does not see its own reminders"
# brought forward
expect_rc 0 ctl agreement deadline "$B" 1994-05-15T12:00:00+04:00
[ "$(pending_timers "$B")" = 3 ] || fail "brought forward: timers $(pending_timers "$B")"
ctl clock set 1994-05-15T13:00:00+04:00 >/dev/null
[ "$(jget "$(ctl --json agreement show "$B")" .state)" = lapsed ] || fail "B did not lapse at the earlier deadline"
[ "$(count_ev "$(inbox yerevan)" lapsed)" = 1 ] || fail "yerevan not told of the lapse"
S=$(snapshot)
expect_out "lapsed" ctl agreement deadline "$B" 1994-05-30T12:00:00+04:00
expect_rc 1 ctl agreement deadline "$B" 1994-05-30T12:00:00+04:00
expect_rc 1 ctl agreement remind "$B"
expect_rc 1 ctl agreement deadline "$A" 1994-05-30T12:00:00+04:00
[ "$(snapshot)" = "$S" ] || fail "a refused deadline or reminder changed the store"

# ---- a deadline given after creation; a withdrawal with a reason ----
C=$(create "Meeting in Moscow" baku,yerevan)
expect_rc 0 ctl agreement circulate "$C"
S=$(snapshot)
expect_rc 1 ctl agreement deadline "$C" 1994-05-15T12:00:00+04:00      # not in the future
expect_rc 2 ctl agreement deadline "$C" "next tuesday"
expect_rc 1 ctl agreement deadline 999 1994-05-30T12:00:00+04:00
expect_rc 1 ctl agreement remind "$C" stepanakert                       # not a member
expect_rc 1 ctl agreement remind "$C" minsk                             # an observer
expect_rc 1 ctl agreement remind 999
expect_rc 2 ctl agreement remind "$C" 'Bad Code'
expect_rc 2 ctl agreement withdraw "$C" --reason ""
expect_rc 2 ctl agreement withdraw "$C" --reason "   "
expect_rc 2 ctl agreement withdraw "$C" --reason "$(head -c 501 /dev/zero | tr '\0' x)"
expect_rc 2 ctl agreement withdraw "$C" --reason $'bad \xff byte'
expect_rc 2 ctl agreement withdraw "$C" --reason
[ "$(snapshot)" = "$S" ] || fail "bad input changed the store"
expect_rc 0 ctl agreement deadline "$C" 1994-05-16T18:00:00+04:00
[ "$(pending_timers "$C")" = 3 ] || fail "a first deadline got no timers"
R="the parties agreed to meet in Moscow on May 16 instead"
out=$(ctl --json agreement withdraw "$C" --reason "$R") || fail "withdraw: $out"
[ "$(jget "$out" .reason)" = "$R" ] || fail "withdraw answer: $out"
[ "$(jget "$(ctl --json agreement show "$C")" .withdraw_reason)" = "$R" ] || fail "reason not in show --json"
expect_out "withdrawn by the mediator: $R" ctl agreement show "$C"
for p in baku yerevan; do
	jget "$(inbox $p)" '.deliveries[] | select(.event == "withdrawn") | .text' | grep -qF "$R" || fail "$p not told why"
done
as baku journal --agreement "$C" | grep -qF "note: by the mediator: $R" || fail "the reason is not in the record"
ctl clock advance 2d >/dev/null
[ "$(jget "$(ctl --json agreement show "$C")" .state)" = withdrawn ] || fail "a withdrawn agreement's deadline acted"

# ---- an incident closed with a reason ----
expect_rc 0 as baku incident file --against yerevan --place Agdam --time 1994-05-16T22:00:00+04:00 \
	--nature "artillery fire" --consequences "none reported"
I=$(jget "$(ctl --json incident list)" '.incidents[-1].id')
expect_rc 2 ctl incident close "$I" --reason ""
RI="both sides confirmed the ceasefire holds"
expect_rc 0 ctl incident close "$I" --reason "$RI"
[ "$(jget "$(ctl --json incident show "$I")" .close_reason)" = "$RI" ] || fail "close reason not shown"
expect_out "closed by the mediator: $RI" ctl incident show "$I"
for p in baku yerevan; do
	[ "$(jget "$(inbox $p)" '.deliveries[] | select(.event == "closed") | .close_reason')" = "$RI" ] || fail "$p not told why the incident closed"
done
expect_out "closed by the mediator: $RI" as yerevan incident show "$I"
expect_rc 1 ctl incident close "$I" --reason "again"

# ---- a decline, under the embargo ----
E=$(create "Main agreement" baku,yerevan --observers minsk)
expect_rc 0 ctl agreement circulate "$E"
for p in baku yerevan stepanakert minsk; do inbox $p >/dev/null; done   # duty alerts cleared before the snapshot
RD="clause 2 still names the Protocol of February 18"
S=$(snapshot)
expect_rc 2 as yerevan decline "$E" --reason ""
expect_rc 2 as yerevan decline "$E" --reason "$(head -c 501 /dev/zero | tr '\0' x)"
expect_rc 2 as yerevan decline "$E" --reason $'\xc3'
expect_rc 2 as yerevan decline "$E"
expect_out "observers never sign" as minsk decline "$E" --reason "$RD"
expect_rc 1 as minsk decline "$E" --reason "$RD"
expect_out "no agreement $E for party stepanakert" as stepanakert decline "$E" --reason "$RD"
expect_out "no agreement 999 for party yerevan" as yerevan decline 999 --reason "$RD"
expect_rc 1 as yerevan decline "$A" --reason "$RD"                    # released
expect_rc 1 as yerevan decline "$B" --reason "$RD"                    # lapsed
[ "$(snapshot)" = "$S" ] || fail "a refused decline changed the store"
out=$(as yerevan --json decline "$E" --reason "$RD") || fail "decline: $out"
[ "$(jget "$out" .result)" = declined ] || fail "decline answer: $out"
expect_out "already declined" as yerevan decline "$E" --reason "$RD"
sh=$(ctl --json agreement show "$E")
[ "$(jget "$sh" '.declines | length')" = 1 ] || fail "the mediator does not see the decline: $sh"
[ "$(jget "$sh" '.declines[0] | "\(.party)|\(.revision)|\(.state)|\(.reason)"')" = "yerevan|1|open|$RD" ] || fail "decline shown: $sh"
[ "$(jget "$sh" .state)" = circulating ] || fail "a decline changed the state"
expect_out "DECLINED by yerevan \(revision 1\) at 1994-05-17T13:00:00\+04:00: $RD" ctl agreement show "$E"
grep -qF "yerevan declined revision 1: $RD" "$T/parleyd.log" \
	|| fail "no line in the mediator's log"
# the other party and the observer learn nothing of it before release
for p in baku minsk; do
	as $p journal --agreement "$E" >"$T/j.$p" || fail "$p journal"
	grep -qiE "declin|$RD" "$T/j.$p" && fail "$p reads the decline in the record before release"
	as $p journal >"$T/j.$p" || fail "$p journal"
	grep -qiE "declin|Protocol of February" "$T/j.$p" && fail "$p reads the decline in the whole record"
	inbox $p >"$T/i.$p"
	[ "$(jget "$(cat "$T/i.$p")" .count)" = 0 ] || fail "$p got a delivery when yerevan declined: $(cat "$T/i.$p")"
done
st=$(as baku --json status "$E")
[ "$(jget "$st" '[.parties[].party] | join(",")')" = baku ] || fail "baku's status tells of others: $st"
[ "$(jget "$st" .state)" = circulating ] || fail "baku's status: $st"
as yerevan journal --agreement "$E" | grep -q "kind: declined" || fail "yerevan does not read its own decline"
grep -qiE "declin|Protocol of February" <<<"$st" && fail "baku's status tells of yerevan's decline: $st"
# yerevan's own status shows its decline, the time in the agreement's zone
st=$(as yerevan --json status "$E")
[ "$(jget "$st" '.parties[0].declined_reason')" = "$RD" ] || fail "yerevan's status lacks its decline: $st"
[[ "$(jget "$st" '.parties[0].declined_at')" =~ ^1994-.*[+-][0-9]{2}:[0-9]{2}$ ]] || fail "declined_at: $st"
expect_out "declined at 1994-.*: $RD" as yerevan status "$E"
# baku signs; a signed party cannot decline; yerevan's copy withdraws its decline and releases
expect_rc 0 as baku sign "$E" --yes
expect_out "withdraw the signature first" as baku decline "$E" --reason "second thoughts"
expect_out "released" as yerevan sign "$E" --yes
sh=$(ctl --json agreement show "$E")
[ "$(jget "$sh" '.declines[0].state')" = withdrawn ] || fail "the decline was not withdrawn by the copy: $sh"
[ "$(jget "$sh" '.declines[0].withdrawn_at')" != null ] || fail "no withdrawn_at: $sh"
expect_out "withdrawn: it signed at" ctl agreement show "$E"
# after release the record shows it to every member
as baku journal --agreement "$E" | grep -q "kind: declined" || fail "baku does not read the decline after release"
as baku journal --agreement "$E" | grep -q "kind: decline-withdrawn" || fail "baku does not read the withdrawal after release"
expect_out "only a circulating agreement" as yerevan decline "$E" --reason "$RD"
expect_rc 0 ctl journal verify

# ---- help for every new verb ----
for v in "agreement deadline" "agreement remind" "agreement withdraw" "incident close"; do
	expect_rc 0 ctl $v --help
done
expect_out "reason" ctl agreement withdraw --help
expect_out "reason" as baku decline --help
expect_rc 2 ctl agreement deadline "$E"
expect_rc 2 ctl agreement remind
pass
