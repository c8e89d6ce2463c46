#!/bin/bash
# make bench: parleyd and its baselines measured side by side, on loopback,
# bounded in time.  Prints a table of figures and ratios, then the same as
# JSON (also written to --out FILE).  See bench/README.md.
#
# Everything it starts (parleyd, mosquitto, openssl s_server) it stops
# again, by process id, whatever happens; every step runs under the
# overall --time-limit.
set -u
export LC_ALL=C

usage() {
	cat <<'EOF'
usage: bench/run.sh [options]

  --bin DIR            build directory with parleyd, parley, parleyctl, loadgen (build)
  --out FILE           also write the JSON result to FILE
  --time-limit S       bound on the whole run in seconds (600)
  --parties N          parties signing each agreement (8)
  --endpoints M        endpoints per party (2)
  --inflight K         agreements in flight while signing (64)
  --seconds D          length of each rate measurement (8)
  --agreements A       agreements to sign per acceptance run (auto: a
                       calibration run, then enough for D seconds at 1.5 times
                       its rate, between 2K and what the verify rate needs)
  --samples S          release latency samples (200)
  --idle-counts LIST   idle connection counts for RSS (1000,10000)
  --idle-endpoints E   distinct endpoint certificates for them (100)
  --hs-seconds S       handshake measurement length (5)
  --mqtt-messages N    messages per mosquitto rate run (100000)
  --big-rows N         journal entries (or, without a journal, delivery rows)
                       of the big-store run (1000000)
  --big-agreements N   agreements released through parleyd into the big store
                       before its journal is grown (100000)
  --connect-behind N   entries the connecting party's checkpoint is behind the
                       big store's (100000)
  --connect-samples N  connects timed on each store (20)
  --startup-rounds N   starts after kill -9 timed on each store (5)
  --wait-idle S        first wait up to S seconds for the CPUs to be idle (0)
  --no-mosquitto       skip the mosquitto baselines
  --keep               keep the work directory
EOF
}

BIN=build OUT= LIMIT=600 N=8 M=2 K=64 SECS=8 AGREEMENTS=auto SAMPLES=200
IDLE_COUNTS=1000,10000 IDLE_EPS=100 HS_SECS=5 MQ_MSGS=100000 BIG_ROWS=1000000
FILL_AG=100000 BEHIND=100000 CONNECT_SAMPLES=20 ROUNDS=5
MOSQ=1 KEEP=0 WAIT_IDLE=0
while [ $# -gt 0 ]; do
	case $1 in
	--bin) BIN=$2; shift ;;
	--out) OUT=$2; shift ;;
	--time-limit) LIMIT=$2; shift ;;
	--parties) N=$2; shift ;;
	--endpoints) M=$2; shift ;;
	--inflight) K=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	--agreements) AGREEMENTS=$2; shift ;;
	--samples) SAMPLES=$2; shift ;;
	--idle-counts) IDLE_COUNTS=$2; shift ;;
	--idle-endpoints) IDLE_EPS=$2; shift ;;
	--hs-seconds) HS_SECS=$2; shift ;;
	--mqtt-messages) MQ_MSGS=$2; shift ;;
	--big-rows) BIG_ROWS=$2; shift ;;
	--big-agreements) FILL_AG=$2; shift ;;
	--connect-behind) BEHIND=$2; shift ;;
	--connect-samples) CONNECT_SAMPLES=$2; shift ;;
	--startup-rounds) ROUNDS=$2; shift ;;
	--wait-idle) WAIT_IDLE=$2; shift ;;
	--no-mosquitto) MOSQ=0 ;;
	--keep) KEEP=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
for v in "$WAIT_IDLE" "$LIMIT" "$N" "$M" "$K" "$SECS" "$SAMPLES" "$IDLE_EPS" "$HS_SECS" "$MQ_MSGS" \
    "$BIG_ROWS" "$FILL_AG" "$BEHIND" "$CONNECT_SAMPLES" "$ROUNDS"; do
	case $v in ''|*[!0-9]*) echo "bench: numbers only: $v" >&2; exit 2 ;; esac
done
if [ "$CONNECT_SAMPLES" -lt 1 ] || [ "$ROUNDS" -lt 1 ]; then
	echo "bench: --connect-samples and --startup-rounds are at least 1" >&2; exit 2
fi
# A connect at the big store may take a second: no connect starts later
# than this into its run.
CONNECT_SECS=40
BIN=$(cd "$BIN" 2>/dev/null && pwd) || { echo "bench: no build directory" >&2; exit 2; }
for b in parleyd parley parleyctl loadgen; do
	[ -x "$BIN/$b" ] || { echo "bench: $BIN/$b is missing (make bench builds it)" >&2; exit 2; }
done
for t in jq sqlite3 openssl timeout; do
	command -v $t >/dev/null || { echo "bench: $t is needed" >&2; exit 2; }
done

START=$(date +%s)
DEADLINE=$((START + LIMIT))
W=$(mktemp -d /tmp/parley-bench.XXXXXX)
R=$W/results
mkdir -p "$R" "$W/ep"
PARLEYD_PID= MOSQ_PID= SSERVER_PID=

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

cleanup() {
	stop_pid "$SSERVER_PID"
	stop_pid "$MOSQ_PID"
	stop_pid "$PARLEYD_PID"
	if [ "$KEEP" = 1 ]; then log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# A loadgen run: its JSON into $R/NAME.json (an error object if it failed).
lg() {
	local name=$1; shift
	local ms=$(( $(left) - 3 )); [ "$ms" -ge 1 ] || ms=1
	# shellcheck disable=SC2086 # LG_PIN: empty, or "taskset -c N"
	if ! bounded ${LG_PIN:-} "$BIN/loadgen" "$@" --max-seconds "$ms" >"$R/$name.json" 2>>"$W/loadgen.log" ||
	    ! jq -e . "$R/$name.json" >/dev/null 2>&1; then
		log "loadgen $1 failed: $(tail -n 1 "$W/loadgen.log")"
		jq -n --arg e "$(tail -n 1 "$W/loadgen.log")" '{error: $e}' >"$R/$name.json.err"
		jq -e . "$R/$name.json" >/dev/null 2>&1 || mv "$R/$name.json.err" "$R/$name.json"
		rm -f "$R/$name.json.err"
		return 1
	fi
	return 0
}
jr() { jq -r "$2" "$R/$1.json" 2>/dev/null; }

wait_port() {	# PORT PID: until something listens (bounded)
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null || return 1
		port_free "$1" || return 0
		sleep 0.1
	done
	return 1
}

# Descriptors: 10,000 connections on each side of loopback.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

# ---- environment ----
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# Percent of all CPUs busy over one second (other work on the machine
# depresses every figure; the result records it).
cpu_busy() {
	local a b
	read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ </proc/stat
	sleep 1
	read -r _ b1 b2 b3 b4 b5 b6 b7 b8 _ </proc/stat
	a=$((a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8)); b=$((b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8))
	echo $(( (b - a - (b4 - a4) - (b5 - a5)) * 100 / (b - a > 0 ? b - a : 1) ))
}
BUSY=$(cpu_busy)
if [ "$WAIT_IDLE" -gt 0 ] && [ "$BUSY" -ge 10 ]; then
	log "the CPUs are ${BUSY}% busy with other work: waiting up to ${WAIT_IDLE}s for them to be idle"
	until [ "$BUSY" -lt 10 ] || [ $(( $(date +%s) - START )) -ge "$WAIT_IDLE" ]; do BUSY=$(cpu_busy); done
	START=$(date +%s); DEADLINE=$((START + LIMIT))
fi
[ "$BUSY" -ge 10 ] && log "warning: the CPUs are ${BUSY}% busy with other work; every figure suffers"
jq -n --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
	--arg ncpu "$(nproc)" --arg kernel "$(uname -r)" --arg openssl "$(openssl version)" \
	--arg sqlite "$(sqlite3 --version | cut -d' ' -f1)" --arg disk "$(df -h /tmp | tail -n 1)" \
	--arg load "$(loadavg)" --arg nofile "$(ulimit -n)" --arg busy "$BUSY" \
	'{cpu: $cpu, cpus: ($ncpu|tonumber), kernel: $kernel, openssl: $openssl, sqlite: $sqlite,
	  tmp_disk: $disk, loadavg_start: $load, other_cpu_busy_pct_start: ($busy|tonumber),
	  nofile: ($nofile|tonumber)}' >"$R/env.json"
