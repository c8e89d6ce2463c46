# Admission before any TLS work (issue 18), against the real parleyd, the
# attackers on other loopback addresses (127.0.0.2-5) than the pinned
# client (127.0.0.1):
#   - max_per_source: 4 idle TCP connections from one address are held, the
#     5th is closed at once; a pinned client from another address is served
#     meanwhile;
#   - handshake_rate: 30 connections at once from one address, 5 a second
#     allowed: 5 are admitted (the burst), the rest closed before any byte;
#   - max_handshakes: 40 silent TCP peers from 10 addresses, each under
#     its limits, hold every handshake slot: the oldest is shed for each new
#     connection, so a pinned client is served at once (a paused listener
#     let them fill the kernel's backlog: a party waited 90 s and more);
#   - the failures are counted by reason in /metrics and the log gets one
#     line per reason, not one per failure: 1,000 aborted handshakes write
#     a few lines.
HANDSHAKE_TIMEOUT=2s HANDSHAKE_RATE=5 MAX_PER_SOURCE=4
. "$(dirname "$0")/lib.sh"
SP=$BIN/slowpeer
setup
enrol a

# Rewrite parleyd.conf (HANDSHAKE_RATE, MAX_PER_SOURCE and these [limits]
# lines) and restart.
limits() {
	write_conf
	for kv in "$@"; do sed -i "/^\[limits\]/a $kv" "$T/parleyd.conf"; done
	stop_daemon
	start_daemon
}
metric() { # REASON: parley_unauthenticated_failures_total{reason=REASON}
	curl -s --unix-socket "$T/status.sock" http://localhost/metrics |
	    sed -n "s/^parley_unauthenticated_failures_total{reason=\"$1\"} //p"
}
# python3 SRC N HOLD_S: N connections from SRC at once, held; prints how
# many the server closed within HOLD_S (refused) and how many it kept.
conns() {
	python3 - "$PORT" "$@" <<'PY'
import select, socket, sys, time
port, src, n, hold = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
socks = []
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    socks.append(s)
closed = set()
end = time.monotonic() + hold
while time.monotonic() < end and len(closed) < n:
    r, _, _ = select.select([s for s in socks if s not in closed], [], [], max(0, end - time.monotonic()))
    for s in r:
        try:
            if s.recv(1) == b"":
                closed.add(s)
        except ConnectionResetError:
            closed.add(s)
print(f"refused {len(closed)} kept {n - len(closed)}")
PY
}

# ---- max_per_source = 4: the 5th from one address is closed at once
out=$(conns 127.0.0.2 5 1.5)
[ "$out" = "refused 1 kept 4" ] || fail "max_per_source 4, 5 connections: $out"
# while four from 127.0.0.2 are held (under handshake_timeout), the pinned
# client on 127.0.0.1 gets in
established() { # SRC N: wait (bounded) until N connections from SRC are up
	local i=0
	until [ "$(ss -Htn state established "( dport = :$PORT and src $1 )" | wc -l)" -ge "$2" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "$2 connections from $1 did not come up"; sleep 0.02
	done
}
conns 127.0.0.2 4 1.8 >"$T/held.out" &
held=$!
established 127.0.0.2 4
expect_rc 0 as a inbox
wait $held
[ "$(cat "$T/held.out")" = "refused 0 kept 4" ] || fail "4 held: $(cat "$T/held.out")"
[ "$(metric per_source)" = 1 ] || fail "per_source failures: $(metric per_source)"
echo "admission: max_per_source = 4: 5th connection refused, pinned client served beside 4 held"

# ---- handshake_rate = 5: a burst of 5, the rest refused before any byte
MAX_PER_SOURCE=0 limits
out=$(conns 127.0.0.3 30 1)
case $out in "refused 25 kept 5"|"refused 24 kept 6") ;; *) fail "handshake_rate 5, 30 at once: $out" ;; esac
r=$(metric rate)
[ "$r" -ge 24 ] || fail "rate failures counted: $r"
[ "$(grep -c "handshake_rate" "$T/parleyd.log")" = 1 ] || fail "rate refusals logged $(grep -c handshake_rate "$T/parleyd.log") times, expected once"
expect_rc 0 as a inbox
echo "admission: handshake_rate = 5: 30 at once from one address: $out; one log line"

# ---- max_handshakes = 8: silent peers from ten addresses, each under its
# limits, would fill every handshake slot and then the kernel's backlog if
# accepting paused; the oldest handshake is shed instead, and the pinned
# client gets in at once
limits "max_handshakes = 8"
pids=
for n in 10 11 12 13 14 15 16 17 18 19; do
	conns 127.0.0.$n 4 1.8 >"$T/silent.$n" &
	pids="$pids $!"
