# Issue 24, item 4 (clients that fail over): client.conf's server is a
# list of addresses tried in order and server_pin a list of pins, one of
# which every server's certificate must have; parleyctl's -s (or
# $PARLEY_ADMIN_SOCKET) is a list of admin sockets tried in order.
#
#   a dead address first, the live one second      connects to the second
#   every address dead                             exit 3, each address with why
#   first dead, second of another pin              exit 3, "refusing to talk"
#   an impostor first (another pin), then parleyd  connects, warns of the impostor
#   a server that refuses this endpoint            passed over, reported
#   bad spellings (trailing comma, pin, port, 9)   exit 2, named
#   parleyctl watch and verbs over a socket list   A stopped: on at B at once,
#                                                  resuming where it stopped
#   parley watch over A, B                         A stopped: on at B at once;
#                                                  both down: a failed round,
#                                                  1 s, again; B back: on there
#
# Two parleyd share one store's history: the second (B) starts from a copy
# of the first's (A) state directory, as a standby would, so the endpoint,
# the server key (one pin for both) and the record are the same.  With
# PARLEY_TEST_PG the two-daemon part is tests/pg/t_failover.sh's.
. "$(dirname "$0")/lib.sh"
setup
enrol baku

# A free loopback port (nothing listens there now), other than those in use.
free_port() {
	local p
	while :; do
		p=$(( (RANDOM % 12000) + 20000 ))
		case " $* " in *" $p "*) continue;; esac
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
pin_of() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
# client.conf of baku with its server and server_pin lines replaced
conf_with() {
	sed -e "s/^server = .*/server = $2/" -e "s/^server_pin = .*/server_pin = $3/" \
		"$T/baku/client.conf" >"$T/baku/$1.conf"
}
# parley with one of those
with() { c=$1; shift; "$BIN/parley" -c "$T/baku/$c.conf" "$@"; }
A="127.0.0.1:$PORT"
DEAD=$(free_port "$PORT")
DEAD2=$(free_port "$PORT" "$DEAD")

# ---- a dead address first: the live one after it is used
conf_with dead-first "127.0.0.1:$DEAD, $A" "$SERVER_PIN"
out=$(with dead-first --json inbox 2>"$T/err") || fail "dead first: $(cat "$T/err")"
[ "$(jget "$out" .party)" = baku ] || fail "dead first: $out"
[ -s "$T/err" ] && fail "a dead address passed over is not a warning: $(cat "$T/err")"
# (also spelt with IPv6 brackets, a dead [::1] first)
conf_with v6 "[::1]:$DEAD,127.0.0.1:$PORT" "$SERVER_PIN"
expect_rc 0 with v6 inbox

# ---- every address dead: exit 3, each address with its reason
conf_with all-dead "127.0.0.1:$DEAD, 127.0.0.1:$DEAD2" "$SERVER_PIN"
expect_rc 3 with all-dead inbox
grep -q "cannot reach parleyd at any of its 2 addresses: 127.0.0.1:$DEAD: Connection refused; 127.0.0.1:$DEAD2: Connection refused" "$T/last.out" ||
	fail "all dead: $(cat "$T/last.out")"
# one address: the message as before
conf_with one-dead "127.0.0.1:$DEAD" "$SERVER_PIN"
expect_out "^parley: cannot reach parleyd at 127.0.0.1:$DEAD: Connection refused$" with one-dead inbox

# ---- an impostor's key
openssl genpkey -algorithm ed25519 -out "$T/imp.key" 2>/dev/null || fail "genpkey"
openssl req -x509 -new -key "$T/imp.key" -subj /CN=parleyd -days 30 -out "$T/imp.crt" 2>/dev/null || fail "req -x509"
IMP_PIN=$(pin_of "$T/imp.crt")
[ "$IMP_PIN" != "$SERVER_PIN" ] || fail "the impostor has parleyd's pin"

# the first down, the second presents a certificate of no listed pin: refused
conf_with wrong-pin "127.0.0.1:$DEAD, $A" "$IMP_PIN"
expect_rc 3 with wrong-pin inbox
grep -qF "127.0.0.1:$DEAD: Connection refused; $A: the server's certificate pin $SERVER_PIN is not the pinned $IMP_PIN: refusing to talk to it" "$T/last.out" ||
	fail "wrong pin second: $(cat "$T/last.out")"
