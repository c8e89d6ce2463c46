# Under flood (issue 18): while build/flood replays a ClientHello at full
# speed, holds idle connections and completes handshakes with a certificate
# nobody registered, all from 127.0.0.2, a pinned party on
# 127.0.0.1 still signs and fetches, and the admin socket still answers,
# each within a generous bound (no timing is asserted beyond liveness).
# After the flood the daemon serves on, holds no descriptor of it, and its
# log grew by at most a few dozen lines beyond what the pinned party's own
# requests write (unauthenticated failures are summed up, not logged one by
# one).  Also: flood's counts add up in every mode, and so do those of
# loadgen's pinned and admin modes.  Everything runs on loopback; the
# floods stop by themselves (--seconds) and are killed by pid on the way out.
# The daemon has lib.sh's limits (a handshake rate of 1000 a second per
# source: the flood's handshakes get through and compete with the pinned
# party's); HANDSHAKE_RATE=20 runs it with the shipped default instead.
. "$(dirname "$0")/lib.sh"
FLOOD=$BIN/flood
LG=$BIN/loadgen
[ -x "$FLOOD" ] || fail "$FLOOD is missing (make builds it: mk/flood.mk)"
[ -x "$LG" ] || fail "$LG is missing (make builds it: mk/bench.mk)"
FLOOD_SECS=${FLOOD_SECS:-25}
BOUND=20		# seconds a pinned request may take under flood: liveness only

HELLO_PID= IDLE_PID= HS_PID=
stop_floods() {
	local p
	for p in $HELLO_PID $IDLE_PID $HS_PID; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	HELLO_PID= IDLE_PID= HS_PID=
}
trap 'stop_floods; cleanup' EXIT

setup
enrol a
enrol b
printf 'Article 1. The parties cease fire.\nArticle 2. Observers are deployed.\n' >"$T/text.txt"
ROUNDS=4
: >"$T/ag"
for _ in $(seq $((ROUNDS + 1 + 6))); do
	id=$(jget "$(ctl --json agreement create --title "under flood" --text "$T/text.txt" --parties a,b)" .id)
	[ "$id" -ge 1 ] 2>/dev/null || fail "agreement create"
	ctl agreement circulate "$id" >/dev/null || fail "circulate $id"
	echo "$id" >>"$T/ag"
done
ag() { sed -n "$1p" "$T/ag"; }
fds() { ls "/proc/$PARLEYD_PID/fd" | wc -l; }
loglines() { wc -l <"$T/parleyd.log"; }

# flood's counts add up: attempts = connects + errors + connects still in
# progress at the end, connects = the sum
# of the ends (open_at_end included)
flood_adds_up() {	# JSON WHAT
	local j=$1 ends
	jq -e . >/dev/null 2>&1 <<<"$j" || fail "$2: flood printed no JSON: $j"
	ends=$(jget "$j" '.answered + .refused + .hrr + .alerts + .partial + .timeouts + .open_at_end')
	[ "$(jget "$j" .attempts)" = "$(jget "$j" '.connects + .errors + .connecting_at_end')" ] || fail "$2: attempts do not add up: $j"
	[ "$(jget "$j" .connects)" = "$ends" ] || fail "$2: connects do not add up: $j"
	[ "$(jget "$j" .connects)" -ge 1 ] || fail "$2: no connection made: $j"
}

# ---- flood refuses what is not loopback, and needs its bounds
expect_rc 2 "$FLOOD" --port "$PORT" --seconds 1 --host 192.0.2.1
grep -q "not a loopback address" "$T/last.out" || fail "flood to 192.0.2.1: $(cat "$T/last.out")"
expect_rc 2 "$FLOOD" --port "$PORT" --seconds 1 --host ::ffff:10.0.0.1
expect_rc 2 "$FLOOD" --port "$PORT"
expect_rc 2 "$FLOOD" --port "$PORT" --seconds 601

# ---- a short run of each mode: the counts add up
for m in hello handshake idle; do
	out=$("$FLOOD" --mode "$m" --port "$PORT" --conns 4 --seconds 2 2>>"$T/flood.log") || fail "flood --mode $m failed"
	flood_adds_up "$out" "flood --mode $m"
	echo "flood: $m for 2 s: $(jget "$out" '"\(.connects) connects, \(.answered) answered, \(.refused) refused"')"
done

# ---- loadgen's pinned and admin modes: the counts add up
echo "a $T/a/client.conf" >"$T/eps.a"
sed -n '6,8p' "$T/ag" >"$T/ag.lg"
out=$("$LG" pinned --endpoints "$T/eps.a" --agreements "$T/ag.lg" --samples 3 --interval-ms 100 \
	--admin "$T/admin.sock" --max-seconds 60 2>>"$T/loadgen.log") || fail "loadgen pinned: $(tail -n 3 "$T/loadgen.log")"
[ "$(jget "$out" .samples)" = 3 ] && [ "$(jget "$out" .accepted)" = 3 ] || fail "loadgen pinned: $out"
[ "$(jget "$out" .started)" = "$(jget "$out" '.samples + .refused + .failed + .timeouts')" ] || fail "pinned counts: $out"
[ "$(jget "$out" .admin.samples)" -ge 1 ] && [ "$(jget "$out" .admin.failed)" = 0 ] || fail "pinned --admin: $out"
out=$("$LG" admin --admin "$T/admin.sock" --interval-ms 50 --seconds 1 --max-seconds 30 2>>"$T/loadgen.log") ||
	fail "loadgen admin: $(tail -n 3 "$T/loadgen.log")"