done
# all 40 are in: 32 of them shed already (bounded wait)
i=0
until [ "$(metric evicted)" -ge 32 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "40 silent peers: $(metric evicted) shed"; sleep 0.02
done
t0=$(date +%s.%N)
expect_rc 0 as a inbox
t1=$(date +%s.%N)
# shellcheck disable=SC2086
wait $pids
waited=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
awk -v w="$waited" 'BEGIN { exit !(w < 1.5) }' ||
    fail "with 40 silent peers and max_handshakes = 8 the pinned client took ${waited}s (handshake_timeout 2s)"
shed=$(cat "$T"/silent.* | awk '{ r += $2 } END { print r }')
[ "$shed" -ge 32 ] || fail "silent peers shed: $shed of 40: $(cat "$T"/silent.*)"
echo "admission: max_handshakes = 8: 40 silent peers from 10 addresses, $shed shed, the pinned client served in ${waited}s"
# one silent handshake from each of 40 addresses, reopened as soon as it is
# shed: every source ties, and the silent ones go before a party's, which
# has sent its ClientHello
"$BIN/flood" --mode idle --port "$PORT" --conns 40 --sources 40 --seconds 6 >"$T/tie.json" 2>&1 &
tie=$!
i=0
until [ "$(metric evicted)" -ge 100 ]; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "the one-per-address flood did not churn: $(metric evicted)"; sleep 0.02
done
for n in 1 2 3 4 5; do
	expect_rc 0 as a inbox
done
kill -TERM $tie; wait $tie
echo "admission: max_handshakes = 8, one silent handshake from each of 40 addresses churning: 5 of 5 pinned inboxes served"
# and max_handshakes must leave room for the connected parties
printf '[limits]\nmax_connections = 100\nmax_handshakes = 100\n' >"$T/hs.conf"
out=$("$BIN/parleyd" -n -c "$T/hs.conf") && fail "-n accepted max_handshakes = max_connections"
case $out in *"max_handshakes (100) must be less than max_connections (100)"*) ;; *) fail "-n: $out" ;; esac

# ---- 1,000 aborted handshakes: a few log lines
HANDSHAKE_RATE=0 limits
before=$(wc -l <"$T/parleyd.log")
expect_rc 0 "$SP" abort "127.0.0.1:$PORT" 1000
expect_rc 0 as a inbox
grown=$(( $(wc -l <"$T/parleyd.log") - before ))
# the first failure of each reason is logged whole; the pinned client adds
# two lines (connected, disconnected)
[ "$grown" -le 8 ] || { tail -n "$grown" "$T/parleyd.log"; fail "1,000 aborted handshakes wrote $grown log lines"; }
# Unauthenticated closes run after every authenticated event (prio.h), so
# the last of them may still be on their way when the pinned inbox is done.
aborted() {
	local r t=0
	for r in tls closed handshake_timeout; do t=$(( t + $(metric $r) )); done
	echo $t
}
i=0
until [ "$(aborted)" -ge 1000 ]; do
	i=$((i + 1)); [ $i -gt 250 ] && break; sleep 0.02
done
total=$(aborted)
[ "$total" -ge 1000 ] || fail "aborted handshakes counted: $total"
echo "admission: 1,000 aborted handshakes: $grown log lines, $total failures in /metrics"

# ---- an authenticated party's refusals: logged, but at most 60 lines a
# minute per connection (a registered endpoint pipelining refused requests
# wrote 170,000 lines a second): Hello and 400 StatusRequests for an
# agreement that does not exist, in one write, every answer read
before=$(wc -l <"$T/parleyd.log")
python3 - "$T/a/client.conf" <<'PY' >"$T/pipe.out" || fail "pipelined refusals: $(cat "$T/pipe.out")"
import os, socket, ssl, struct, sys
conf = sys.argv[1]; d = os.path.dirname(conf); kv = {}
for l in open(conf):
    if "=" in l and not l.lstrip().startswith("#"):
        k, v = l.split("=", 1); kv[k.strip()] = v.strip()
host, port = kv["server"].rsplit(":", 1)
def varint(x):
    b = b""
    while True:
        c = x & 0x7f; x >>= 7
        if not x: return b + bytes([c])
        b += bytes([c | 0x80])
def frame(fid, field, body):  # Frame{id = fid, <field> = body}
    f = varint(1 << 3) + varint(fid) + varint(field << 3 | 2) + varint(len(body)) + body
    return struct.pack(">I", len(f)) + f
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE; ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(os.path.join(d, kv["cert"]), os.path.join(d, kv["key"]))
s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=20))
hello = frame(1, 2, varint(1 << 3) + varint(1))
status = b"".join(frame(2 + i, 18, varint(1 << 3) + varint(999999)) for i in range(400))
s.sendall(hello + status)
buf, n = b"", 0
while n < 401:
    data = s.recv(1 << 16)
    if not data: break
    buf += data
    while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
        buf = buf[4 + struct.unpack(">I", buf[:4])[0]:]; n += 1
print(n)
PY
[ "$(cat "$T/pipe.out")" = 401 ] || fail "pipelined refusals: $(cat "$T/pipe.out") answers of 401"
i=0
until grep -q "more lines about its requests were not logged" "$T/parleyd.log"; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "no summary of the refusals not logged"; sleep 0.05
done
grown=$(( $(wc -l <"$T/parleyd.log") - before ))
[ "$grown" -le 66 ] || fail "400 refused requests wrote $grown log lines"
grep -q "refused (not found): no agreement 999999" "$T/parleyd.log" || fail "refusals not logged at all"
echo "admission: 400 refused requests on one connection: $grown log lines"