# with two pins, neither parleyd's
conf_with wrong-pins "$A" "$IMP_PIN, $(printf '0%.0s' $(seq 64))"
expect_rc 3 with wrong-pins --json inbox
[ "$(jget "$(cat "$T/last.out")" .error)" = "$A: the server's certificate pin $SERVER_PIN is none of the 2 pinned: refusing to talk to it" ] ||
	fail "two wrong pins: $(cat "$T/last.out")"
# each server its own pin: parleyd's is one of the list
conf_with own-pins "127.0.0.1:$DEAD, $A" "$IMP_PIN, $SERVER_PIN"
expect_rc 0 with own-pins inbox

# an impostor listening first (a TLS server with another key): passed over,
# and said on stderr even though parleyd after it did
IMP=$(free_port "$PORT" "$DEAD" "$DEAD2")
openssl s_server -accept "127.0.0.1:$IMP" -cert "$T/imp.crt" -key "$T/imp.key" -tls1_3 -www \
	-quiet </dev/null >"$T/s_server.out" 2>&1 &
SRV=$!
conf_with impostor "127.0.0.1:$IMP" "$SERVER_PIN"
for i in $(seq 200); do
	with impostor inbox >"$T/last.out" 2>&1
	grep -q "refusing to talk" "$T/last.out" && break
	kill -0 "$SRV" 2>/dev/null || fail "openssl s_server: $(cat "$T/s_server.out")"
	sleep 0.05
done
grep -q "refusing to talk" "$T/last.out" || fail "the impostor did not answer: $(cat "$T/last.out")"
conf_with impostor-first "127.0.0.1:$IMP, $A" "$SERVER_PIN"
with impostor-first inbox >"$T/out" 2>"$T/err" || fail "impostor first: $(cat "$T/err")"
grep -q "received and acknowledged by baku" "$T/out" || fail "impostor first: $(cat "$T/out")"
grep -qF "parley: warning: 127.0.0.1:$IMP: the server's certificate pin $IMP_PIN is not the pinned $SERVER_PIN: refusing to talk to it; connected to $A" "$T/err" ||
	fail "the impostor passed over was not reported: $(cat "$T/err")"
kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null

# ---- a parleyd that answers but refuses this endpoint is passed over too;
# parley init writes the lists (one pin a line when they do not fit one)
expect_rc 0 "$BIN/parley" init --dir "$T/stranger" --server "127.0.0.1:$DEAD ,$A" \
	--server-pin "$IMP_PIN, $SERVER_PIN,$(printf 'a%.0s' $(seq 64))" --mediator-key "$MEDIATOR_PUB"
grep -qx "server = 127.0.0.1:$DEAD, $A" "$T/stranger/client.conf" || fail "init: $(cat "$T/stranger/client.conf")"
{ grep -qx "server_pin = $IMP_PIN," "$T/stranger/client.conf" &&
	grep -qx "    $SERVER_PIN," "$T/stranger/client.conf"; } || fail "init: $(cat "$T/stranger/client.conf")"
expect_rc 3 "$BIN/parley" -c "$T/stranger/client.conf" inbox
grep -q "127.0.0.1:$DEAD: Connection refused; $A: .*is not registered" "$T/last.out" || fail "an unregistered endpoint: $(cat "$T/last.out")"

# ---- bad spellings: exit 2, the file's line and the item named
bad() {
	conf_with bad "$1" "$2"
	expect_rc 2 with bad inbox
	grep -qF -- "$3" "$T/last.out" || fail "bad spelling '$1' / '$2': $(cat "$T/last.out")"
}
bad "$A, 127.0.0.1:$DEAD," "$SERVER_PIN" "bad.conf:3: server: address 3 is empty (a comma too many?)"
bad "$A,, 127.0.0.1:$DEAD" "$SERVER_PIN" "server: address 2 is empty"
bad "127.0.0.1:0, $A" "$SERVER_PIN" "server: \"127.0.0.1:0\": the port must be a number from 1 to 65535"
bad "::1:$PORT" "$SERVER_PIN" "write an IPv6 address in brackets, as [::1]:7800"
bad "$A" "$SERVER_PIN, 12345" "bad.conf:4: server_pin: \"12345\" is not a pin (64 hex digits)"
bad "$A" "$SERVER_PIN," "server_pin: pin 2 is empty"
bad "$A, $A" "$SERVER_PIN" "server: $A is listed twice"
bad "$(for p in 1 2 3 4 5 6 7 8 9; do printf '127.0.0.1:%d,' $((DEAD + p)); done)$A" "$SERVER_PIN" \
	"server: more than 8 addresses"