log "work directory $W, time limit ${LIMIT}s, load average $(loadavg)"

# ---- baselines that need nothing running ----
log "baseline: openssl speed -seconds 3 ed25519"
bounded openssl speed -seconds 3 ed25519 >"$W/speed.out" 2>&1
read -r ED_SIGN ED_VERIFY < <(awk '/Ed25519\)/ {print $(NF-1), $NF}' "$W/speed.out" | tail -n 1)
jq -n --arg s "${ED_SIGN:-0}" --arg v "${ED_VERIFY:-0}" \
	'{sign_per_s: ($s|tonumber), verify_per_s: ($v|tonumber), command: "openssl speed -seconds 3 ed25519"}' \
	>"$R/ed25519.json"
log "  Ed25519 verify/s: ${ED_VERIFY:-?}"


# ---- parleyd ----
PORT=$(pick_port)
write_conf() {	# STATE_DIR
	cat >"$W/parleyd.conf" <<EOF
[server]
listen = 127.0.0.1:$PORT
state_dir = $1
admin_socket = $W/admin.sock
status_socket = $W/status.sock
[limits]
max_connections = 20000
max_per_endpoint = 200
handshake_timeout = 30s
idle_timeout = 1h
# Every load generator connection comes from 127.0.0.1: no per-source
# limits (make bench-flood measures them); handshakes 8 at a time.
max_per_source = 0
handshake_rate = 0
max_handshakes = 1024
[testing]
virtual_clock = no
${STORE_CONF:-}
EOF
}
CTL() { "$BIN/parleyctl" -s "$W/admin.sock" "$@"; }
start_parleyd() {	# STATE_DIR
	write_conf "$1"
	"$BIN/parleyd" -n -c "$W/parleyd.conf" >"$W/conf-check.out" 2>&1 ||
		{ log "parleyd refuses the bench configuration: $(cat "$W/conf-check.out")"; exit 1; }
	# shellcheck disable=SC2086 # PARLEYD_PIN: empty, or "taskset -c N"
	${PARLEYD_PIN:-} "$BIN/parleyd" -c "$W/parleyd.conf" >>"$W/parleyd.log" 2>&1 &
	PARLEYD_PID=$!
	for _ in $(seq 200); do
		CTL status >/dev/null 2>&1 && return 0
		kill -0 "$PARLEYD_PID" 2>/dev/null || break
		sleep 0.05
	done
	PARLEYD_PID=
	[ -n "${PARLEYD_TRY:-}" ] && return 1
	log "parleyd did not start: $(tail -n 3 "$W/parleyd.log")"
	exit 1
}
stop_parleyd() { stop_pid "$PARLEYD_PID"; PARLEYD_PID=; }

STATE=$W/state
for _ in 1 2 3 4 5; do	# a port another program took meanwhile: try another
	PARLEYD_TRY=1 start_parleyd "$STATE" && break
	PORT=$(pick_port)
done
[ -n "$PARLEYD_PID" ] || { log "parleyd did not start: $(tail -n 3 "$W/parleyd.log")"; exit 1; }
PIN=$(CTL --json init | jq -r .server_pin)
[ ${#PIN} = 64 ] || { log "no server pin from parleyctl init"; exit 1; }
cp "$STATE/mediator.pub" "$W/mediator.pub"
log "parleyd pid $PARLEYD_PID on 127.0.0.1:$PORT"

# Parties and endpoints: s1..sN sign for the rate runs, l1..lN for latency,
# "idle" holds the certificates of the idle and handshake runs; f1 and f2
# release the big store's agreements, k1 signs the start-up rounds' copies
# (k2 never signs), c1 connects.  One endpoint each.
: >"$W/eps.sign"; : >"$W/eps.lat"; : >"$W/eps.idle"; : >"$W/ep.list"
: >"$W/eps.fill"; : >"$W/eps.k"; : >"$W/eps.c"
for p in f1 f2 k1 k2 c1; do
	echo "$p $p-1" >>"$W/ep.list"
	case $p in
	f*) echo "$p $W/ep/$p-1/client.conf" >>"$W/eps.fill" ;;
	k1) echo "$p $W/ep/$p-1/client.conf" >>"$W/eps.k" ;;
	c1) echo "$p $W/ep/$p-1/client.conf" >>"$W/eps.c" ;;
	esac
done
for i in $(seq "$N"); do
	for g in s l; do
		for j in $(seq "$M"); do
			echo "$g$i $g$i-$j" >>"$W/ep.list"
			echo "$g$i $W/ep/$g$i-$j/client.conf" >>"$W/eps.$( [ $g = s ] && echo sign || echo lat)"
		done
	done
done
for j in $(seq "$IDLE_EPS"); do
	echo "idle idle-$j" >>"$W/ep.list"
	echo "idle $W/ep/idle-$j/client.conf" >>"$W/eps.idle"
done
log "enrolling $((2 * N)) parties x $M endpoints, 5 of one endpoint and $IDLE_EPS idle endpoints"
cut -d' ' -f2 "$W/ep.list" | bounded xargs -P 4 -I{} "$BIN/parley" init --dir "$W/ep/{}" \
	--server "127.0.0.1:$PORT" --server-pin "$PIN" --mediator-key "$W/mediator.pub" >/dev/null ||
	{ log "parley init failed"; exit 1; }
# Parties, endpoints and signers of ep.list into the running daemon's
# store (again for the PostgreSQL record, bench/pg.sh).
register_all() {
	for p in $(cut -d' ' -f1 "$W/ep.list" | sort -u); do
		CTL party add "$p" --name "bench party $p" >/dev/null || { log "party add $p failed"; exit 1; }
	done
	# shellcheck disable=SC2016
	bounded xargs -P 8 -n 2 sh -c '
		"$0" -s "$1" endpoint add "$3" --cert "$2/ep/$4/endpoint.crt" >/dev/null || exit 255
		[ "$3" = idle ] || "$0" -s "$1" signer add "$3" --key "$2/ep/$4/signer.pub" >/dev/null || exit 255
	' "$BIN/parleyctl" "$W/admin.sock" "$W" <"$W/ep.list" || { log "enrolment failed"; exit 1; }
}
register_all

