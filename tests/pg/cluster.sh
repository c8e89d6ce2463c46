#!/bin/bash
# A throwaway PostgreSQL 15 pair for tests: a primary and a streaming,
# synchronous standby (application_name standby1), on 127.0.0.1 only, with
# their unix sockets, data, logs and state in one directory DIR.
#
#   cluster.sh start DIR           initdb + start the primary, role parley
#                                  (LOGIN CREATEDB, trust), pg_basebackup -R
#                                  the standby, start it, wait until it is
#                                  streaming with sync_state = 'sync';
#                                  writes DIR/env and prints it
#   cluster.sh stop DIR            stop both (fast, then by recorded pid);
#                                  idempotent, safe after a partial start
#   cluster.sh kill-primary DIR    kill -9 the primary postmaster and its
#                                  children, wait until they are gone
#   cluster.sh promote DIR         promote the standby, wait until it takes
#                                  writes, point DIR/env at it
#   cluster.sh stop-standby DIR    stop the standby only (commits on the
#                                  primary then wait for it)
#   cluster.sh start-standby DIR   start it again, wait until it is sync
#   cluster.sh psql DIR [ARGS]     psql on the current primary as parley
#   cluster.sh status DIR          pg_stat_replication of the current
#                                  primary, or "no standby"
#
# Run as root (servers run as the postgres OS user through runuser) or as
# the OS user that is to own the clusters.  Layout of DIR (chowned to that
# user): primary/ standby/ (data), primary.log standby.log (server logs),
# env (for the caller), state/ (this script's bookkeeping: ports, recorded
# postmaster pids, which node is the primary).  Nothing outside DIR is
# written, except that stop removes the SysV shared memory segment a
# SIGKILLed postmaster of DIR leaves behind.  Only postmasters of
# DIR/primary and DIR/standby and their children are ever signalled: the
# pids recorded in DIR/state (or, after an interrupted start, the one in
# the data directory's postmaster.pid), each checked to be running with -D
# that data directory.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_OS_USER
# (default postgres), PG_WAIT (seconds every bounded wait allows, default 60).

set -eu

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_OS_USER=${PG_OS_USER:-postgres}
PG_WAIT=${PG_WAIT:-60}
HOST=127.0.0.1
SUPERUSER=postgres   # the bootstrap superuser initdb creates (-U)
APP_NAME=standby1
SLOT=standby1

# psql must not pick up the caller's defaults for the internal queries.
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE \
	PGSERVICEFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS 2>/dev/null || true

PROG=${0##*/}

die() { echo "$PROG: $*" >&2; exit 1; }
say() { echo "$PROG: $*" >&2; }

usage() {
	cat >&2 <<EOF
usage: $PROG start|stop|kill-primary|promote|stop-standby|start-standby|status DIR
       $PROG psql DIR [psql args...]
EOF
	exit 2
}

# ---------------------------------------------------------------- helpers

# Run a command as the OS user owning the clusters, from DIR (so nothing
# complains about an unreadable current directory).
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		(cd "$DIR" && runuser -u "$PG_OS_USER" -- "$@")
	else
		(cd "$DIR" && "$@")
	fi
}

# Internal queries: the bootstrap superuser (pg_stat_replication hides
# state and sync_state from ordinary roles), over TCP.
q() { # PORT SQL
	PGCONNECT_TIMEOUT=5 psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$HOST" -p "$1" \
		-U "$SUPERUSER" -d postgres -c "$2"
}

# Sleep a little; used only between polls.
nap() { sleep 0.1; }

now_s() { date +%s; }

# alive PID DATADIR: the process exists, is not a zombie, and is the
# postmaster of DATADIR (a recycled pid is not ours).
alive() {
	local pid=$1 data=$2 st cmd
	[ -n "$pid" ] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	if [ -r "/proc/$pid/stat" ]; then
		st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
		[ "$st" != Z ] || return 1
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
		case "$cmd" in *" $data "* | *" $data") return 0 ;; *) return 1 ;; esac
	fi
	return 0
}

# pid_gone PID: no such process, or only a zombie left.
pid_gone() {
	local st
	kill -0 "$1" 2>/dev/null || return 0
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
	[ "$st" = Z ] || [ -z "$st" ]
}