expect_rc 2 "$BIN/parley" init --dir "$T/bad-init" --server "$A," --server-pin "$SERVER_PIN" \
	--mediator-key "$MEDIATOR_PUB"
grep -q -- "--server: address 2 is empty" "$T/last.out" || fail "init with a trailing comma: $(cat "$T/last.out")"
[ -e "$T/bad-init" ] && fail "a refused init made its directory"

# ---- parleyctl: a list of admin sockets, tried in order, for every verb
expect_rc 0 "$BIN/parleyctl" -s "$T/none.sock,$T/admin.sock" party list
PARLEY_ADMIN_SOCKET="$T/none.sock, $T/admin.sock" expect_rc 0 "$BIN/parleyctl" status
expect_rc 3 "$BIN/parleyctl" -s "$T/none.sock,$T/none2.sock" status
grep -qF "cannot reach parleyd at any of its 2 admin sockets: $T/none.sock: No such file or directory; $T/none2.sock: No such file or directory" "$T/last.out" ||
	fail "parleyctl, no socket: $(cat "$T/last.out")"
expect_rc 2 "$BIN/parleyctl" -s "$T/admin.sock,,$T/none.sock" status
grep -q "socket 2 is empty" "$T/last.out" || fail "parleyctl -s a,,b: $(cat "$T/last.out")"

# ---- the standby: B starts from a copy of A's state (one history, one key)
# With the record in PostgreSQL, a second daemon on it stands by, its
# sockets closed, until the lease is its: tests/pg/t_failover.sh is that
# scenario, and a copy of the SQLite file is not the record here.
if pg_mode; then
	echo "the two-daemon part needs the record in SQLite (with PostgreSQL: tests/pg/t_failover.sh)"
	pass
fi
expect_rc 0 as baku inbox
stop_daemon
mkdir -p "$T/b"
cp -a "$T/state" "$T/b/state"
start_daemon
PB=
# B on its own port (a free one, the first time), sockets and state
start_b() {
	local tries=0
	while :; do
		[ -n "$PB" ] || PB=$(free_port "$PORT" "$DEAD" "$DEAD2")
		sed -e "s|$T/state|$T/b/state|" -e "s|$T/admin.sock|$T/b/admin.sock|" \
			-e "s|$T/status.sock|$T/b/status.sock|" -e "s|^listen = .*|listen = 127.0.0.1:$PB|" \
			"$T/parleyd.conf" >"$T/b/parleyd.conf"
		"$BIN/parleyd" -c "$T/b/parleyd.conf" >>"$T/b/parleyd.log" 2>&1 &
		B_PID=$!
		for i in $(seq 200); do
			"$BIN/parleyctl" -s "$T/b/admin.sock" status >/dev/null 2>&1 && return 0
			kill -0 "$B_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$B_PID" 2>/dev/null && fail "parleyd B did not become ready"
		wait "$B_PID" 2>/dev/null
		PB=
		tries=$((tries + 1)); [ $tries -gt 5 ] && fail "parleyd B would not start: $(cat "$T/b/parleyd.log")"
	done
}
stop_b() { kill -TERM "$B_PID"; wait "$B_PID" || fail "parleyd B exited $? on SIGTERM"; }
start_b
B="127.0.0.1:$PB"
[ "$(db "SELECT count(*) FROM journal")" = "$(sqlite3 "$T/b/state/parley.db" "SELECT count(*) FROM journal")" ] ||
	fail "A and B do not start from one record"
wait_for() {	# FILE PATTERN WHAT: poll, bounded (20 s)
	for i in $(seq 400); do grep -qF -- "$2" "$1" && return 0; sleep 0.05; done
	fail "$3: $(cat "$1"; [ "${1%.out}" = "$1" ] || cat "${1%.out}.err")"
}
# (The two stores part as soon as either records anything: what one
# daemon records after the copy the other lacks.  A standby that takes over
# has its primary's history; so each step below records on one daemon only
# what the clients will not look for on the other.)

