#!/bin/bash
# Self-test of tests/pg/cluster.sh: a primary with a synchronous standby.
#
#   tests/pg/t_cluster_selftest.sh        (as root, or as the postgres user)
#
# Checks, in a fresh mktemp directory:
#   - start writes DIR/env with both ports and postmaster pids;
#   - as role parley: CREATE DATABASE, a table, a row; the row is read on
#     the (hot, read-only) standby; status says standby1 streaming sync;
#   - with the standby stopped, a commit on the primary waits (wait_event
#     SyncRep, psql still running after 2 s, its row invisible to others);
#     after start-standby that commit completes and reaches the standby;
#   - kill-primary leaves no postmaster; promote makes the standby take
#     writes, DIR/env then points at it (PG_OLD_PRIMARY_PORT keeps the
#     old port); both rows are there; a new commit does not wait;
#   - stop ends both recorded postmasters.
# Whatever happens, the trap stops what the test started (the background
# psql by its pid, the servers through cluster.sh stop, which signals only
# the pids it recorded) and removes the directory.  Exit 77: skipped.

set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CL=$HERE/cluster.sh
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

if [ ! -x "$PG_BIN/initdb" ] || ! command -v psql >/dev/null; then
	echo "SKIP: no PostgreSQL in $PG_BIN or no psql"
	exit 77
fi
if [ "$(id -u)" != 0 ] && [ "$(id -un)" != "${PG_OS_USER:-postgres}" ]; then
	echo "SKIP: run as root or as ${PG_OS_USER:-postgres}"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/pgc.XXXXXX")
BG=

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$BG" ]; then
		kill "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
	fi
	"$CL" stop "$T" || { echo "cluster.sh stop failed" >&2; rc=1; }
	if [ "$rc" != 0 ]; then
		for f in "$T"/primary.log "$T"/standby.log; do
			[ -f "$f" ] || continue
			echo "---- $f" >&2
			tail -n 30 "$f" >&2
		done
		echo "FAIL t_cluster_selftest" >&2
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

# psql as parley on a port, database selftest, one value per line.
pq() { # PORT SQL
	PGCONNECT_TIMEOUT=5 psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" \
		-U parley -d selftest -c "$2"
}

# until_eq SECONDS EXPECTED CMD...: poll CMD's output (0.1 s steps).
until_eq() {
	local end out=
	end=$(($(date +%s) + $1))
	local want=$2
	shift 2
	while :; do
		out=$("$@" 2>/dev/null || true)
		[ "$out" = "$want" ] && return 0
		[ "$(date +%s)" -lt "$end" ] || {
			echo "waited for '$want' from '$*', last output: '$out'" >&2
			return 1
		}
		sleep 0.1
	done
}

# DIR/env: the ports, pids and DSN cluster.sh wrote.
# shellcheck disable=SC1091
load_env() { . "$T/env"; }

gone() { # PID: no such process or a zombie
	kill -0 "$1" 2>/dev/null || return 0
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}

# ---- start
t0=$(date +%s%N)
"$CL" start "$T" >"$T/start.out" || fail "cluster.sh start"
t1=$(date +%s%N)
cmp -s "$T/start.out" "$T/env" || fail "start printed something other than DIR/env"
load_env
for v in PG_PRIMARY_PORT PG_STANDBY_PORT PG_PRIMARY_PID PG_STANDBY_PID PG_HOST PG_USER PARLEY_PG_DSN; do
	[ -n "${!v:-}" ] || fail "$v empty in $T/env"
done
[ "$PARLEY_PG_DSN" = "host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley dbname=postgres" ] ||
	fail "PARLEY_PG_DSN is '$PARLEY_PG_DSN'"
{ kill -0 "$PG_PRIMARY_PID" && kill -0 "$PG_STANDBY_PID"; } || fail "recorded pids not alive"
P1=$PG_PRIMARY_PORT P2=$PG_STANDBY_PORT PID1=$PG_PRIMARY_PID PID2=$PG_STANDBY_PID
ok "start in $(((t1 - t0) / 1000000)) ms: primary $P1 (pid $PID1), standby $P2 (pid $PID2)"

[ "$("$CL" status "$T")" = "standby1|streaming|sync" ] || fail "status: $("$CL" status "$T")"
ok "status: standby1 streaming sync"