# wait_gone SECONDS PID...: 0 when all are gone in time.
wait_gone() {
	local limit=$1 end p left
	shift
	end=$(($(now_s) + limit))
	while :; do
		left=
		for p in "$@"; do pid_gone "$p" || left="$left $p"; done
		[ -z "$left" ] && return 0
		[ "$(now_s)" -lt "$end" ] || return 1
		nap
	done
}

# The postmaster's children (backends, walsender, checkpointer, ...).
children() { pgrep -P "$1" 2>/dev/null | tr '\n' ' ' || true; }

port_in_use() { # PORT: something listens on it (v4 or v6), or its socket is in DIR
	local hex
	hex=$(printf '%04X' "$1")
	[ -e "$DIR/.s.PGSQL.$1" ] && return 0
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }'
}

# A free port in 10000..19999: below the kernel's ephemeral range and the
# range tests/integration/lib.sh uses (20000..31999).
free_port() { # [PORT TO AVOID]
	local p
	for _ in $(seq 1 200); do
		p=$(((RANDOM % 10000) + 10000))
		[ "$p" != "${1:-}" ] || continue
		port_in_use "$p" || { echo "$p"; return 0; }
	done
	die "no free TCP port found on $HOST in 10000..19999"
}

st_get() { if [ -f "$STATE/$1" ]; then cat "$STATE/$1"; fi; }
st_put() { printf '%s\n' "$2" >"$STATE/$1.tmp" && mv -f "$STATE/$1.tmp" "$STATE/$1"; }

# The postmaster pid a data directory's postmaster.pid names.
pidfile_pid() { if [ -f "$1/postmaster.pid" ]; then head -n 1 "$1/postmaster.pid"; fi; }

log_tail() { # LOGFILE
	[ -f "$1" ] || return 0
	echo "---- last lines of $1:" >&2
	tail -n 15 "$1" >&2 || true
	echo "----" >&2
}

# Node descriptions: NODE is primary or standby.
node_data() { echo "$DIR/$1"; }
node_log() { echo "$DIR/$1.log"; }
node_port() { st_get "$1.port"; }
node_pid() { st_get "$1.pid"; }

# The node that currently takes writes.
current_primary() { local c; c=$(st_get current); echo "${c:-primary}"; }

setup_dir() { # DIR: absolute, existing, usable by the postgres OS user
	[ -n "$1" ] || usage
	# Absolute and canonical: pg_ctl starts the postmaster with -D exactly
	# as given, and alive() recognises our postmasters by that argument.
	DIR=$(realpath -m -- "$1") || die "$1: cannot resolve the path"
	case "$DIR" in
	*[!A-Za-z0-9/._+-]*) die "$DIR: only letters, digits and / . _ + - allowed in DIR (it goes into postgresql.conf and the env file)" ;;
	esac
	[ "$DIR" != / ] || die "DIR cannot be /"
	STATE=$DIR/state
}

need_dir() {
	[ -d "$DIR" ] || die "$DIR: no such directory (was 'start' run?)"
	[ -d "$STATE" ] || die "$DIR: no cluster state in $STATE (was 'start' run?)"
}

# -------------------------------------------------------------- env file

write_env() {
	local cur old p1 p2 pid1 pid2 tmp
	cur=$(current_primary)
	tmp=$DIR/env.tmp
	if [ "$cur" = primary ]; then
		p1=$(node_port primary) pid1=$(node_pid primary)
		p2=$(node_port standby) pid2=$(node_pid standby)
		{
			echo "PG_PRIMARY_PORT=$p1"
			echo "PG_STANDBY_PORT=$p2"
			echo "PG_PRIMARY_PID=$pid1"
			echo "PG_STANDBY_PID=$pid2"
		} >"$tmp"
	else
		old=primary
		p1=$(node_port standby) pid1=$(node_pid standby)
		{
			echo "PG_PRIMARY_PORT=$p1"
			echo "PG_STANDBY_PORT="
			echo "PG_PRIMARY_PID=$pid1"
			echo "PG_STANDBY_PID="
			echo "PG_OLD_PRIMARY_PORT=$(node_port $old)"
			echo "PG_OLD_PRIMARY_PID=$(node_pid $old)"
			echo "PG_PROMOTED=1"
		} >"$tmp"
	fi
	{
		echo "PG_HOST=$HOST"
		echo "PG_USER=parley"
		echo "PG_SOCKET_DIR='$DIR'"
		echo "PG_PRIMARY_LOG='$(node_log "$cur")'"
		echo "PARLEY_PG_DSN='host=$HOST port=$p1 user=parley dbname=postgres'"
	} >>"$tmp"
	mv -f "$tmp" "$DIR/env"
}