# parleyctl watch over A's socket, then B's: A stops, it goes on at B and
# resumes where it stopped, at once (no round failed)
"$BIN/parleyctl" -s "$T/admin.sock,$T/b/admin.sock" --json watch >"$T/cw.json" 2>"$T/cw.err" &
CW=$!
wait_for "$T/cw.err" "from record entry" "parleyctl watch did not start"
grep -qx "parleyctl: watch: connected to $T/admin.sock" "$T/cw.err" || fail "parleyctl watch: $(cat "$T/cw.err")"
stop_daemon
wait_for "$T/cw.err" "connected to $T/b/admin.sock" "parleyctl watch did not go on at B"
grep -q "trying again in" "$T/cw.err" && fail "parleyctl watch waited, with B up: $(cat "$T/cw.err")"
# every parleyctl verb finds B after A's closed socket
expect_rc 0 "$BIN/parleyctl" -s "$T/admin.sock,$T/b/admin.sock" status
printf 'to B\n' | expect_rc 0 "$BIN/parleyctl" -s "$T/admin.sock,$T/b/admin.sock" notice send baku --text -
wait_for "$T/cw.json" '"kind":"notice"' "parleyctl watch missed the notice at B"
kill "$CW" 2>/dev/null; wait "$CW" 2>/dev/null

# parley watch over A, B: on duty at A; A stops, it goes on at B at once
# and receives what B holds for it, and what comes
start_daemon
conf_with pair "$A, $B" "$SERVER_PIN"
"$BIN/parley" -c "$T/baku/pair.conf" watch >"$T/watch.out" 2>"$T/watch.err" &
W=$!
ep=$(endpoint_id baku)
wait_for "$T/watch.out" "on duty as baku (endpoint $ep) at $A" "parley watch did not start at A"
stop_daemon
wait_for "$T/watch.out" "on duty as baku (endpoint $ep) at $B" "parley watch did not go on at B"
grep -q "parley: lost $A; reconnecting, from the next address" "$T/watch.err" || fail "the loss was not said: $(cat "$T/watch.err")"
grep -q "reconnecting in" "$T/watch.err" && fail "parley watch waited, with B up: $(cat "$T/watch.err")"
wait_for "$T/watch.out" "to B" "the notice held at B did not reach the watch"
printf 'at B, live\n' | expect_rc 0 "$BIN/parleyctl" -s "$T/b/admin.sock" notice send baku --text -
wait_for "$T/watch.out" "at B, live" "the watch at B missed a notice"

# B stops too: a whole round fails (after B, the last, from A, the first),
# so it waits 1 s, 2 s ... and tries the round again; B back, on duty there
stop_b
wait_for "$T/watch.err" "reconnecting in 1 s" "parley watch did not wait after a failed round"
# (B may still be closing when the round reaches it: any reason for B)
grep -qF "cannot reach parleyd at any of its 2 addresses: $A: Connection refused; $B: " "$T/watch.err" ||
	fail "the failed round: $(cat "$T/watch.err")"
start_b
[ "127.0.0.1:$PB" = "$B" ] || fail "B came back on another port"
[ "$(grep -c "on duty as baku (endpoint $ep) at $B" "$T/watch.out")" = 1 ] || fail "on duty at B twice already"
for i in $(seq 400); do
	[ "$(grep -c "on duty as baku (endpoint $ep) at $B" "$T/watch.out")" = 2 ] && break
	sleep 0.05
done
[ "$(grep -c "on duty as baku (endpoint $ep) at $B" "$T/watch.out")" = 2 ] || fail "parley watch did not come back: $(cat "$T/watch.err")"
printf 'B again\n' | expect_rc 0 "$BIN/parleyctl" -s "$T/b/admin.sock" notice send baku --text -
wait_for "$T/watch.out" "B again" "the watch back at B missed a notice"
kill "$W"; wait "$W"; rc=$?
[ $rc = 0 ] || fail "parley watch exited $rc on SIGTERM: $(cat "$T/watch.err")"
grep -q "THE MEDIATOR'S RECORD" "$T/watch.err" && fail "the record: $(cat "$T/watch.err")"
stop_b
pass