# A text of the usual size (the May 1994 ceasefire, abridged).
cat >"$W/text.txt" <<'EOF'
1. To ensure a complete ceasefire and halt of military operations beginning
at 00:01 on May 12, 1994. Corresponding orders will be issued not later than
May 11, 1994. On May 12, before 23:00, the Parties will exchange the texts of
their orders.
2. To ask the Minister of Defence of the Russian Federation to convene in
Moscow not later than May 12 an urgent meeting of the Ministers of Defence
and the commanders to agree on the separation of forces, the lines of
contact and the deployment of observers.
3. This agreement will be used for the completion of negotiations in the next
10 days and the conclusion of the Agreement on the cessation of the armed
conflict not later than May 22.
4. This agreement will come into force immediately after the Mediator
notifies that he has received from the conflicting sides completely
identical documents signed by authorized representatives.
EOF

# COUNT PARTIES OUTFILE: created and circulated, the ids in OUTFILE.  The
# admin requests parleyctl sends (agreement create, then circulate as each
# id comes back), sent by loadgen create over one admin connection, 256 in
# progress at once: a parleyctl process each took 30 s for 12,000.
create_agreements() {
	local n=$1 parties=$2 out=$3
	lg "create_${out##*/}" create --admin "$W/admin.sock" --parties "$parties" --text "$W/text.txt" \
		--count "$n" --out "$out" --title bench || { log "agreement create failed"; return 1; }
	[ "$(wc -l <"$out")" = "$n" ] ||
		{ log "created and circulated $(wc -l <"$out") of $n agreements"; return 1; }
}

SPARTIES=$(seq -s, -f 's%g' "$N")
LPARTIES=$(seq -s, -f 'l%g' "$N")
db_bytes() { du -cb "$1"/parley.db* 2>/dev/null | tail -n 1 | cut -f1; }
T0=$(date +%s)
create_agreements "$SAMPLES" "$LPARTIES" "$W/ag.lat"
if [ "$AGREEMENTS" = auto ]; then
	# A short calibration run first, then enough agreements for SECS seconds
	# at 1.5 times the rate it found (at least 2K, at most what the verify
	# rate would need): too many would only grow the store before the
	# measurement, too few would end it early.
	CAL=$((2 * K))
	create_agreements "$CAL" "$SPARTIES" "$W/ag.cal"
	log "parley: calibration, $CAL agreements x $N parties, $K in flight"
	lg sign_cal sign --endpoints "$W/eps.sign" --agreements "$W/ag.cal" --inflight "$K" \
		--seconds "$(( SECS / 2 > 0 ? SECS / 2 : 1 ))" --grace "$(( SECS / 2 > 0 ? SECS / 2 : 1 ))"
	R0=$(jr sign_cal '.released_copies_per_s // 0')
	AGREEMENTS=$(awk -v r="${R0:-0}" -v v="${ED_VERIFY:-5000}" -v s="$SECS" -v n="$N" -v k="$K" \
		'BEGIN { a = int(r * 1.5 * s / n) + 1; m = int(v * s / n) + 1;
		         if (a > m) a = m; if (a < 2 * k) a = 2 * k; if (a > 12000) a = 12000; print a }')
	log "  ${R0:-0} copies/s: $AGREEMENTS agreements for the measured run"
fi
create_agreements "$AGREEMENTS" "$SPARTIES" "$W/ag.sign"
log "created and circulated $AGREEMENTS + $SAMPLES agreements in $(( $(date +%s) - T0 ))s"

