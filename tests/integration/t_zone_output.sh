# Every time of an agreement is given in the agreement's zone (issue 20,
# item 6), whatever the daemon's TZ: here parleyd runs under TZ=UTC and
# the agreement is in Europe/Moscow (+03:00 in February 1995).  Every
# channel that shows a time of it, the mediator's and a party's, in JSON:
# agreement show (its times, signing times, receipts), agreement list,
# amendment list, delivery list, timeline show (due times,
# confirmations), incident show (filed, answer due, publishable, meeting),
# observer list (asked, window, answers), and the party's show, status,
# timeline, incident show and observer list.  Every RFC 3339 time in them
# carries +03:00, none Z or +00:00; the terms as signed (effective,
# validity) keep their one spelling in UTC, as doc/bundle.md has them.
. "$(dirname "$0")/lib.sh"
export TZ=UTC
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan; do enrol $p; done
enrol minsk --observer
ctl clock set 1995-02-03T10:00:00+03:00 >/dev/null
printf 'X+1d | baku | Orders on the mechanism issued to the units | confirm\n' >"$T/cal"
mk() { jget "$(ctl --json agreement create --title "Mechanism" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --zone Europe/Moscow --effective 1995-02-06T00:00:00+03:00 \
	--sign-by 1995-02-05 --valid-for 30d "$@")" .id; }
A=$(mk)
expect_rc 0 ctl timeline set "$A" "$T/cal"
expect_rc 0 ctl dayx set "$A" on-effect
expect_rc 0 ctl agreement circulate "$A"
B=$(mk)
expect_rc 0 ctl agreement circulate "$B"
expect_rc 0 as yerevan amend "$B" --text "$D/ceasefire-1994-rev2.txt" --note "clause 2"
ctl clock set 1995-02-04T12:00:00+03:00 >/dev/null
sign_all "$A" baku yerevan
ctl clock set 1995-02-07T03:00:00+03:00 >/dev/null
expect_rc 0 as baku confirm "$A" 1 --note "duty fax +994 12 92-22-22"
I=$(jget "$(as baku --json incident file --against yerevan --agreement "$A" --place "sector 4" \
	--time 1995-02-07T02:30:00+03:00 --nature "small-arms fire" --consequences "none")" .id)
[ -n "$I" ] && [ "$I" != null ] || fail "incident not filed"
R=$(jget "$(as baku --json observer request "$A" minsk --note "a copy for the Conference")" .id)
[ -n "$R" ] && [ "$R" != null ] || fail "no observer request"
expect_rc 0 as yerevan observer consent "$R"
for p in baku yerevan minsk; do as $p --json inbox >/dev/null 2>&1 || true; done

# every time string of a JSON text, but the signed terms' spelling
times() { jq -r '[paths(strings) as $p | {k: ($p | last | tostring), v: getpath($p)}]
	| map(select(.k != "effective" and .k != "validity"
		and (.v | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"))))
	| .[] | "\(.k)=\(.v)"'; }
n=0
check() { # WHAT JSON
	local t bad
	t=$(printf '%s' "$2" | times) || fail "$1: not JSON: $2"
	[ -n "$t" ] || fail "$1 shows no time at all: $2"
	bad=$(grep -v '+03:00$' <<<"$t")
	[ -z "$bad" ] || fail "$1: times not in Europe/Moscow: $bad"
	n=$((n + $(wc -l <<<"$t")))
}
check "agreement show" "$(ctl --json agreement show "$A")"
check "agreement list" "$(ctl --json agreement list)"
check "amendment list" "$(ctl --json amendment list "$B")"
ctl --json delivery list > "$T/dl.json"; check "delivery list" "$(cat "$T/dl.json")"
check "timeline show" "$(ctl --json timeline show "$A")"
check "incident show" "$(ctl --json incident show "$I")"
check "observer list" "$(ctl --json observer list "$A")"
check "parley show" "$(as baku --json show "$B")"
check "parley timeline" "$(as baku --json timeline "$A")"
check "parley incident show" "$(as yerevan --json incident show "$I")"
check "parley observer list" "$(as yerevan --json observer list "$A")"
# a decline's time, in the party's own status
C=$(jget "$(ctl --json agreement create --title "Exchange" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan --zone Europe/Moscow)" .id)
expect_rc 0 ctl agreement circulate "$C"
expect_rc 0 as baku decline "$C" --reason "clause 2 is unclear"
check "parley status" "$(as baku --json status "$C")"
# the signed terms keep their UTC spelling
[ "$(jget "$(ctl --json agreement show "$A")" .effective)" = 1995-02-05T21:00:00Z ] || fail "effective term"
echo "zone: $n times, all +03:00"
pass
