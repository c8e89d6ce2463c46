# Review (promise 5): parleyd refuses synchronous_commit other than on or
# remote_apply, but reads it once, at start, and never sets it on its own
# connection: an ALTER SYSTEM + reload on the server (or a DBA "speeding
# up" the database) changes it under a running daemon, and acks then go out
# before the standby has the commit.  Here: synchronous_commit = local by
# reload, the standby stopped, a notice is acked at once.
set -u
C=${PG_CLUSTER:?PG_CLUSTER must name a running cluster directory (tests/pg/cluster.sh)}
# shellcheck disable=SC1091
. "$C/env"
CL=$(cd "$(dirname "$0")" && pwd)/cluster.sh
export PARLEY_TEST_PG="host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley connect_timeout=3"
export PG_LEASE=30s
. "$(dirname "$0")/../integration/lib.sh"
su_sql() { runuser -u "${PG_OS_USER:-postgres}" -- "${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" -X -q -At \
	-h "$PG_SOCKET_DIR" -p "$PG_PRIMARY_PORT" -d postgres -c "$1"; }
restore() {
	su_sql "ALTER SYSTEM RESET synchronous_commit" >/dev/null 2>&1
	su_sql "SELECT pg_reload_conf()" >/dev/null 2>&1
	"$CL" start-standby "$C" >/dev/null 2>&1
}
trap 'restore; cleanup' EXIT
setup
enrol baku
su_sql "ALTER SYSTEM SET synchronous_commit = 'local'" || fail "alter system"
su_sql "SELECT pg_reload_conf()" >/dev/null || fail "reload"
i=0; until [ "$(su_sql "SHOW synchronous_commit")" = local ]; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "the reload did not take"; sleep 0.05
done
"$CL" stop-standby "$C" >/dev/null || fail "stop-standby"
printf 'acked on one machine' | timeout 10 "$BIN/parleyctl" -s "$T/admin.sock" notice send baku --text - >"$T/n.out" 2>&1
rc=$?
echo "notice send with synchronous_commit = local (by reload) and the standby down: rc $rc: $(cat "$T/n.out")"
restore
[ $rc = 0 ] && fail "acknowledged with synchronous_commit = local (set by a reload after start) and no standby: the ack is on one machine"
pass
