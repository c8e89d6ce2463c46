# Issue 22, item 7: amendments to read.  yerevan proposes to change one
# clause; the mediator reads it as a diff against the revision it amends,
# forwards it; the others read the same diff and answer with notes, which
# the mediator reads, each party its own alone.  Before it is forwarded the
# others cannot read it, nor can a party outside the agreement.
. "$(dirname "$0")/lib.sh"
setup
export RXLOG_DIR=$T/rx
mkdir "$RXLOG_DIR"
for p in baku yerevan stepanakert; do enrol $p; done
enrol minsk --observer
printf '%s\n' "1. Fire ceases at 00:01 on 12 May 1994." "2. Positions are held." \
	"3. Observers arrive within 10 days." >"$T/text"
A=$(jget "$(ctl --json agreement create --title "Ceasefire" --text "$T/text" \
	--parties baku,yerevan,stepanakert --observers minsk)" .id)
expect_rc 0 ctl agreement circulate "$A"
sed 's/10 days/5 days/' "$T/text" >"$T/amended"
AM=$(jget "$(as yerevan --json amend "$A" --text "$T/amended" --note "sooner observers")" .id)
# the proposer and the mediator read it as a diff; the others not yet
out=$(as yerevan amendment show "$AM")
echo "$out" | grep -qx -- "-3. Observers arrive within 10 days." || fail "no diff for the proposer: $out"
echo "$out" | grep -qx -- "+3. Observers arrive within 5 days." || fail "no diff for the proposer: $out"
sh=$(ctl --json amendment show "$AM")
[ "$(jget "$sh" .proposer)" = yerevan ] && [ "$(jget "$sh" .note)" = "sooner observers" ] ||
	fail "amendment show: $sh"
jget "$sh" .diff | grep -qx -- "+3. Observers arrive within 5 days." || fail "the mediator's diff: $sh"
expect_out "no amendment $AM was proposed by or forwarded to baku" as baku amendment show "$AM"
expect_out "no amendment $AM was proposed by or forwarded to minsk" as minsk amendment show "$AM"
expect_out "no amendment 99 was proposed" as baku amendment show 99
expect_rc 2 as baku amendment show x
# forwarded: the others read it and answer with notes
expect_rc 0 ctl amendment forward "$AM"
out=$(as baku --json amendment show "$AM")
jget "$out" .diff | grep -qx -- "+3. Observers arrive within 5 days." || fail "baku's diff: $out"
[ "$(jget "$out" .answer)" = null ] || fail "baku has not answered: $out"
expect_rc 0 as baku amendment respond "$AM" reject --note "five days is too soon for the roads"
expect_rc 0 as stepanakert amendment respond "$AM" accept --note "agreed"
out=$(as baku --json amendment show "$AM")
[ "$(jget "$out" .answer.note)" = "five days is too soon for the roads" ] || fail "baku's own answer: $out"
as baku --json inbox >/dev/null
grep -q '"agreed"\|agreed' "$RXLOG_DIR/baku.rx" && fail "baku read stepanakert's answer"
sh=$(ctl --json amendment show "$AM")
[ "$(jget "$sh" '[.answers[] | .party + ":" + (.accept|tostring) + ":" + .note] | join("|")')" = \
	"baku:false:five days is too soon for the roads|stepanakert:true:agreed" ] ||
	fail "the mediator does not read the answers with their notes: $sh"
expect_out "baku rejects: five days is too soon" ctl amendment show "$AM"
expect_out "no amendment 99" ctl amendment show 99
# rejected, with the reason the proposer reads
expect_rc 0 ctl amendment reject "$AM" --reason "the roads"
[ "$(jget "$(as yerevan --json amendment show "$AM")" .reason)" = "the roads" ] || fail "the reason is not shown"
restart
[ "$(jget "$(ctl --json amendment show "$AM")" '.answers | length')" = 2 ] || fail "answers lost in a restart"
pass
