# Issue 22, item 2: templates.  The extensions of 1993 were one text with
# the dates changed; the reply form of February 1995 one paragraph with
# the side's name.  A template has {{name}} placeholders; an agreement or
# a letter is made from it with a value for each; a placeholder left
# without one, or a value for none, is refused and nothing changes; a "{{"
# that does not begin a placeholder (a misspelt one) is refused.
. "$(dirname "$0")/lib.sh"
setup
for p in baku yerevan stepanakert; do enrol $p; done
ctl clock set 1993-12-10T10:00:00+03:00 >/dev/null
printf '%s\n' "The ceasefire is extended until {{until}}." "Signed for {{side}} and the others." \
	"(a single brace {not a placeholder} stays)" >"$T/ext.txt"
expect_out "template extension recorded \(2 placeholders\)" ctl template add extension --text "$T/ext.txt"
expect_out "extension" ctl template list
[ "$(jget "$(ctl --json template show extension)" .text)" = "$(cat "$T/ext.txt")" ] || fail "template show"
A=$(jget "$(ctl --json agreement create --title "Extension to 1 March" --template extension \
	--set until="00:00 on 1 March 1994" --set side="Azerbaijan" --parties baku,yerevan,stepanakert)" .id)
expect_rc 0 ctl agreement circulate "$A"
[ "$(jget "$(as baku --json show "$A")" .text)" = "$(printf '%s\n' "The ceasefire is extended until 00:00 on 1 March 1994." \
	"Signed for Azerbaijan and the others." "(a single brace {not a placeholder} stays)")" ] ||
	fail "the agreement's text is not the filled template"
# the reply form of February 1995, as the mediator's letter
printf 'I confirm the readiness of {{side}} to assume the obligations of 3 February 1995.\n' >"$T/form.txt"
expect_rc 0 ctl template add reply-form --text "$T/form.txt"
expect_rc 0 ctl letter send --to baku --template reply-form --set side=Azerbaijan --subject "the form of the answer"
[ "$(jget "$(inbox baku)" '.deliveries[] | select(.kind == "letter") | .text')" = \
	"I confirm the readiness of Azerbaijan to assume the obligations of 3 February 1995." ] ||
	fail "the letter is not the filled template"
# refusals
before=$(snapshot)
expect_out "has the placeholder \{\{side\}\}" ctl agreement create --title X --template extension \
	--set until=May --parties baku,yerevan
expect_out "has no placeholder \{\{date\}\}" ctl letter send --to baku --template reply-form \
	--set side=A --set date=1
expect_out "no template \"nothing\"" ctl letter send --to baku --template nothing
expect_rc 2 ctl agreement create --title X --template extension --text "$T/ext.txt" --parties baku
expect_rc 2 ctl letter send --to baku --template reply-form --set side
expect_out "name is 1 to" ctl template add "Bad Name" --text "$T/form.txt"
expect_out "given twice" ctl letter send --to baku --template reply-form --set side=A --set side=B
for bad in '{{Side}}' '{{ side }}' '{{a-b}}' '{{side'; do
	printf 'From %s, greetings.\n' "$bad" >"$T/bad.txt"
	expect_out "does not begin a placeholder" ctl template add misspelt --text "$T/bad.txt"
done
[ "$(snapshot)" = "$before" ] || fail "a refused template use changed the store"
pass
