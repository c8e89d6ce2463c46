# Shared helpers for the integration tests: each test starts the real
# parleyd on loopback with a fresh state directory (new PKI, new SQLite file,
# virtual clock) and drives it with the real parley and parleyctl.
#
# A test sources this file, calls setup, and uses:
#   ctl ARGS...                    parleyctl on the test's admin socket
#   db SQL                         sqlite3 on the test's store
#   ptool ARGS...                  the test client (tests/tools/ptool.c)
#   endpoint_id DIR                the endpoint row of an endpoint directory
#   as PARTY ARGS...               parley with PARTY's client.conf (RXLOG_DIR:
#                                  every byte it reads, logged per endpoint)
#   enrol PARTY [--observer]       party + endpoint + signer registered
#   expect_rc N CMD...             run CMD, fail unless it exits N
#   expect_out PATTERN CMD...      run CMD, fail unless its output matches
#   jget JSON FILTER               jq -r on a JSON text
#   restart / kill9 / start_daemon / stop_daemon / daemon_alive
# Everything stays below $T and is removed at exit.

set -u
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${BIN:?BIN must name the build directory}
BIN=$(cd "$BIN" && pwd)
T=$(mktemp -d /tmp/parley-test.XXXXXX)
PARLEYD_PID=
FAILED=0