[ "$(jget "$out" .samples)" -ge 2 ] && [ "$(jget "$out" .failed)" = 0 ] || fail "loadgen admin: $out"

# ---- one round of what a pinned party and the mediator do, unflooded:
# what it writes to the log is the yardstick for the rounds under flood
round() {	# N: sign agreement N as a, b fetches, parleyctl status; each bounded
	local id t0 t1
	id=$(ag "$1")
	t0=$(date +%s.%N)
	timeout "$BOUND" "$BIN/parley" -c "$T/a/client.conf" sign "$id" --yes >"$T/last.out" 2>&1 ||
		fail "round $1: a could not sign agreement $id within ${BOUND}s: $(cat "$T/last.out")"
	timeout "$BOUND" "$BIN/parley" -c "$T/b/client.conf" inbox >"$T/last.out" 2>&1 ||
		fail "round $1: b could not fetch within ${BOUND}s: $(cat "$T/last.out")"
	timeout "$BOUND" "$BIN/parleyctl" -s "$T/admin.sock" status >"$T/last.out" 2>&1 ||
		fail "round $1: parleyctl status did not answer within ${BOUND}s: $(cat "$T/last.out")"
	t1=$(date +%s.%N)
	echo "flood: round $1 (sign, fetch, status) took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s"
}
l0=$(loglines)
round 1
PER_ROUND=$(( $(loglines) - l0 ))
f0=$(fds)

# ---- the flood: a ClientHello replayed by 8 connections, 300 idle ones from
# 16 addresses (more than max_handshakes: the oldest are shed), and
# 2 completing handshakes with an unregistered certificate (each of which
# an unfixed daemon logs), from 127.0.0.2, for FLOOD_SECS seconds
l0=$(loglines)
"$FLOOD" --mode hello --port "$PORT" --conns 8 --sources 1 --seconds "$FLOOD_SECS" \
	>"$T/flood-hello.json" 2>>"$T/flood.log" &
HELLO_PID=$!
"$FLOOD" --mode idle --port "$PORT" --conns 300 --sources 16 --seconds "$FLOOD_SECS" \
	>"$T/flood-idle.json" 2>>"$T/flood.log" &
IDLE_PID=$!
"$FLOOD" --mode handshake --port "$PORT" --conns 2 --sources 1 --seconds "$FLOOD_SECS" \
	>"$T/flood-handshake.json" 2>>"$T/flood.log" &
HS_PID=$!
t_start=$(date +%s)
sleep 2
fmax=$(fds)
for n in $(seq 2 $((ROUNDS + 1))); do
	kill -0 "$HELLO_PID" 2>/dev/null || fail "the flood ended early: $(cat "$T/flood.log")"
	round "$n"
	f=$(fds); [ "$f" -gt "$fmax" ] && fmax=$f
	# spread the rounds over the flood (pacing only; nothing is timed by it)
	[ "$n" -le "$ROUNDS" ] && sleep $(( (FLOOD_SECS - 6) / ROUNDS ))
done
daemon_alive || fail "parleyd died under the flood"
wait "$HELLO_PID"; HELLO_PID=
wait "$IDLE_PID"; IDLE_PID=
wait "$HS_PID"; HS_PID=
flood_adds_up "$(cat "$T/flood-hello.json")" "the hello flood"
flood_adds_up "$(cat "$T/flood-idle.json")" "the idle flood"
flood_adds_up "$(cat "$T/flood-handshake.json")" "the handshake flood"
echo "flood: $(( $(date +%s) - t_start ))s of flood: hello $(jget "$(cat "$T/flood-hello.json")" \
	'"\(.connects) connects (\(.connects_per_s)/s), \(.answered) answered, \(.refused) refused, \(.timeouts) timed out"');" \
	"idle $(jget "$(cat "$T/flood-idle.json")" '"\(.connects) connects, \(.refused) closed by parleyd, held at most \(.held_max)"');" \
	"handshake $(jget "$(cat "$T/flood-handshake.json")" '"\(.connects) connects, \(.answered) completed, \(.refused) refused"')"

# ---- afterwards: the daemon serves on, and holds no descriptor of the flood
round $((ROUNDS + 2))
i=0
while [ "$(fds)" -gt $((f0 + 2)) ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
f1=$(fds)
echo "flood: parleyd's descriptors: $f0 before, at most $fmax during, $f1 after"
[ "$f1" -le $((f0 + 2)) ] || { ls -l "/proc/$PARLEYD_PID/fd" >&2; fail "descriptors left behind by the flood: $f0 -> $f1"; }

# ---- the log: the pinned rounds' own lines, and a few dozen more at most
# (the failures of unauthenticated connections summed up, not one a line)
grown=$(( $(loglines) - l0 ))
own=$(( PER_ROUND * (ROUNDS + 1) ))
echo "flood: parleyd's log grew by $grown lines ($own of them the pinned rounds' own, $PER_ROUND a round)"
if [ $((grown - own)) -gt 36 ]; then
	tail -n +"$((l0 + 1))" "$T/parleyd.log" | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn | head -n 8 >&2
	fail "parleyd's log grew by $((grown - own)) lines beyond the pinned rounds' own during the flood (at most 36)"
fi
pass