# -------------------------------------------------------- start and stop

# record_pid NODE: note the pid its postmaster.pid names (a stale file
# from a killed postmaster may name a dead pid: alive() sorts that out).
record_pid() {
	local pid
	pid=$(pidfile_pid "$(node_data "$1")")
	[ -z "$pid" ] || [ "$pid" = "$(node_pid "$1")" ] || st_put "$1.pid" "$pid"
}

# live_pid NODE: the running postmaster of NODE, if any: the recorded pid,
# else (start was killed before it could record it) the pid in the data
# directory's postmaster.pid, provided that process is the postmaster of
# exactly that data directory.
live_pid() {
	local data pid
	data=$(node_data "$1")
	pid=$(node_pid "$1")
	if alive "$pid" "$data"; then echo "$pid"; return 0; fi
	pid=$(pidfile_pid "$data")
	if alive "$pid" "$data"; then
		st_put "$1.pid" "$pid"
		echo "$pid"
	fi
}

# try_start NODE: pg_ctl start -w; the postmaster pid is recorded while
# pg_ctl waits, as soon as postmaster.pid names it, and again at the end,
# whether or not pg_ctl says it worked, so that stop finds it.  Returns
# pg_ctl's status.
try_start() {
	local node=$1 data log ctl rc=0
	data=$(node_data "$node") log=$(node_log "$node")
	[ ! -e "$STATE/stopped" ] || die "'stop' was run on $DIR; not starting the $node"
	as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t "$PG_WAIT" -s start >/dev/null &
	ctl=$!
	while kill -0 "$ctl" 2>/dev/null; do
		record_pid "$node"
		sleep 0.05
	done
	wait "$ctl" || rc=$?
	record_pid "$node"
	return $rc
}

# start_node NODE: start it; if its port was taken since free_port
# checked it (another test), move to another free port, at most 3 times.
start_node() {
	local node=$1 data log pid rc try port
	data=$(node_data "$node") log=$(node_log "$node")
	for try in 1 2 3; do
		rc=0
		try_start "$node" || rc=$?
		[ "$rc" != 0 ] || break
		pid=$(node_pid "$node")
		if alive "$pid" "$data"; then
			break   # up, but pg_ctl gave up waiting: reported below
		fi
		if [ "$try" -lt 3 ] && tail -n 20 "$log" 2>/dev/null | grep -q 'could not bind\|could not create any TCP/IP sockets\|Address already in use'; then
			port=$(free_port "$(node_port "$node")")
			say "$node: port $(node_port "$node") was taken meanwhile; trying $port"
			st_put "$node.port" "$port"
			echo "port = $port" | as_pg tee -a "$data/postgresql.conf" >/dev/null
			continue
		fi
		break
	done
	if [ "$rc" != 0 ]; then
		log_tail "$log"
		die "$node did not start (pg_ctl start exit $rc within ${PG_WAIT}s); log: $log"
	fi
	pid=$(node_pid "$node")
	[ -n "$pid" ] || die "$node started but $data/postmaster.pid names no pid; log: $log"
	alive "$pid" "$data" || die "$node postmaster $pid is not running after start; log: $log"
	if [ -e "$STATE/stopped" ]; then
		stop_node "$node"
		die "'stop' was run on $DIR while the $node was starting; stopped it again"
	fi
}

