# Issue 22, item 5 (the live feed): parleyctl watch prints every event as
# it is committed, one JSON object a line with --json, and misses nothing
# across a restart of parleyd: it reconnects and resumes from the last
# entry it printed.  The events are the record's entries, so what the
# feed says is what the record proves.
. "$(dirname "$0")/lib.sh"
setup
for p in baku yerevan stepanakert; do enrol $p; done
ctl clock set 1993-12-17T10:00:00+03:00 >/dev/null
first=$(db "SELECT count(*) FROM journal")
# the whole record from the start, then live
"$BIN/parleyctl" -s "$T/admin.sock" --json watch --from 0 --count 1000 >"$T/watch.json" 2>"$T/watch.err" &
W=$!
"$BIN/parleyctl" -s "$T/admin.sock" watch >"$T/watch.txt" 2>/dev/null &
W2=$!
printf '%s\n' "1. The ceasefire is extended to 1 March 1994." >"$T/text"
A=$(jget "$(ctl --json agreement create --title "Extension" --text "$T/text" --parties baku,yerevan,stepanakert)" .id)
expect_rc 0 ctl agreement circulate "$A"
sign_all "$A" baku yerevan
# parleyd stops and starts again; the watch waits, reconnects, resumes
restart
printf 'on the extension\n' | as baku letter send --to yerevan --text - >/dev/null || fail "letter"
expect_out "agreement $A is released" as stepanakert sign "$A" --yes
total=$(db "SELECT count(*) FROM journal")
# wait (bounded) until the feed has caught up with the record
for i in $(seq 100); do
	[ "$(grep -c '"seq"' "$T/watch.json")" -ge "$total" ] &&
		grep -q "^[^#]*#$((total - 1)) " "$T/watch.txt" && break
	sleep 0.1
done
kill "$W" "$W2" 2>/dev/null
wait "$W" "$W2" 2>/dev/null
n=$(grep -c '"seq"' "$T/watch.json")
[ "$n" = "$total" ] || { cat "$T/watch.err"; fail "the feed has $n of $total events"; }
# every entry once, in order, none missing across the restart
[ "$(jq -s '[.[] | select(.seq != null) | .seq] == [range(0; '"$total"')]' "$T/watch.json")" = true ] ||
	fail "the feed skipped or repeated an entry: $(jq -c -s '[.[].seq]' "$T/watch.json")"
grep -q "reconnecting\|trying again" "$T/watch.err" || fail "the feed did not notice the restart"
for k in draft circulated copy-accepted letter released; do
	jq -e -s 'any(.[]; .kind == "'$k'")' "$T/watch.json" >/dev/null || fail "no $k event in the feed"
done
[ "$(jq -r -s '.[] | select(.kind == "released") | .agreement' "$T/watch.json")" = "$A" ] ||
	fail "the release event does not name the agreement"
# the live one began where the record stood when it asked (at the
# earliest the draft), and from there missed nothing
start=$(sed -n '1s/^[^#]*#\([0-9]*\) .*/\1/p' "$T/watch.txt")
[ -n "$start" ] && [ "$start" -ge "$first" ] || fail "the text feed: $(head -3 "$T/watch.txt")"
[ "$(sed 's/^[^#]*#\([0-9]*\) .*/\1/' "$T/watch.txt" | tr '\n' ' ')" = "$(seq -s ' ' "$start" $((total - 1))) " ] ||
	fail "the text feed skipped or repeated: $(cut -c1-40 "$T/watch.txt" | head -20)"
grep -q "^.* #[0-9]* released agreement $A" "$T/watch.txt" || fail "no release in the text feed"
# a watch from "now" that loses its connection before any event asks
# again from where the record stood when it began: a letter sent while it
# reconnects is not missed
"$BIN/parleyctl" -s "$T/admin.sock" --json watch >"$T/w2.json" 2>"$T/w2.err" &
W3=$!
# until it knows where the record stands (its first, empty, answer)
for i in $(seq 200); do grep -q "from record entry" "$T/w2.err" && break; sleep 0.05; done
grep -q "from record entry" "$T/w2.err" || fail "the watch did not say where it starts: $(cat "$T/w2.err")"
restart
printf 'while you were away\n' | as baku letter send --to yerevan --text - >/dev/null || fail "letter"
for i in $(seq 100); do grep -q '"kind":"letter"' "$T/w2.json" && break; sleep 0.1; done
kill "$W3" 2>/dev/null; wait "$W3" 2>/dev/null
grep -q '"kind":"letter"' "$T/w2.json" || fail "the watch missed what came while it reconnected: $(cat "$T/w2.json" "$T/w2.err")"
# --count stops it; bad options are refused
out=$(timeout 20 "$BIN/parleyctl" -s "$T/admin.sock" --json watch --from 0 --count 2) || fail "watch --count"
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "--count 2 printed: $out"
expect_rc 2 ctl watch --from x
expect_rc 2 ctl watch --count 0
pass