cleanup() {
	# whatever a test left running in the background (a watch, a
	# console), with the programs those jobs started: by process id
	for j in $(jobs -p); do
		pkill -TERM -P "$j" 2>/dev/null
		kill -TERM "$j" 2>/dev/null
	done
	if [ -n "$PARLEYD_PID" ]; then kill -TERM "$PARLEYD_PID" 2>/dev/null; wait "$PARLEYD_PID" 2>/dev/null; fi
	if [ -n "${PG_DB:-}" ] && [ "$FAILED" = 0 ] && [ -z "${KEEP:-}" ]; then
		psql -q -X "$PARLEY_TEST_PG dbname=postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" \
			>/dev/null 2>&1
	fi
	if [ "$FAILED" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "  (kept $T)"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	FAILED=1
	if [ -f "$T/parleyd.log" ]; then echo "--- parleyd.log (last 30 lines)" >&2; tail -n 30 "$T/parleyd.log" >&2; fi
	exit 1
}

write_conf() {
	cat > "$T/parleyd.conf" <<CONF
[server]
listen = 127.0.0.1:$PORT
state_dir = $T/state
admin_socket = $T/admin.sock
status_socket = $T/status.sock
[limits]
handshake_timeout = ${HANDSHAKE_TIMEOUT:-10s}
frame_timeout = ${FRAME_TIMEOUT:-30s}
handshake_rate = ${HANDSHAKE_RATE:-1000}
max_per_source = ${MAX_PER_SOURCE:-64}
[testing]
virtual_clock = yes
CONF
	# PARLEY_TEST_PG (a libpq connection string without dbname): the
	# record in PostgreSQL, a database of this test's own
	if [ -n "${PARLEY_TEST_PG:-}" ]; then
		if [ -z "${PG_DB:-}" ]; then
			PG_DB=t_$(basename "$T" | tr -c 'a-zA-Z0-9\n' _ | tr 'A-Z' 'a-z')
			psql -q -X "$PARLEY_TEST_PG dbname=postgres" -c "CREATE DATABASE $PG_DB" >/dev/null ||
				fail "cannot create database $PG_DB"
		fi
		cat >> "$T/parleyd.conf" <<CONF
[store]
backend = postgresql
dsn = $PARLEY_TEST_PG dbname=$PG_DB
lease = ${PG_LEASE:-5s}
CONF
	fi
}

# Wait (bounded) until the admin socket answers; readiness, not timing.
wait_ready() {
	i=0
	while ! "$BIN/parleyctl" -s "$T/admin.sock" status >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "parleyd did not become ready"
		kill -0 "$PARLEYD_PID" 2>/dev/null || fail "parleyd exited at start"
		sleep 0.05
	done
}

start_daemon() {
	"$BIN/parleyd" ${PARLEYD_FLAGS:-} -c "$T/parleyd.conf" >>"$T/parleyd.log" 2>&1 &
	PARLEYD_PID=$!
	wait_ready
}

# A clean stop must exit 0 (under the sanitizers: no leak, no error).
stop_daemon() {
	[ -n "$PARLEYD_PID" ] || return 0
	kill -TERM "$PARLEYD_PID"
	wait "$PARLEYD_PID"
	rc=$?
	PARLEYD_PID=
	[ $rc = 0 ] || fail "parleyd exited $rc on SIGTERM"
}

# The daemon runs (not gone, not a zombie waiting to be reaped).
daemon_alive() {
	local st
	[ -n "$PARLEYD_PID" ] || return 1
	read -r st 2>/dev/null <"/proc/$PARLEYD_PID/stat" || return 1
	# shellcheck disable=SC2086
	set -- $st
	[ "$3" != Z ] && [ "$3" != X ]
}

kill9() {
	kill -9 "$PARLEYD_PID"
	wait "$PARLEYD_PID" 2>/dev/null
	PARLEYD_PID=
	return 0
}

restart() {
	stop_daemon
	start_daemon
}

setup() {
	tries=0
	while :; do
		# below Linux's ephemeral range (32768-60999): another test's
		# client cannot hold it while this daemon restarts
		PORT=$(( (RANDOM % 12000) + 20000 ))
		write_conf
		"$BIN/parleyd" ${PARLEYD_FLAGS:-} -c "$T/parleyd.conf" >>"$T/parleyd.log" 2>&1 &
		PARLEYD_PID=$!
		i=0
		while ! "$BIN/parleyctl" -s "$T/admin.sock" status >/dev/null 2>&1; do
			kill -0 "$PARLEYD_PID" 2>/dev/null || break
			i=$((i + 1)); [ $i -gt 200 ] && fail "parleyd did not become ready"
			sleep 0.05
		done
		kill -0 "$PARLEYD_PID" 2>/dev/null && break
		tries=$((tries + 1))
		[ $tries -gt 5 ] && fail "parleyd would not start (see $T/parleyd.log)"
	done
	SERVER_PIN=$(ctl --json init | jq -r .server_pin)
	[ ${#SERVER_PIN} = 64 ] || fail "no server pin from parleyctl init"
	MEDIATOR_PUB=$T/state/mediator.pub
}

ctl() { "$BIN/parleyctl" -s "$T/admin.sock" "$@"; }
# The store, read directly (sqlite3 on the test's parley.db; with the
# record in PostgreSQL, the daemon's working copy of it).
if [ -n "${PARLEY_TEST_PG:-}" ]; then
	db() { sqlite3 "$T/state/parley-copy.db" "$@"; }
else
	db() { sqlite3 "$T/state/parley.db" "$@"; }
fi
# The record is in PostgreSQL (PARLEY_TEST_PG): SQL on it with pg_sql.
pg_mode() { [ -n "${PARLEY_TEST_PG:-}" ]; }
pg_sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$PARLEY_TEST_PG dbname=$PG_DB" -c "$1"; }
# A test about the SQLite file itself (it writes rows into it, fills its
# disk, breaks its directory) has nothing to test with the record in
# PostgreSQL: skipped there (exit 77), saying why.
sqlite_only() {
	if pg_mode; then
		echo "sqlite only: $*"
		exit 77
	fi
}
# ptool is a test client: what it leaks on an early exit is not parleyd's.
ptool() { ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0" "$BIN/ptool" "$@"; }
# The endpoint row of endpoint directory DIR (by its certificate's pin).
endpoint_id() {
	local pin
	pin=$(openssl x509 -in "$T/$1/endpoint.crt" -pubkey -noout | openssl pkey -pubin -outform DER |
		sha256sum | cut -d' ' -f1)
	db "SELECT id FROM endpoint WHERE lower(hex(pin)) = '$pin' AND removed_at IS NULL"
}
# With RXLOG_DIR set, every byte the client reads from parleyd is appended
# to RXLOG_DIR/PARTY.rx (PARLEY_TEST_RXLOG; the embargo tests search them).
as() {
	p=$1; shift
	PARLEY_TEST_RXLOG=${RXLOG_DIR:+$RXLOG_DIR/$p.rx} "$BIN/parley" -c "$T/$p/client.conf" "$@"
}

# A new endpoint directory for PARTY (DIR defaults to the party's code).
new_endpoint() {
	"$BIN/parley" init --dir "$T/$1" --server "127.0.0.1:$PORT" --server-pin "$SERVER_PIN" \
		--mediator-key "$MEDIATOR_PUB" >/dev/null || fail "parley init $1"
}

enrol() {
	p=$1; shift
	ctl party add "$p" --name "The $p side" "$@" >/dev/null || fail "party add $p"
	new_endpoint "$p"
	ctl endpoint add "$p" --cert "$T/$p/endpoint.crt" >/dev/null || fail "endpoint add $p"
	case " $* " in *" --observer "*) ;; *)
		ctl signer add "$p" --key "$T/$p/signer.pub" >/dev/null || fail "signer add $p";;
	esac
}

expect_rc() {
	want=$1; shift
	"$@" >"$T/last.out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { cat "$T/last.out" >&2; fail "'$*' exited $rc, expected $want"; }
}

expect_out() {
	pat=$1; shift
	"$@" >"$T/last.out" 2>&1
	grep -qE -- "$pat" "$T/last.out" || { cat "$T/last.out" >&2; fail "'$*' output lacks /$pat/"; }
}

jget() { printf '%s' "$1" | jq -r "$2"; }

# A snapshot of the store for "changes nothing" checks.  Every parley
# connection countersigns the record, so the journal's own tables are left
# out; refused requests must leave everything else as it was.
snapshot() {
	db .dump |
		grep -vE '^INSERT INTO "?(meta|journal|journal_state|journal_node|checkpoint|countersignature)"? ' | md5sum
}

# Every bundle directory the test leaves below $T (one holding a
# certificate.txt: received, exported, tampered with): parley verify and the
# independent verifier (tests/interop/verify_bundle.py, written from
# doc/bundle.md alone) must reach the same verdict on each.
interop_bundles() {
	local c d v1 v2 n=0 bad=0
	[ -n "${MEDIATOR_PUB:-}" ] && [ -f "$MEDIATOR_PUB" ] || return 0
	while IFS= read -r c; do
		d=$(dirname "$c")
		"$BIN/parley" verify "$d" --mediator-key "$MEDIATOR_PUB" >"$T/interop-c.out" 2>&1
		v1=$?
		/usr/bin/python3 "$LIB_DIR/../interop/verify_bundle.py" "$d" \
			--mediator-key "$MEDIATOR_PUB" >"$T/interop-py.out" 2>&1
		v2=$?
		n=$((n + 1))
		[ $v1 = 1 ] && bad=$((bad + 1))
		[ "$v1" = "$v2" ] && continue
		cat "$T/interop-c.out" "$T/interop-py.out" >&2
		fail "the verifiers disagree on $d: parley verify exited $v1, verify_bundle.py $v2"
	done < <(find "$T" -name certificate.txt -not -path "$T/state/*" | sort)
	[ $n = 0 ] || echo "interop: $n bundles ($bad invalid), both verifiers agree on each"
}

pass() { stop_daemon; interop_bundles; echo "ok"; exit 0; }

# Every signing party of agreement $1 signs it (the last one releases it).
sign_all() {
	a=$1; shift
	for p in "$@"; do as "$p" sign "$a" --yes >"$T/last.out" 2>&1 || { cat "$T/last.out"; fail "$p could not sign $a"; }; done
}

# The deliveries of party $1 (fetched and acked now) as one JSON object.
inbox() { as "$1" --json inbox; }