# stop_node NODE: fast shutdown; then SIGQUIT (immediate) to the recorded
# pid; then SIGKILL to it and the children it had.
stop_node() {
	local node=$1 data log pid kids
	data=$(node_data "$node") log=$(node_log "$node")
	pid=$(live_pid "$node")
	[ -n "$pid" ] || return 0
	kids=$(children "$pid")
	if as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t "$PG_WAIT" -s stop >/dev/null 2>&1 &&
		wait_gone 5 "$pid"; then
		# shellcheck disable=SC2086
		wait_gone 5 $kids || true
		return 0
	fi
	say "$node: pg_ctl stop -m fast did not stop postmaster $pid in ${PG_WAIT}s; sending SIGQUIT (log: $log)"
	if alive "$pid" "$data"; then
		kids="$kids $(children "$pid")"
		kill -QUIT "$pid" 2>/dev/null || true
		if wait_gone 10 "$pid"; then
			# shellcheck disable=SC2086
			wait_gone 5 $kids || true
			return 0
		fi
	fi
	say "$node: postmaster $pid still there; SIGKILL"
	kill_tree "$node"
}

# kill_tree NODE: SIGKILL the recorded postmaster and its children, wait.
kill_tree() {
	local node=$1 pid kids p
	pid=$(live_pid "$node")
	[ -n "$pid" ] || return 0
	kids=$(children "$pid")
	kill -KILL "$pid" 2>/dev/null || true
	# Children noticed before the kill, and any forked in between.
	for p in $kids $(children "$pid"); do kill -KILL "$p" 2>/dev/null || true; done
	# shellcheck disable=SC2086
	wait_gone "$PG_WAIT" "$pid" $kids ||
		die "$node: postmaster $pid or its children ($kids) still alive ${PG_WAIT}s after SIGKILL"
}