JOURNAL_AT_SIGN=$(sqlite3 "$STATE/parley.db" "SELECT count(*) FROM journal" 2>/dev/null)
# 1. signed copies accepted per second (endpoints not fetching)
# parleyd's CPU time (utime + stime of every thread, /proc/PID/stat) over a
# run, per accepted copy: NAME_cpu.json.
# The load generator reads it (--server-pid) when its clock starts, after it
# has read the agreements back, and when it ends; the whole run's is kept
# beside it.
cpu_begin() { CPU0=$(cpu_ticks "$PARLEYD_PID"); }
cpu_end() {	# NAME (its loadgen JSON gives the accepted copies)
	local c1; c1=$(cpu_ticks "$PARLEYD_PID")
	jq -n --arg t "$(( c1 - CPU0 ))" --arg tck "$TCK" --arg n "$(jr "$1" '.accepted // 0')" \
		--arg timed "$(jr "$1" '.server_cpu_s_per_copy // empty')" \
		'(if ($n|tonumber) > 0 then ($t|tonumber) / ($tck|tonumber) / ($n|tonumber) else null end) as $whole |
		 {ticks: ($t|tonumber), ticks_per_s: ($tck|tonumber), accepted: ($n|tonumber),
		  cpu_s_per_copy: (($timed|tonumber?) // $whole), cpu_s_per_copy_whole_run: $whole,
		  how: "utime + stime of all parleyd threads over the timed part (read by the load generator), over the copies accepted; cpu_s_per_copy_whole_run includes its reading the agreements back"}' \
		>"$R/$1_cpu.json"
}
log "parley: signing $AGREEMENTS agreements x $N parties, $K in flight, $((N * M)) connections"
cpu_begin
lg sign sign --endpoints "$W/eps.sign" --agreements "$W/ag.sign" --inflight "$K" --seconds "$SECS" \
	--grace "$SECS" --server-pid "$PARLEYD_PID"
cpu_end sign
CTL --json status >"$R/status-after-sign.json" 2>/dev/null
log "  $(jr sign .released_copies_per_s) copies/s of released agreements ($(jr sign .accepted) accepted, $(jr sign .releases) released; journal entries at the start: ${JOURNAL_AT_SIGN:-none})"
SIGN_DB=$(db_bytes "$STATE")

# 1c (run after 1b). The floor under the CPU per copy: bench/copy_floor.c, what any server
# with parleyd's dependencies and durability spends per accepted copy at
# least (TLS, the verification, the durable append, the release), in phases
# of 3 s, its database in $W (the store's disk).  Run while parleyd is
# stopped, so that nothing else is measured meanwhile.  Its copies are the
# size of loadgen sign's: a SignRequest frame as presign packs it (a
# 5-digit agreement id, revision 1, the 32-byte content hash, party "s1",
# the 32-byte signer key and 64-byte signature, no text) is 149 bytes + the
# 4-byte length; its bundle the average release bundle parleyd stored.
COPY_BYTES=153
# NAME ARGS: copy-floor ARGS, its JSON in $R/NAME.json, or an error there.
floor_json() {
	local name=$1
	shift
	bounded "$BIN/copy-floor" --dir "$W" --copy-bytes "$COPY_BYTES" "$@" >"$R/$name.json" \
	    2>>"$W/copy-floor.log" && jq -e . "$R/$name.json" >/dev/null 2>&1 && return 0
	log "copy-floor failed: $(tail -n 1 "$W/copy-floor.log")"
	jq -n --arg e "$(tail -n 1 "$W/copy-floor.log")" '{error: $e}' >"$R/$name.json"
	return 1
}
copy_floor_run() {
	[ -x "$BIN/copy-floor" ] || { log "no copy-floor: the CPU floor per copy is not measured"; return 0; }
	local bundle
	bundle=$(sqlite3 "$STATE/parley.db" "SELECT CAST(avg(length(p.body)) AS INTEGER) FROM message m
		JOIN payload p ON p.id = m.payload_id WHERE m.kind = 'release'" 2>/dev/null)
	case $bundle in ''|*[!0-9]*) bundle=5300 ;; esac
	[ "$bundle" -ge $((64 * (N + 1))) ] || bundle=5300
	FLOOR_BUNDLE=$bundle
	log "baseline: the CPU floor per copy (copy-floor: TLS, + verify, + durable append, + release; $COPY_BYTES-byte copies, $bundle-byte bundles, 3 s each)"
	floor_json copy_floor --inflight "$K" --parties "$N" --endpoints "$M" --connections "$((N * M))" \
	    --bundle-bytes "$bundle" --seconds 3 --verify-rate "${ED_VERIFY:-0}" &&
		log "  $(jr copy_floor .cpu_us_per_copy) us a copy (TLS $(jr copy_floor .split_us.tls), verify $(jr copy_floor .split_us.verify), durable append $(jr copy_floor .split_us.durable_append), release $(jr copy_floor .split_us.release)); one verification in-process $(jr copy_floor .verify_us) us"
}

# 1b. the same on one core: parleyd restarted on the last CPU only (so it
# starts no signature workers: it checks on its loop, as on a one-CPU
# machine), the load generator on CPU 0: the daemon's whole work per copy
# against the verify rate of one core.  The run above let both share both.
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
	ONE=$((NCPU - 1))
	create_agreements "$AGREEMENTS" "$SPARTIES" "$W/ag.one"
	stop_parleyd
	PARLEYD_PIN="taskset -c $ONE" start_parleyd "$STATE"
	log "parley: signing $AGREEMENTS agreements again, parleyd on CPU $ONE only, the load generator on CPU 0"
	cpu_begin
	LG_PIN="taskset -c 0" lg sign_one sign --endpoints "$W/eps.sign" --agreements "$W/ag.one" \
		--inflight "$K" --seconds "$SECS" --grace "$SECS" --server-pid "$PARLEYD_PID"
	cpu_end sign_one
	log "  $(jr sign_one .released_copies_per_s) copies/s of released agreements on one core"
	stop_parleyd
	copy_floor_run
	start_parleyd "$STATE"
else
	log "one CPU: the acceptance run above is the one-core figure"
	stop_parleyd
	copy_floor_run
	start_parleyd "$STATE"
fi

# 3. durable deliveries acked per second: the backlog those agreements left.
# Every endpoint of a party has the same deliveries pending, so the party's
# first endpoints drain theirs acking one delivery per Ack, and its second
# endpoints theirs with one Ack naming what each read brought in (at most
# 256), as a client reading many at once does; the ratio uses the latter.
PENDING=$(CTL --json status | jq -r .deliveries_pending)
grep -- '-1/client.conf$' "$W/eps.sign" >"$W/eps.drain1" || true
grep -- '-2/client.conf$' "$W/eps.sign" >"$W/eps.drain2" || true
DRAIN_CONNS=$(wc -l <"$W/eps.drain2")
if [ "$M" -ge 2 ]; then
	log "parley: draining the backlog ($PENDING deliveries pending in all) of each party's first endpoint, one delivery per Ack"
	lg drain_single drain --endpoints "$W/eps.drain1" --seconds "$SECS" --ack-batch 1
	log "  $(jr drain_single .acks_per_s) acks/s ($(jr drain_single .acks_ok) acked, avg $(jr drain_single .avg_delivery_bytes) bytes)"
	log "parley: draining the same backlog of each party's second endpoint, one Ack per read"
	lg drain drain --endpoints "$W/eps.drain2" --seconds "$SECS"
else
	DRAIN_CONNS=$(wc -l <"$W/eps.sign")
	log "parley: draining the backlog ($PENDING deliveries pending in all), one Ack per read (one endpoint per party: no run with one delivery per Ack)"
	lg drain drain --endpoints "$W/eps.sign" --seconds "$SECS"
fi
log "  $(jr drain .acks_per_s) acks/s ($(jr drain .acks_ok) acked, avg $(jr drain .avg_delivery_bytes) bytes)"

# 2. release latency, between two runs of the commit baseline: fsync times
# on a shared (virtual) disk drift, so the baseline is taken right around it
commit_baseline() {
	log "baseline: single-row synchronous=FULL SQLite commits in $W (same disk as the store)"
	lg "$1" commit --dir "$W" --seconds 3
	log "  commit p50 $(jr "$1" .p50_ms) ms, p99 $(jr "$1" .p99_ms) ms"
}
commit_baseline commit_before
# The latency floor's round trip: as the load generator's connections see
# one over loopback (two threads, one TCP connection, libevent both ends).
log "baseline: loopback round trip (loadgen rtt, 64 bytes each way)"
lg rtt rtt --samples 20000 --payload 64 --seconds 5
log "  p50 $(jr rtt .p50_ms) ms, p99 $(jr rtt .p99_ms) ms, mean $(jr rtt .mean_ms) ms"
log "parley: release latency, $SAMPLES agreements one at a time, $((N * M)) endpoints fetching"
JOURNAL_AT_LAT=$(sqlite3 "$STATE/parley.db" "SELECT count(*) FROM journal" 2>/dev/null)
lg latency latency --endpoints "$W/eps.lat" --agreements "$W/ag.lat" --samples "$SAMPLES" \
	--seconds "$((SECS * 4))" --grace "$SECS"
log "  p50 $(jr latency .p50_ms) ms, p99 $(jr latency .p99_ms) ms, max $(jr latency .max_ms) ms"
# The same steps on a minimal server (copy-floor --latency): parleyd's
# dependencies and durability, its ack wait and its checkpoint thread, and
# nothing else (no index, no Merkle tree, no checkpoint signature, no
# protobuf); the measured floor under the latency.  Right after parleyd's
# run, as the disk drifts; parleyd stays up, idle.
if [ -x "$BIN/copy-floor" ]; then
	log "baseline: a minimal server's release latency (copy-floor --latency, $SAMPLES agreements one at a time, $((N * M)) endpoints)"
	floor_json latency_floor --latency "$SAMPLES" --parties "$N" --endpoints "$M" \
	    --bundle-bytes "${FLOOR_BUNDLE:-5300}" &&
		log "  p50 $(jr latency_floor .p50_ms) ms, p99 $(jr latency_floor .p99_ms) ms, max $(jr latency_floor .max_ms) ms"
fi
commit_baseline commit_after
jq -n --arg s "${JOURNAL_AT_SIGN:-}" --arg l "${JOURNAL_AT_LAT:-}" \
	'{entries_at_accept_run: ($s|tonumber? // null), entries_at_latency_run: ($l|tonumber? // null)}' \
	>"$R/journal.json"
jq -n --slurpfile a "$R/commit_before.json" --slurpfile b "$R/commit_after.json" \
	'def m($k): if ($a[0][$k] == null or $b[0][$k] == null) then null else ($a[0][$k] + $b[0][$k]) / 2 end;
	 {p50_ms: m("p50_ms"), p99_ms: m("p99_ms"), max_ms: m("max_ms"), commits_per_s: m("commits_per_s"),
	  how: "mean of the runs just before and just after the latency run",
	  before: $a[0], after: $b[0]}' >"$R/commit.json"

# 5. handshakes per server CPU-second, parleyd then openssl s_server
log "parley: mutual-TLS handshakes (to Welcome) for ${HS_SECS}s"
lg handshake handshake --endpoints "$W/eps.idle" --server-pid "$PARLEYD_PID" --concurrency 8 --seconds "$HS_SECS"
log "  $(jr handshake .per_server_cpu_s) handshakes per server CPU-second"

s_time_run() {	# NAME PORT SERVER_PID: openssl s_time against it
	local c0 c1 t0 t1
	c0=$(cpu_ticks "$3"); t0=$(date +%s.%N)
	bounded openssl s_time -connect "127.0.0.1:$2" -new -time "$HS_SECS" \
		-cert "$W/ep/idle-1/endpoint.crt" -key "$W/ep/idle-1/endpoint.key" >"$W/$1.out" 2>&1
	t1=$(date +%s.%N); c1=$(cpu_ticks "$3")
	local n; n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' "$W/$1.out" | tail -n 1)
	jq -n --arg n "${n:-0}" --arg cpu "$(( c1 - c0 ))" --arg tck "$TCK" --arg t0 "$t0" --arg t1 "$t1" \
		'($n|tonumber) as $n | (($cpu|tonumber) / ($tck|tonumber)) as $c |
		 {connections: $n, server_cpu_s: $c, elapsed_s: (($t1|tonumber) - ($t0|tonumber)),
		  per_server_cpu_s: (if $c > 0 then $n / $c else 0 end),
		  command: "openssl s_time -new (client certificate, TLS 1.3)"}' >"$R/$1.json"
}
log "baseline: openssl s_time against parleyd (TLS only, no Hello)"
s_time_run s_time_parleyd "$PORT" "$PARLEYD_PID"
log "  $(jr s_time_parleyd .per_server_cpu_s) handshakes per parleyd CPU-second"

SPORT=$(pick_port)
openssl s_server -accept "127.0.0.1:$SPORT" -cert "$STATE/server.crt" -key "$STATE/server.key" \
	-Verify 1 -no_ticket -tls1_3 -www -quiet >"$W/s_server.log" 2>&1 </dev/null &
SSERVER_PID=$!
if wait_port "$SPORT" "$SSERVER_PID"; then
	log "baseline: openssl s_server -Verify 1 -no_ticket (Ed25519 certificates) + s_time"
	s_time_run s_server "$SPORT" "$SSERVER_PID"
	log "  $(jr s_server .per_server_cpu_s) handshakes per s_server CPU-second"
else
	jq -n '{error: "openssl s_server did not start"}' >"$R/s_server.json"
fi
stop_pid "$SSERVER_PID"; SSERVER_PID=

# 4. RSS per idle endpoint connection, on a freshly started parleyd
log "parley: RSS per idle connection at $IDLE_COUNTS (fresh parleyd, $IDLE_EPS certificates)"
stop_parleyd
start_parleyd "$STATE"
lg idle idle --endpoints "$W/eps.idle" --server-pid "$PARLEYD_PID" --counts "$IDLE_COUNTS" \
	--concurrency 64 --settle-ms 1000
log "  $(jr idle '[.points[] | "\(.connections): \(.bytes_per_conn) B"] | join(", ")')"
# and what OpenSSL itself holds of it: parleyd's TLS context in a counting
# process (bench/tls_mem.c), no network
if [ -x "$BIN/tls-mem" ]; then
	if bounded "$BIN/tls-mem" "$STATE" "$W/ep/idle-1/endpoint.crt" "$W/ep/idle-1/endpoint.key" \
	    >"$R/tls_mem.json" 2>>"$W/tls-mem.log" && jq -e . "$R/tls_mem.json" >/dev/null 2>&1; then
		log "  of it OpenSSL's, counted: $(jr tls_mem .bytes_per_conn) B in $(jr tls_mem .allocs_per_conn) allocations"
		log "  the floor, in a bufferevent_openssl, as malloc holds it: $(jr tls_mem .floor_bytes_per_conn) B ($(jr tls_mem .floor_ratio) x OpenSSL's)"
	else
		log "tls-mem failed: $(tail -n 1 "$W/tls-mem.log")"
		rm -f "$R/tls_mem.json"
	fi
fi

# 6. the big store: a copy of the store grown, through parleyd itself, by
# FILL_AG agreements between two parties (f1, f2: one endpoint each),
# created and circulated over the admin socket, signed by both and so
# released, their deliveries fetched and acked; then its journal grown to
# BIG_ROWS entries by bench/journal_fill.c (the daemon's own journal code),
# with party c1 connecting once (as parley does: it verifies the record and
# countersigns) when BEHIND entries remain to be written.  On it: start-up
# after kill -9 to the first accepted copy, c1's connect with a consistency
# proof from its checkpoint BEHIND entries old, release latency, acceptance;
# then `parleyctl journal verify`.  The same start-up and connect on a
# fresh store with the same keys (7).  A daemon without a journal gets
# BIG_ROWS acked delivery rows instead (with sqlite3), reported as a proxy,
# and the journal, start-up and connect figures as "n/a (no journal yet)".
BIGN=$AGREEMENTS
JOURNAL=0
journal_entries() { sqlite3 "$1/parley.db" "SELECT count(*) FROM journal" 2>/dev/null; }
[ -n "$(journal_entries "$STATE")" ] && [ -x "$BIN/journal-fill" ] && JOURNAL=1
if [ "$JOURNAL" = 1 ]; then
	log "parley: a copy of the store grown by $FILL_AG released agreements and to $BIG_ROWS journal entries"
else
	log "parley: acceptance again on a copy of the store with $BIG_ROWS delivery rows added (no journal)"
fi
create_agreements "$BIGN" "$SPARTIES" "$W/ag.big"
create_agreements 3 "$LPARTIES" "$W/ag.biglat"
# The start-up rounds' copies: k1's of agreements between k1 and k2 (k2
# never signs, so nothing is released), signed now while parleyd runs.
if [ "$JOURNAL" = 1 ] && create_agreements "$ROUNDS" k1,k2 "$W/ag.start"; then
	lg presign_big presign --endpoints "$W/eps.k" --agreements "$W/ag.start" --out "$W/frames.big"
fi
stop_parleyd
cp -a "$STATE" "$W/state-big"
T0=$(date +%s)
FILLED=
if [ "$JOURNAL" = 1 ]; then
	# the released agreements, through parleyd
	start_parleyd "$W/state-big"
	t_a=$(now)
	lg fill_create create --admin "$W/admin.sock" --parties f1,f2 --text "$W/text.txt" \
		--count "$FILL_AG" --out "$W/ag.fill" --window 1024 --title "bench fill"
	log "  $(jr fill_create .circulated) agreements created and circulated in $(jr fill_create .elapsed_s) s"
	t_b=$(now)
	if [ -s "$W/ag.fill" ]; then
		lg fill_sign sign --endpoints "$W/eps.fill" --agreements "$W/ag.fill" --inflight 256 \
			--seconds "$(( $(left) > 60 ? $(left) - 40 : 20 ))" --grace 20
		log "  $(jr fill_sign .releases) of them released ($(jr fill_sign .accepted) copies accepted) in $(jr fill_sign .elapsed_s) s"
	fi
	t_c=$(now)
	lg fill_drain drain --endpoints "$W/eps.fill" --seconds 60
	log "  their $(jr fill_drain .acks_ok) deliveries fetched and acked in $(jr fill_drain .elapsed_s) s"
	t_d=$(now)
	stop_parleyd
	# the journal: to BEHIND entries short of BIG_ROWS, c1 connects once,
	# then the rest
	JBEFORE=$(journal_entries "$W/state-big")
	t_e=$(now)
	if bounded "$BIN/journal-fill" "$W/state-big" "$(( BIG_ROWS > BEHIND ? BIG_ROWS - BEHIND : 0 ))" \
	    >"$W/fill1.out" 2>&1; then
		start_parleyd "$W/state-big"
		rm -f "$W/ep/c1-1/checkpoint"
		"$BIN/parley" -c "$W/ep/c1-1/client.conf" inbox >"$W/c1.out" 2>&1 ||
			log "  c1 could not connect: $(tail -n 1 "$W/c1.out")"
		stop_parleyd
		if bounded "$BIN/journal-fill" "$W/state-big" "$BIG_ROWS" >"$W/fill.out" 2>&1; then
			FILLED=$(journal_entries "$W/state-big")
		fi
	fi
	t_f=$(now)
	log "  journal grown in $(awk -v a="$t_e" -v b="$t_f" 'BEGIN { printf "%.1f", b - a }')s: $JBEFORE -> ${FILLED:-?} entries; store $(db_bytes "$W/state-big") bytes; c1 holds the checkpoint of $(sed -n 2p "$W/ep/c1-1/checkpoint" 2>/dev/null) entries"
	jq -n --arg a "$t_a" --arg b "$t_b" --arg c "$t_c" --arg d "$t_d" --arg e "$t_e" --arg f "$t_f" \
		--arg ag "$FILL_AG" --arg j0 "${JBEFORE:-0}" --arg j1 "${FILLED:-0}" --arg behind "$BEHIND" \
		--slurpfile cr "$R/fill_create.json" --slurpfile si "$R/fill_sign.json" \
		--slurpfile dr "$R/fill_drain.json" \
		'def d($x; $y): (($y|tonumber) - ($x|tonumber)) * 1000 | round / 1000;
		 {agreements: ($ag|tonumber), circulated: $cr[0].circulated, released: $si[0].releases,
		  deliveries_acked: $dr[0].acks_ok, journal_entries_after_agreements: ($j0|tonumber),
		  journal_entries: ($j1|tonumber), connect_behind: ($behind|tonumber),
		  create_circulate_s: d($a; $b), sign_s: d($b; $c), drain_s: d($c; $d),
		  journal_fill_s: d($e; $f), total_s: d($a; $f),
		  how: "agreements created and circulated by loadgen create over the admin socket, signed by both parties with loadgen sign (released), their deliveries fetched and acked with loadgen drain, all through parleyd; then journal-fill to BIG_ROWS - BEHIND, party c1 connecting once with parley (it keeps and countersigns that checkpoint), journal-fill to BIG_ROWS"}' \
		>"$R/big_fill.json" 2>/dev/null
elif bounded sqlite3 "$W/state-big/parley.db" >"$W/fill.out" 2>&1 <<EOF
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $BIG_ROWS)
INSERT INTO payload(body) VALUES(zeroblob(64));
INSERT INTO message(kind, party_id, agreement_id, summary, payload_id, created_at)
  SELECT 'notice', (SELECT id FROM party WHERE code = 'idle'), NULL, 'bench filler',
         (SELECT max(id) FROM payload), CAST(strftime('%s', 'now') AS INTEGER) FROM n;
