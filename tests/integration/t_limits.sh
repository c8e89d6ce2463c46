# Limits (issue 7, section 4), on loopback with bounded clients that stop by
# themselves (tests/tools/slowpeer.c, ptool):
#   - an oversized frame length is refused from its 4-byte prefix, before
#     its body (which is never sent) could be allocated;
#   - a frame that decodes to more than decode_budget is refused;
#   - an answer longer than the connection may carry is refused, with why;
#   - a peer that trickles a frame one byte a second is dropped within
#     frame_timeout (the trickle does not reset it), and so is one that
#     trickles the ciphertext of one TLS record holding a frame (nothing
#     decrypts before its last byte: the deadline runs from the first byte
#     of ciphertext);
#   - a TCP peer that never completes the TLS handshake is dropped within
#     handshake_timeout, so is one trickling a real ClientHello a byte at a
#     time, and so is one that completes TLS but sends no Hello
#     (handshake_timeout is "Time allowed for the TLS handshake and Hello");
#   - idle_timeout closes an idle authenticated connection;
#   - LIMITS_ABORTS (1,000; make limits-full: 10,000) aborted handshakes
#     leave no descriptor and no memory behind;
#   - max_per_endpoint: one connection too many is refused with an error;
#   - max_connections: one connection too many waits in the backlog and is
#     served as soon as one closes;
#   - LIMITS_SLOW_READERS (100; make limits-full: 1,000) slow readers, each
#     with megabytes of pending deliveries, keep parleyd's memory bounded and
#     are dropped or paused while parleyd goes on serving others.
# Figures are printed as "limits: ..." lines.
# Thousands of handshakes from 127.0.0.1 here: no per-source rate (t_admission
# tests it).
HANDSHAKE_TIMEOUT=2s FRAME_TIMEOUT=2s HANDSHAKE_RATE=0 MAX_PER_SOURCE=0
. "$(dirname "$0")/lib.sh"
sqlite_only "it bulk-inserts agreements into the SQLite file"
SP=$BIN/slowpeer
[ -x "$SP" ] || fail "$SP missing (make all builds it)"
ABORTS=${LIMITS_ABORTS:-1000}
READERS=${LIMITS_SLOW_READERS:-100}
# ASan keeps freed memory in quarantine: RSS says nothing about leaks there
# (LeakSanitizer does, at exit); the descriptor checks still hold.
SAN=0; ldd "$BIN/parleyd" | grep -q libasan && SAN=1
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

setup
enrol a
enrol b