# drop_shm NODE: a postmaster killed by SIGKILL leaves its small SysV
# shared memory segment behind (a clean shutdown removes it; a restart of
# the same data directory would).  Once NODE is down, remove the segment
# its postmaster.pid names, if it still has that key and nobody attached.
drop_shm() {
	local data line key id
	data=$(node_data "$1")
	[ -f "$data/postmaster.pid" ] || return 0
	[ -z "$(live_pid "$1")" ] || return 0
	command -v ipcs >/dev/null && command -v ipcrm >/dev/null || return 0
	line=$(sed -n 7p "$data/postmaster.pid")
	# shellcheck disable=SC2086
	set -- $line
	[ $# = 2 ] || return 0
	key=$(printf '0x%08x' "$1") id=$2
	if ipcs -m | awk -v k="$key" -v i="$id" '$1 == k && $2 == i && $6 == 0 { f = 1 } END { exit !f }'; then
		ipcrm -m "$id" 2>/dev/null || as_pg ipcrm -m "$id" 2>/dev/null || true
	fi
}

# wait_sync PRIMARY_PORT: until standby1 streams with sync_state = 'sync'.
wait_sync() {
	local port=$1 end row=
	end=$(($(now_s) + PG_WAIT))
	while :; do
		row=$(q "$port" "SELECT state || ' ' || sync_state FROM pg_stat_replication
			WHERE application_name = '$APP_NAME'" 2>/dev/null || true)
		[ "$row" = "streaming sync" ] && return 0
		if [ "$(now_s)" -ge "$end" ]; then
			log_tail "$(node_log standby)"
			die "standby ($APP_NAME) not streaming with sync_state 'sync' on the primary (port $port) within ${PG_WAIT}s (last: '${row:-no row}'); logs: $(node_log primary) $(node_log standby)"
		fi
		nap
	done
}

# wait_ready PORT NODE: until the server answers a query.
wait_ready() {
	local port=$1 node=$2 end
	end=$(($(now_s) + PG_WAIT))
	until q "$port" "SELECT 1" >/dev/null 2>&1; do
		[ "$(now_s)" -lt "$end" ] ||
			die "$node (port $port) does not answer queries after ${PG_WAIT}s; log: $(node_log "$node")"
		nap
	done
}

conf_common() { # PORT
	cat <<EOF

# ---- tests/pg/cluster.sh
listen_addresses = '$HOST'
port = $1
unix_socket_directories = '$DIR'
max_connections = 100
shared_buffers = 16MB
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
fsync = on
full_page_writes = on
synchronous_commit = on
logging_collector = off
log_line_prefix = '%m [%p] %q%a '
log_min_messages = warning
EOF
}

cmd_start() {
	local p1 p2 data1 data2 t0
	t0=$(now_s)
	[ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb not found (set PG_BIN)"
	command -v psql >/dev/null || die "psql not in PATH"
	if [ "$(id -u)" = 0 ]; then
		command -v runuser >/dev/null || die "running as root needs runuser (util-linux)"
		id "$PG_OS_USER" >/dev/null 2>&1 || die "no OS user $PG_OS_USER"
	fi
	mkdir -p "$DIR"
	if [ -e "$DIR/primary" ] || [ -e "$STATE" ]; then
		die "$DIR already holds a cluster (stop it and use a fresh directory)"
	fi
	# The socket path DIR/.s.PGSQL.NNNNN.lock must fit in sun_path (108).
	[ ${#DIR} -le 80 ] || die "$DIR is too long for a unix socket directory (${#DIR} > 80 characters); use a shorter DIR"
	mkdir -p "$STATE"
	chmod 700 "$STATE"
	if [ "$(id -u)" = 0 ]; then
		chown "$PG_OS_USER:" "$DIR"
		chmod 700 "$DIR"
	fi
	as_pg test -w "$DIR" -a -x "$DIR" ||
		die "$DIR is not writable by $PG_OS_USER (a parent directory not searchable?)"
	data1=$(node_data primary) data2=$(node_data standby)

	# ---- primary
	p1=$(free_port)
	st_put primary.port "$p1"
	st_put current primary
	as_pg "$PG_BIN/initdb" -D "$data1" -U "$SUPERUSER" --auth=trust -E UTF8 \
		--locale=C --no-sync >"$DIR/initdb.log" 2>&1 || {
		log_tail "$DIR/initdb.log"
		die "initdb of the primary failed; log: $DIR/initdb.log"
	}
	conf_common "$p1" | as_pg tee -a "$data1/postgresql.conf" >/dev/null
	as_pg tee -a "$data1/postgresql.conf" >/dev/null <<EOF
synchronous_standby_names = 'FIRST 1 ($APP_NAME)'
EOF
	as_pg tee "$data1/pg_hba.conf" >/dev/null <<EOF
# tests/pg/cluster.sh: trust, local socket and 127.0.0.1 only
local   all           all                 trust
local   replication   all                 trust
host    all           all   127.0.0.1/32  trust
host    replication   all   127.0.0.1/32  trust
EOF
	start_node primary
	p1=$(node_port primary)
	wait_ready "$p1" primary
	# No standby yet: a commit would wait for it, so the role is created
	# with synchronous_commit = local.
	q "$p1" "SET synchronous_commit = local;
		CREATE ROLE parley LOGIN CREATEDB;
		GRANT pg_monitor TO parley;
		SELECT pg_create_physical_replication_slot('$SLOT');" >/dev/null ||
		die "creating role parley / slot $SLOT on the primary failed; log: $(node_log primary)"

	# ---- standby
	p2=$(free_port "$p1")
	st_put standby.port "$p2"
	# pg_basebackup's own connections get their default application_name
	# (with standby1 its WAL stream would briefly be the sync standby);
	# the standby's primary_conninfo is written below.
	as_pg "$PG_BIN/pg_basebackup" -h "$HOST" -p "$p1" -U "$SUPERUSER" -D "$data2" \
		-X stream -S "$SLOT" -R -c fast --no-sync \
		>"$DIR/basebackup.log" 2>&1 || {
		log_tail "$DIR/basebackup.log"
		die "pg_basebackup of the standby failed; log: $DIR/basebackup.log"
	}
	[ -f "$data2/standby.signal" ] || die "pg_basebackup -R wrote no $data2/standby.signal"
	as_pg tee "$data2/postgresql.auto.conf" >/dev/null <<EOF
# tests/pg/cluster.sh (replaces what pg_basebackup -R wrote)
primary_conninfo = 'host=$HOST port=$p1 user=$SUPERUSER application_name=$APP_NAME'
primary_slot_name = '$SLOT'
EOF
	# Its own port; and no synchronous standby of its own, or a promoted
	# standby would wait forever for one.
	as_pg tee -a "$data2/postgresql.conf" >/dev/null <<EOF

# ---- tests/pg/cluster.sh: standby
port = $p2
synchronous_standby_names = ''
hot_standby = on
EOF
	start_node standby
	p2=$(node_port standby)
	wait_sync "$p1"
	write_env
	cat "$DIR/env"
	say "cluster up in $(($(now_s) - t0))s: primary $p1, standby $p2 (sync); logs in $DIR"
}

cmd_stop() {
	local rc=0
	[ -d "$STATE" ] || return 0
	# A start still under way (its caller gave up on it) starts nothing more.
	: >"$STATE/stopped"
	# The standby first: a primary stopping with no standby has nothing to
	# wait for, and a fast shutdown does not wait for the standby anyway.
	(stop_node standby) || rc=1
	(stop_node primary) || rc=1
	drop_shm standby
	drop_shm primary
	return $rc
}

cmd_kill_primary() {
	local cur
	need_dir
	cur=$(current_primary)
	[ "$cur" = primary ] || die "the primary was already replaced by the promoted standby"
	[ -n "$(node_pid primary)" ] || die "no recorded primary pid in $STATE"
	kill_tree primary
}

cmd_promote() {
	local data p2 end r
	need_dir
	[ "$(current_primary)" = primary ] || die "the standby is already promoted"
	data=$(node_data standby) p2=$(node_port standby)
	alive "$(node_pid standby)" "$data" || die "the standby is not running (pid '$(node_pid standby)')"
	as_pg "$PG_BIN/pg_ctl" -D "$data" -w -t "$PG_WAIT" -s promote >/dev/null || {
		log_tail "$(node_log standby)"
		die "pg_ctl promote of the standby failed; log: $(node_log standby)"
	}
	end=$(($(now_s) + PG_WAIT))
	while :; do
		r=$(q "$p2" "SELECT pg_is_in_recovery()" 2>/dev/null || true)
		[ "$r" = f ] && break
		[ "$(now_s)" -lt "$end" ] || {
			log_tail "$(node_log standby)"
			die "the promoted standby (port $p2) still in recovery after ${PG_WAIT}s; log: $(node_log standby)"
		}
		nap
	done
	st_put current standby
	write_env
	cat "$DIR/env"
}

cmd_stop_standby() {
	need_dir
	[ "$(current_primary)" = primary ] || die "the standby was promoted; it is the primary now"
	stop_node standby
}

cmd_start_standby() {
	need_dir
	[ "$(current_primary)" = primary ] || die "the standby was promoted; it is the primary now"
	if alive "$(node_pid standby)" "$(node_data standby)"; then
		die "the standby is already running (pid $(node_pid standby))"
	fi
	start_node standby
	wait_sync "$(node_port primary)"
	write_env
}

cmd_psql() {
	local port
	need_dir
	port=$(node_port "$(current_primary)")
	exec psql -X -h "$HOST" -p "$port" -U parley -d postgres "$@"
}

cmd_status() {
	local port out
	need_dir
	port=$(node_port "$(current_primary)")
	out=$(q "$port" "SELECT application_name, state, sync_state FROM pg_stat_replication
		ORDER BY application_name") ||
		die "cannot query the primary on port $port; log: $(node_log "$(current_primary)")"
	if [ -z "$out" ]; then
		echo "no standby"
	else
		echo "$out"
	fi
}

# ------------------------------------------------------------------ main

[ $# -ge 2 ] || usage
CMD=$1
setup_dir "$2"
shift 2
case "$CMD" in
start) [ $# = 0 ] || usage; cmd_start ;;
stop) [ $# = 0 ] || usage; cmd_stop ;;
kill-primary) [ $# = 0 ] || usage; cmd_kill_primary ;;
promote) [ $# = 0 ] || usage; cmd_promote ;;
stop-standby) [ $# = 0 ] || usage; cmd_stop_standby ;;
start-standby) [ $# = 0 ] || usage; cmd_start_standby ;;
psql) cmd_psql "$@" ;;
status) [ $# = 0 ] || usage; cmd_status ;;
*) usage ;;
esac