INSERT INTO delivery(message_id, endpoint_id, acked_at)
  SELECT m.id, (SELECT min(e.id) FROM endpoint e JOIN party p ON p.id = e.party_id
                WHERE p.code = 'idle'), m.created_at
  FROM message m WHERE m.summary = 'bench filler';
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
then
	FILLED=$(sqlite3 "$W/state-big/parley.db" "SELECT count(*) FROM delivery d
		JOIN message m ON m.id = d.message_id WHERE m.summary = 'bench filler'")
	log "  filled in $(( $(date +%s) - T0 ))s: $FILLED delivery rows, $(db_bytes "$W/state-big") bytes"
fi

# Start-up after a crash: parleyd started and killed with SIGKILL (its WAL
# not checkpointed), then ROUNDS times: loadgen first-copy polls the port
# (every 2 ms), parleyd is exec'd (the wall-clock time just before the exec
# is the start), and the time is taken when the round's prepared copy is
# answered Ok; then SIGKILL again.  NAME.json: every round, and the median.
startup_rounds() {	# NAME STATE_DIR FRAMES
	local name=$1 dir=$2 frames=$3 i lgp
	[ -s "$frames" ] || return 0
	start_parleyd "$dir"
	kill -9 "$PARLEYD_PID"; wait "$PARLEYD_PID" 2>/dev/null; PARLEYD_PID=
	for i in $(seq 0 $((ROUNDS - 1))); do
		[ "$(left)" -gt 40 ] || break
		rm -f "$W/t0"
		bounded "$BIN/loadgen" first-copy --endpoints "$W/eps.k" --frames "$frames" --index "$i" \
			--since "$W/t0" --seconds 30 --max-seconds 35 >"$R/${name}_$i.json" 2>>"$W/loadgen.log" &
		lgp=$!
		# the wall-clock time in the subshell, just before it becomes parleyd
		( echo "$EPOCHREALTIME" >"$W/t0"; exec "$BIN/parleyd" -c "$W/parleyd.conf" ) \
			>>"$W/parleyd.log" 2>&1 &
		PARLEYD_PID=$!
		wait "$lgp"
		kill -9 "$PARLEYD_PID"; wait "$PARLEYD_PID" 2>/dev/null; PARLEYD_PID=
	done
	jq -s --arg db "$(db_bytes "$dir")" --arg je "$(journal_entries "$dir")" \
		--arg ag "$(sqlite3 "$dir/parley.db" "SELECT count(*) FROM agreement WHERE released_at IS NOT NULL" 2>/dev/null)" \
		'def med: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
		 map(select(.accepted == 1)) as $ok |
		 {rounds: length, ok_rounds: ($ok | length),
		  median_ms: ($ok | map(.ok_ms) | med), max_ms: ($ok | map(.ok_ms) | max),
		  listening_median_ms: ($ok | map(.listening_ms) | med),
		  welcome_median_ms: ($ok | map(.welcome_ms) | med),
		  ok_ms: map(.ok_ms), store_bytes: ($db|tonumber? // null),
		  journal_entries: ($je|tonumber? // null), released_agreements: ($ag|tonumber? // null),
		  errors: (map(select(.accepted != 1) | .error // "no answer")),
		  how: "exec of parleyd (after kill -9 of the last one) -> the first signed copy answered Ok (loadgen first-copy polling every 2 ms); median of the rounds"}' \
		"$R/${name}"_[0-9]*.json >"$R/$name.json" 2>/dev/null
	log "  start-up to the first accepted copy: median $(jr "$name" .median_ms) ms (rounds: $(jr "$name" '.ok_ms | map(tostring) | join(", ")') ms)"
}

# A party's connect: c1 holds a checkpoint; loadgen connect, one at a time.
connect_run() {	# NAME
	lg "$1" connect --endpoints "$W/eps.c" --samples "$CONNECT_SAMPLES" --server-pid "$PARLEYD_PID" \
		--seconds "$CONNECT_SECS"
	log "  c1's connect (proof from $(jr "$1" .known_size) to $(jr "$1" .tree_size) entries, countersigned): p50 $(jr "$1" .p50_ms) ms, p99 $(jr "$1" .p99_ms) ms over $(jr "$1" .samples) samples; parleyd CPU $(jr "$1" .server_cpu_ms_per_connect) ms each"
}

if [ -n "$FILLED" ]; then
	if [ "$JOURNAL" = 1 ]; then
		log "parley: start-up after kill -9 to the first accepted copy, $ROUNDS rounds (big store)"
		startup_rounds startup_big "$W/state-big" "$W/frames.big"
	fi
	start_parleyd "$W/state-big"
	if [ "$JOURNAL" = 1 ]; then
		log "parley: c1 connects (big store)"
		connect_run connect_big
	fi
	# Latency first: the sign run leaves the daemon busy with what it read.
	lg latency_big latency --endpoints "$W/eps.lat" --agreements "$W/ag.biglat" --samples 3 \
		--seconds "$((SECS * 2))" --grace "$((SECS * 3))"
	log "  release latency: $(jr latency_big .samples) samples, releasing copy answered after $(jr latency_big .last_copy_ok_p50_ms) ms (p50)"
	lg sign_big sign --endpoints "$W/eps.sign" --agreements "$W/ag.big" --inflight "$K" \
		--seconds "$SECS" --grace "$((SECS * 2))"
	log "  $(jr sign_big .released_copies_per_s) copies/s of released agreements ($(jr sign_big .accepted) accepted, $(jr sign_big .releases) released)"
	JVERIFY='{}'
	if [ "$JOURNAL" = 1 ]; then
		t_a=$(now)
		JVERIFY=$(CTL --json journal verify 2>&1)
		t_b=$(now)
		if [ "$(printf '%s' "$JVERIFY" | jq -r '.ok // false' 2>/dev/null)" = true ]; then
			log "  parleyctl journal verify: $(printf '%s' "$JVERIFY" | jq -r .entries) entries, $(printf '%s' "$JVERIFY" | jq -r .checkpoints) checkpoints: ok ($(awk -v a="$t_a" -v b="$t_b" 'BEGIN { printf "%.1f", b - a }') s)"
		else
			log "  parleyctl journal verify REFUSES the big store: $JVERIFY"
		fi
		JVERIFY=$(printf '%s' "$JVERIFY" | jq -c --arg s "$(awk -v a="$t_a" -v b="$t_b" 'BEGIN { printf "%.3f", b - a }')" \
			'{ok: (.ok // false), entries, checkpoints, error, seconds: ($s|tonumber)}' 2>/dev/null ||
			jq -n --arg e "$JVERIFY" '{ok: false, error: $e}')
	fi
	stop_parleyd
	jq -n --arg method "$( [ "$JOURNAL" = 1 ] && echo journal || echo delivery-rows)" \
		--arg rows "$FILLED" --arg b0 "${SIGN_DB:-0}" --arg b1 "$(db_bytes "$W/state-big")" \
		--arg j0 "${JOURNAL_AT_SIGN:-}" --arg fill "$(tail -n 1 "$W/fill.out" 2>/dev/null)" \
		--argjson verify "$JVERIFY" \
		'{method: $method, store_bytes_before: ($b0|tonumber), store_bytes_big: ($b1|tonumber)} +
		 (if $method == "journal" then {journal_entries: ($rows|tonumber),
		    journal_entries_empty_run: ($j0|tonumber? // null), fill: ($fill|fromjson? // $fill),
		    journal_verify: $verify}
		  else {delivery_rows: ($rows|tonumber), journal: "n/a (no journal yet)"} end)' >"$R/big.json"
else
	log "  could not fill the store: $(tail -n 2 "$W/fill.out")"
	jq -n --arg e "$(tail -n 2 "$W/fill.out")" '{error: $e}' >"$R/sign_big.json"
	stop_parleyd
fi

# 7. start-up and connect on an empty store: the same keys, only k1, k2 and
# c1 registered, c1 connecting once, then ROUNDS agreements of k1 and k2.
if [ "$JOURNAL" = 1 ] && [ "$(left)" -gt 60 ]; then
	log "parley: the same on an empty store (k1, k2, c1 and $ROUNDS agreements)"
	mkdir -p "$W/state-empty"
	chmod 700 "$W/state-empty"
	for f in mediator.key mediator.pub server.key server.crt; do cp -p "$STATE/$f" "$W/state-empty/$f"; done
	start_parleyd "$W/state-empty"
	for p in k1 k2 c1; do
		if ! { CTL party add "$p" --name "bench party $p" >/dev/null &&
		    CTL endpoint add "$p" --cert "$W/ep/$p-1/endpoint.crt" >/dev/null &&
		    CTL signer add "$p" --key "$W/ep/$p-1/signer.pub" >/dev/null; }; then
			log "  cannot register $p on the empty store"
		fi
	done
	rm -f "$W/ep/c1-1/checkpoint"
	"$BIN/parley" -c "$W/ep/c1-1/client.conf" inbox >"$W/c1.out" 2>&1 ||
		log "  c1 could not connect: $(tail -n 1 "$W/c1.out")"
	if create_agreements "$ROUNDS" k1,k2 "$W/ag.start0"; then
		lg presign_empty presign --endpoints "$W/eps.k" --agreements "$W/ag.start0" --out "$W/frames.empty"
	fi
	connect_run connect_empty
	stop_parleyd
	startup_rounds startup_empty "$W/state-empty" "$W/frames.empty"
fi

# ---- mosquitto ----
if [ "$MOSQ" = 1 ] && ! command -v mosquitto >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		log "installing Debian's mosquitto"
		export DEBIAN_FRONTEND=noninteractive
		bounded apt-get install -y -qq mosquitto mosquitto-clients >"$W/apt.log" 2>&1 ||
			{ bounded apt-get update -qq >>"$W/apt.log" 2>&1 &&
			  bounded apt-get install -y -qq mosquitto mosquitto-clients >>"$W/apt.log" 2>&1; }
	fi
	command -v mosquitto >/dev/null || log "mosquitto is not installed: no mosquitto baselines"
fi
MQPORT=
start_mosquitto() {
	MQPORT=$(pick_port)
	mkdir -p "$W/mosq"
	cat >"$W/mosq/mosquitto.conf" <<EOF
# generated by bench/run.sh: loopback, mutual TLS 1.3, no persistence
per_listener_settings false
allow_anonymous true
persistence false
max_queued_messages 0
set_tcp_nodelay true
log_dest stderr
log_type error
$( [ "$(id -u)" = 0 ] && echo "user root" )
listener $MQPORT 127.0.0.1
cafile $W/ep/s1-1/endpoint.crt
certfile $STATE/server.crt
keyfile $STATE/server.key
require_certificate true
tls_version tlsv1.3
EOF
	mosquitto -c "$W/mosq/mosquitto.conf" >>"$W/mosq/mosquitto.log" 2>&1 &
	MOSQ_PID=$!
	wait_port "$MQPORT" "$MOSQ_PID" || { log "mosquitto did not start: $(tail -n 3 "$W/mosq/mosquitto.log")"; return 1; }
}
if [ "$MOSQ" = 1 ] && command -v mosquitto >/dev/null; then
	MQVER=$(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -n 1)
	if start_mosquitto; then
		MQARGS=(--mqtt "127.0.0.1:$MQPORT" --cert "$W/ep/s1-1/endpoint.crt" --key "$W/ep/s1-1/endpoint.key")
		log "mosquitto $MQVER: RSS per idle mutual-TLS connection at $IDLE_COUNTS (fresh broker)"
		lg mq_idle mqtt-idle "${MQARGS[@]}" --server-pid "$MOSQ_PID" --counts "$IDLE_COUNTS" \
			--concurrency 64 --settle-ms 1000
		log "  $(jr mq_idle '[.points[] | "\(.connections): \(.bytes_per_conn) B"] | join(", ")')"
		PAYLOAD=$(jr drain '.avg_delivery_bytes // 512 | floor')
		[ "$PAYLOAD" -gt 0 ] 2>/dev/null || PAYLOAD=512
		log "mosquitto: QoS 1, $MQ_MSGS messages of $PAYLOAD bytes queued for $DRAIN_CONNS offline subscribers (as many as parleyd's drain has), then drained"
		lg mq_drain mqtt-rate "${MQARGS[@]}" --subs "$DRAIN_CONNS" --messages "$MQ_MSGS" --payload "$PAYLOAD" --window 100
		log "  $(jr mq_drain .msgs_per_s) msgs/s"
		log "mosquitto: QoS 1, $MQ_MSGS messages live from one publisher to $((N * M)) subscribers"
		lg mq_live mqtt-rate "${MQARGS[@]}" --subs "$((N * M))" --messages "$MQ_MSGS" --payload "$PAYLOAD" --window 100 --live
		log "  $(jr mq_live .msgs_per_s) msgs/s"
	fi
	stop_pid "$MOSQ_PID"; MOSQ_PID=
	jq -n --arg v "${MQVER:-}" '{version: $v, config: "persistence false, max_queued_messages 0, set_tcp_nodelay true, require_certificate true, tls_version tlsv1.3"}' >"$R/mosquitto.json"
fi

# ---- the record in PostgreSQL: acceptance, latency, takeovers (as root) ----
# shellcheck source=bench/pg.sh
. "$(dirname "$0")/pg.sh"

# ---- the result ----
jq -n --arg load "$(loadavg)" --arg el "$(( $(date +%s) - START ))" --arg busy "$(cpu_busy)" \
	'{loadavg_end: $load, other_cpu_busy_pct_end: ($busy|tonumber), elapsed_s: ($el|tonumber)}' >"$R/env_end.json"
jq -n --arg n "$N" --arg m "$M" --arg k "$K" --arg d "$SECS" --arg a "$AGREEMENTS" --arg s "$SAMPLES" \
	--arg ic "$IDLE_COUNTS" --arg ie "$IDLE_EPS" --arg hs "$HS_SECS" --arg mq "$MQ_MSGS" --arg br "$BIG_ROWS" \
	--arg fa "$FILL_AG" --arg cb "$BEHIND" --arg cs "$CONNECT_SAMPLES" --arg ro "$ROUNDS" \
	'{parties: ($n|tonumber), endpoints_per_party: ($m|tonumber), inflight: ($k|tonumber), seconds: ($d|tonumber),
	  agreements: ($a|tonumber), latency_samples: ($s|tonumber), idle_counts: $ic, idle_endpoints: ($ie|tonumber),
	  handshake_seconds: ($hs|tonumber), mqtt_messages: ($mq|tonumber), big_rows: ($br|tonumber),
	  big_agreements: ($fa|tonumber), connect_behind: ($cb|tonumber),
	  connect_samples: ($cs|tonumber), startup_rounds: ($ro|tonumber)}' >"$R/config.json"
for f in ed25519 commit sign_cal sign sign_one copy_floor latency_floor drain_single drain latency tls_mem handshake s_time_parleyd s_server idle sign_big latency_big big journal mq_idle mq_drain mq_live mosquitto pg_sign pg_latency pg_takeover sign_cpu sign_one_cpu \
    rtt big_fill startup_big startup_empty connect_big connect_empty; do
	[ -s "$R/$f.json" ] || echo '{"error": "not measured"}' >"$R/$f.json"
done

jq -n -f "$(dirname "$0")/report.jq" \
	--slurpfile env "$R/env.json" --slurpfile env_end "$R/env_end.json" --slurpfile config "$R/config.json" \
	--slurpfile ed "$R/ed25519.json" --slurpfile commit "$R/commit.json" \
	--slurpfile sign "$R/sign.json" --slurpfile drain "$R/drain.json" \
	--slurpfile drain_single "$R/drain_single.json" --slurpfile tls_mem "$R/tls_mem.json" \
	--slurpfile latency "$R/latency.json" \
	--slurpfile hs "$R/handshake.json" --slurpfile stp "$R/s_time_parleyd.json" --slurpfile ss "$R/s_server.json" \
	--slurpfile idle "$R/idle.json" --slurpfile sign_big "$R/sign_big.json" --slurpfile big "$R/big.json" \
	--slurpfile latency_big "$R/latency_big.json" --slurpfile journal "$R/journal.json" \
	--slurpfile sign_cal "$R/sign_cal.json" --slurpfile sign_one "$R/sign_one.json" \
	--slurpfile copy_floor "$R/copy_floor.json" --slurpfile latency_floor "$R/latency_floor.json" \
	--slurpfile mq_idle "$R/mq_idle.json" --slurpfile mq_drain "$R/mq_drain.json" \
	--slurpfile mq_live "$R/mq_live.json" --slurpfile mosq "$R/mosquitto.json" \
	--slurpfile pg_sign "$R/pg_sign.json" --slurpfile pg_latency "$R/pg_latency.json" \
	--slurpfile pg_takeover "$R/pg_takeover.json" \
	--slurpfile sign_cpu "$R/sign_cpu.json" --slurpfile sign_one_cpu "$R/sign_one_cpu.json" \
	--slurpfile rtt "$R/rtt.json" --slurpfile big_fill "$R/big_fill.json" \
	--slurpfile startup_big "$R/startup_big.json" --slurpfile startup_empty "$R/startup_empty.json" \
	--slurpfile connect_big "$R/connect_big.json" --slurpfile connect_empty "$R/connect_empty.json" \
	>"$W/result.json" ||
	{ log "cannot compose the result"; exit 1; }

# The table: figures, then ratios against the issue's targets.
echo
jq -r '.env | "parley benchmark: \(.cpus) CPUs (\(.cpu)); other work kept \(.other_cpu_busy_pct_start)% of the CPUs busy at the start, \(.other_cpu_busy_pct_end)% at the end; \(.elapsed_s) s"' "$W/result.json"
echo
jq -r '.figures[] | [.name, .value, .unit] | @tsv' "$W/result.json" |
	awk -F'\t' 'BEGIN { printf "%-78s %14s  %s\n", "figure", "value", "unit"; printf "%-78s %14s  %s\n", "------", "-----", "----" }
		{ printf "%-78s %14s  %s\n", $1, $2, $3 }'
echo
jq -r '.ratios[] | [.name, .value, .target, .verdict] | @tsv' "$W/result.json" |
	awk -F'\t' 'BEGIN { printf "%-100s %10s  %-14s %s\n", "ratio", "value", "target", "verdict"; printf "%-100s %10s  %-14s %s\n", "-----", "-----", "------", "-------" }
		{ printf "%-100s %10s  %-14s %s\n", $1, $2, $3, $4 }'
echo
finish