# Rewrite parleyd.conf with these [limits] lines added, and restart.
limits() {
	write_conf
	for kv in "$@"; do sed -i "/^\[limits\]/a $kv" "$T/parleyd.conf"; done
	restart
}
fds() { ls "/proc/$PARLEYD_PID/fd" | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$PARLEYD_PID/status"; }   # KiB
secs() { sed -n 's/.*closed after \([0-9.]*\)s.*/\1/p' "$T/last.out"; }
within() { # VALUE LO HI
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'
}
varint() {
	local v=$1 out=""
	while [ "$v" -ge 128 ]; do out+=$(printf '%02x' $(( (v & 127) | 128 ))); v=$((v >> 7)); done
	printf '%s%02x' "$out" "$v"
}

# ---- maximum frame: the prefix alone is refused, nothing else is sent
r0=$(rss)
for len in 2147483647 4294967295 1048577 0; do
	expect_rc 1 ptool raw "$T/a/client.conf" 0801 --len $len
	grep -q "frame length must be 1..1048576 bytes" "$T/last.out" || fail "length $len: $(cat "$T/last.out")"
	grep -q "frame length $len refused" "$T/parleyd.log" || fail "length $len refusal not logged"
done
r1=$(rss)
[ $((r1 - r0)) -lt 4096 ] || fail "RSS grew by $((r1 - r0)) KiB on refused frame lengths"
echo "limits: frame lengths 0, 1048577, 2^31-1, 2^32-1 refused from the prefix; RSS ${r0} -> ${r1} KiB"

# ---- decode budget: 40 kB on the wire, a Bundle of 20,000 empty copies,
#      each decoded to a SignedCopy struct and a pointer (about 2.4 MB)
N=20000
body="08018a01$(varint $((2 * N)))$(printf '1200%.0s' $(seq $N))"
expect_rc 1 ptool raw "$T/a/client.conf" "$body"
grep -q "decodes to more" "$T/last.out" && fail "the default budget (8 MiB) refused a 40 kB frame"
limits "decode_budget = 1048576"
expect_rc 1 ptool raw "$T/a/client.conf" "$body"
grep -q "Frame decodes to more than the allowed 1048576 bytes" "$T/last.out" || fail "budget: $(cat "$T/last.out")"
grep -q "bad frame: Frame decodes to more than the allowed 1048576 bytes" "$T/parleyd.log" || fail "budget refusal not logged"
expect_rc 0 as a inbox
echo "limits: a 40 kB frame decoding past decode_budget = 1048576 refused"

# ---- an answer longer than the connection may ever hold queued (60,000
#      agreements written into the store: a list of ~20 MB) stops growing
#      at half of it each for text and JSON and is refused with the reason;
#      the connection is not dropped without a word
stop_daemon
db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
    INSERT INTO agreement(title, state, revision, effective, validity, disclose_progress,
    created_at) SELECT 'a long title ' || i || replace(hex(zeroblob(50)), '00', 'tt'),
    'withdrawn', 1, 'on-release', '', 0, 0 FROM n"
start_daemon
expect_rc 1 ctl agreement list
grep -q "^parleyctl: the answer would be more than the 5242880 bytes this connection may carry; nothing was changed: ask for less" \
	"$T/last.out" || fail "a list too long: $(cat "$T/last.out")"
why=$(cut -c 12-80 "$T/last.out")
expect_rc 0 ctl status
# --last asks for less: the newest 3, oldest first
top=$(db "SELECT max(id) FROM agreement")
got=$(jget "$(ctl --json agreement list --last 3)" '[.agreements[].id] | map(tostring) | join(",")')
[ "$got" = "$((top - 2)),$((top - 1)),$top" ] || fail "agreement list --last 3: $got (newest $top)"
expect_rc 2 ctl agreement list --last 0
grep -q "must be a positive number" "$T/last.out" || fail "--last 0: $(cat "$T/last.out")"
# 13,000 fit: 1.8 MB of text and 2.8 MB of JSON, 4.6 MB of 5 MiB together
stop_daemon
db "DELETE FROM agreement WHERE id > (SELECT min(id) FROM agreement) + 12999"
start_daemon
out=$(ctl --json agreement list) || fail "13,000 agreements: $(printf '%s' "$out" | head -c 300)"
[ "$(jget "$out" '.agreements | length')" = 13000 ] || fail "13,000 agreements listed as $(jget "$out" '.agreements | length')"
stop_daemon
db "DELETE FROM agreement"
start_daemon
echo "limits: a 60,000-agreement list refused: $why; 13,000 listed"

# ---- one byte a second: dropped within frame_timeout (2s), however it trickles
expect_rc 0 "$SP" tls "$T/a/client.conf" 15 --hello --trickle 1000
grep -q "frame timeout" "$T/last.out" || fail "trickle: $(cat "$T/last.out")"
within "$(secs)" 1.5 4 || fail "trickle dropped after $(secs)s, frame_timeout is 2s"
echo "limits: one-byte-a-second peer: $(cat "$T/last.out")"
# the same frame in one TLS record, its ciphertext a byte every 300 ms
expect_rc 0 "$SP" tls "$T/a/client.conf" 15 --hello --cipher-trickle 300
grep -q "frame timeout" "$T/last.out" || fail "ciphertext trickle: $(cat "$T/last.out")"
within "$(secs)" 1.5 4 || fail "ciphertext trickle dropped after $(secs)s, frame_timeout is 2s"
echo "limits: ciphertext trickled a byte every 300 ms: $(cat "$T/last.out")"

# ---- handshake_timeout (2s): TCP without TLS, half a ClientHello
expect_rc 0 "$SP" tcp "127.0.0.1:$PORT" 15
within "$(secs)" 1.5 4 || fail "silent TCP peer dropped after $(secs)s, handshake_timeout is 2s"
t1=$(secs)
expect_rc 0 "$SP" tcp "127.0.0.1:$PORT" 15 160301020001
within "$(secs)" 1.5 4 || fail "half-handshake peer dropped after $(secs)s, handshake_timeout is 2s"
echo "limits: silent TCP peer dropped after ${t1}s, half a ClientHello after $(secs)s (handshake_timeout 2s)"
expect_rc 0 "$SP" hello-trickle "127.0.0.1:$PORT" 15 100
within "$(secs)" 1.5 4 || fail "trickled ClientHello dropped after $(secs)s, handshake_timeout is 2s"
echo "limits: a ClientHello trickled a byte every 100 ms: $(cat "$T/last.out")"

# ---- idle_timeout (its minimum, 10s) closes an idle authenticated connection
limits "idle_timeout = 10s"
expect_rc 0 "$SP" tls "$T/a/client.conf" 30 --hello
grep -q "idle timeout" "$T/last.out" || fail "idle: $(cat "$T/last.out")"
within "$(secs)" 9.5 13 || fail "idle peer dropped after $(secs)s, idle_timeout is 10s"
echo "limits: idle authenticated peer: $(cat "$T/last.out") (idle_timeout 10s)"
limits

# ---- aborted handshakes leave nothing behind
settle() { # wait (bounded) until parleyd holds at most $1 descriptors
	local i=0
	while [ "$(fds)" -gt "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
"$SP" abort "127.0.0.1:$PORT" 200 >/dev/null || fail "abort warm-up"
settle 1000
f0=$(fds); r0=$(rss)
t0=$(date +%s)
"$SP" abort "127.0.0.1:$PORT" "$ABORTS" >"$T/last.out" || fail "aborts: $(cat "$T/last.out")"
settle $((f0 + 2))
f1=$(fds); r1=$(rss)
"$SP" abort "127.0.0.1:$PORT" "$ABORTS" >/dev/null || fail "aborts (2)"
settle $((f0 + 2))
f2=$(fds); r2=$(rss)
echo "limits: 2 x $ABORTS aborted handshakes in $(( $(date +%s) - t0 ))s: fds $f0 -> $f1 -> $f2, VmRSS $r0 -> $r1 -> $r2 KiB"
[ "$f1" -le $((f0 + 2)) ] && [ "$f2" -le $((f0 + 2)) ] || { ls -l "/proc/$PARLEYD_PID/fd" >&2; fail "descriptors left behind: $f0 -> $f1 -> $f2"; }
# The first round may still grow the heap (allocator arenas, OpenSSL's
# caches); the second must not: a leak of even 512 bytes per handshake
# would add ABORTS/2 KiB.  Both rounds are checked against a bound too.
if [ $SAN = 0 ]; then
	[ $((r2 - r1)) -lt $((ABORTS / 2)) ] || fail "VmRSS grew by $((r2 - r1)) KiB over $ABORTS more aborted handshakes"
	[ $((r2 - r0)) -lt 8192 ] || fail "VmRSS grew by $((r2 - r0)) KiB over 2 x $ABORTS aborted handshakes"
fi
expect_rc 0 as a inbox

# ---- max_per_endpoint = 2: a third connection of one endpoint is refused
limits "max_per_endpoint = 2"
expect_rc 0 "$SP" hold "$T/a/client.conf" 3 0
grep -q "held 2 refused 1: too many connections for this endpoint" "$T/last.out" || fail "per endpoint: $(cat "$T/last.out")"
grep -q "already has 2 connections" "$T/parleyd.log" || fail "per-endpoint refusal not logged"
echo "limits: max_per_endpoint = 2: $(cat "$T/last.out")"

# ---- max_connections = 20: the 21st waits in the backlog, served when one closes
limits "max_connections = 20" "max_per_endpoint = 100" "max_handshakes = 8"
"$SP" hold "$T/a/client.conf" 20 3 5 >"$T/hold.out" 2>&1 &
hold=$!
i=0; until grep -q "^held" "$T/hold.out"; do i=$((i + 1)); [ $i -gt 200 ] && fail "hold did not start"; sleep 0.05; done
grep -q "held 20 refused 0" "$T/hold.out" || fail "20 connections: $(cat "$T/hold.out")"
t0=$(date +%s.%N)
as b inbox >"$T/b21.out" 2>&1 &
b21=$!
sleep 1
kill -0 $b21 2>/dev/null || fail "the 21st connection did not wait: $(cat "$T/b21.out")"
wait $b21 || fail "the 21st connection was not served: $(cat "$T/b21.out")"
t1=$(date +%s.%N)
wait $hold
waited=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
grep -q "closed one" "$T/hold.out" || fail "hold did not close one"
within "$waited" 2 7.5 || fail "the 21st connection was served after ${waited}s (one of 20 closes at 3s, the rest at 8s)"
grep -q "20 connections: not accepting more until one closes" "$T/parleyd.log" || fail "pause not logged"
grep -q "accepting connections again" "$T/parleyd.log" || fail "resume not logged"
echo "limits: max_connections = 20: the 21st waited in the backlog and was served after ${waited}s, when one closed (at 3s)"

# ---- slow readers: pending deliveries, connections that never read
# (max_queued_output at its least, 2 MiB: room for the largest delivery,
# 1 MiB, beside the half a push may find queued; daemon/config.h)
limits "max_queued_output = 2097152" "max_per_endpoint = 1000"
text=$(head -c 12000 /dev/zero | tr '\0' 'x')
for i in $(seq 200); do printf "%s" "$i $text" | ctl notice send a --text - >/dev/null || fail "notice $i"; done
pending=$(db "SELECT sum(length(b.body)) FROM delivery d JOIN message m ON m.id = d.message_id JOIN payload b ON b.id = m.payload_id WHERE d.acked_at IS NULL AND d.endpoint_id = 1")
f0=$(fds); r0=$(rss)
"$SP" slowread "$T/a/client.conf" "$READERS" 8 >"$T/slow.out" 2>&1 &
slow=$!
i=0; until grep -q "^slow readers" "$T/slow.out"; do
	i=$((i + 1)); [ $i -gt $((400 + READERS * 6)) ] && fail "slow readers did not connect: $(cat "$T/slow.out")"
	kill -0 $slow 2>/dev/null || fail "slowpeer: $(cat "$T/slow.out")"
	sleep 0.05
done
sleep 2
f1=$(fds); r1=$(rss)
# parleyd goes on serving others meanwhile
s0=$(date +%s.%N)
expect_rc 0 as b inbox
served=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
wait $slow
dropped=$(grep -c "peer is not reading" "$T/parleyd.log")
unacked=$(db "SELECT count(*) FROM delivery WHERE acked_at IS NULL AND endpoint_id = 1")
settle $((f0 + 2))
f2=$(fds); r2=$(rss)
echo "limits: $(cat "$T/slow.out") ($pending bytes pending each, max_queued_output 2097152):" \
	"VmRSS $r0 -> $r1 KiB while held (+$(( (r1 - r0) / READERS )) KiB per reader), $r2 KiB after;" \
	"fds $f0 -> $f1 -> $f2; $dropped dropped, $unacked deliveries still pending (paused);" \
	"another endpoint served in ${served}s meanwhile"
grep -q "slow readers: $READERS of $READERS connected" "$T/slow.out" || fail "slow readers: $(cat "$T/slow.out")"
[ "$unacked" = 200 ] || fail "a reader that never read acked something? $unacked of 200 pending"
within "$served" 0 5 || fail "another endpoint waited ${served}s while slow readers held on"
# Bound: each reader may hold its push window queued (daemon/delivery.c:
# 256 MiB shared among the readers, at least 64 KiB and at most 1 MiB each,
# and at most half of max_queued_output), one frame (~12 KiB) beyond it,
# and OpenSSL's and libevent's buffers and state for one connection
# (~64 KiB, and 64 KiB to spare), plus 16 MiB for the rest.  Unbounded,
# the readers would pull $pending bytes each into memory.
win=$((262144 / READERS)); [ $win -lt 64 ] && win=64; [ $win -gt 1024 ] && win=1024
bound=$((READERS * (win + 12 + 128) + 16384))
if [ $SAN = 0 ]; then
	[ $((r1 - r0)) -lt $bound ] ||
		fail "VmRSS grew by $((r1 - r0)) KiB for $READERS slow readers (bound $bound KiB)"
fi
[ "$f2" -le $((f0 + 2)) ] || fail "descriptors left behind by slow readers: $f0 -> $f2"

# ---- TLS completed but no Hello: handshake_timeout is "Time allowed for the
# TLS handshake and Hello" (daemon/config.c), so this peer goes within 2s too.
# (Last, so that everything above is checked first: this fails until
# daemon/conn.c stops disarming the handshake deadline at the end of TLS.)
limits
"$SP" tls "$T/a/client.conf" 8 >"$T/last.out" 2>&1
within "$(secs)" 1.5 4 || fail "a peer that completed TLS and sent no Hello was not dropped within handshake_timeout (2s): $(cat "$T/last.out")"
echo "limits: TLS without Hello dropped after $(secs)s (handshake_timeout 2s)"
pass