# ---- a row on the primary, read on the standby
"$CL" psql "$T" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE selftest" >/dev/null
pq "$P1" "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one')" >/dev/null
# synchronous_commit = on waits for the standby's flush, not its replay.
until_eq 10 "one" pq "$P2" "SELECT v FROM t WHERE id = 1" || fail "row 1 not on the standby"
[ "$(pq "$P2" "SELECT pg_is_in_recovery()")" = t ] || fail "standby not in recovery"
if pq "$P2" "INSERT INTO t VALUES (9, 'no')" >/dev/null 2>&1; then
	fail "the standby took a write"
fi
ok "row on the standby, which is read-only"

# ---- no standby: a commit waits
"$CL" stop-standby "$T"
gone "$PID2" || fail "standby postmaster $PID2 still there after stop-standby"
until_eq 10 "no standby" "$CL" status "$T" || fail "status after stop-standby"
timeout 30 psql -X -q -h 127.0.0.1 -p "$P1" -U parley -d selftest \
	-c "INSERT INTO t VALUES (2, 'waited')" >/dev/null 2>&1 &
BG=$!
until_eq 10 "1" pq "$P1" "SELECT count(*) FROM pg_stat_activity
	WHERE wait_event = 'SyncRep' AND query LIKE 'INSERT INTO t VALUES (2,%'" ||
	fail "the commit is not waiting for the standby (wait_event SyncRep)"
sleep 2
kill -0 "$BG" 2>/dev/null || fail "the commit returned within 2 s with no standby"
[ "$(pq "$P1" "SELECT count(*) FROM t WHERE id = 2")" = 0 ] ||
	fail "the waiting commit is visible to others"
kill "$BG" 2>/dev/null || true
wait "$BG" 2>/dev/null || true
BG=
ok "with the standby stopped a commit waits (SyncRep, > 2 s, invisible)"

# ---- the standby back: the waiting commit completes
"$CL" start-standby "$T"
load_env
PID2=$PG_STANDBY_PID
[ "$("$CL" status "$T")" = "standby1|streaming|sync" ] || fail "status after start-standby"
until_eq 10 "waited" pq "$P1" "SELECT v FROM t WHERE id = 2" || fail "row 2 not committed on the primary"
until_eq 10 "waited" pq "$P2" "SELECT v FROM t WHERE id = 2" || fail "row 2 not on the standby"
ok "start-standby: sync again (pid $PID2), the waiting commit completed"

# ---- failover
"$CL" kill-primary "$T"
gone "$PID1" || fail "primary postmaster $PID1 alive after kill-primary"
[ -z "$(pgrep -P "$PID1" 2>/dev/null || true)" ] || fail "children of $PID1 left"
ok "kill-primary"

"$CL" promote "$T" >/dev/null
load_env
[ "$PG_PRIMARY_PORT" = "$P2" ] || fail "PG_PRIMARY_PORT $PG_PRIMARY_PORT after promote, not $P2"
[ "$PG_OLD_PRIMARY_PORT" = "$P1" ] || fail "PG_OLD_PRIMARY_PORT $PG_OLD_PRIMARY_PORT, not $P1"
[ "$PARLEY_PG_DSN" = "host=127.0.0.1 port=$P2 user=parley dbname=postgres" ] ||
	fail "PARLEY_PG_DSN after promote: $PARLEY_PG_DSN"
[ "$PG_PRIMARY_PID" = "$PID2" ] || fail "PG_PRIMARY_PID after promote: $PG_PRIMARY_PID"
[ "$(pq "$P2" "SELECT pg_is_in_recovery()")" = f ] || fail "promoted standby in recovery"
[ "$("$CL" psql "$T" -X -A -t -d selftest -c "SELECT string_agg(v, ',' ORDER BY id) FROM t")" = "one,waited" ] ||
	fail "rows after failover"
timeout 10 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$P2" -U parley -d selftest \
	-c "INSERT INTO t VALUES (3, 'after')" >/dev/null || fail "a commit on the promoted standby did not return"
[ "$("$CL" status "$T")" = "no standby" ] || fail "status after promote"
ok "promote: the standby takes writes, both rows there, env points at port $P2"

# ---- stop
"$CL" stop "$T"
gone "$PID2" || fail "postmaster $PID2 alive after stop"
"$CL" stop "$T" || fail "second stop"
ok "stop (twice)"
echo "PASS t_cluster_selftest"
