#!/bin/bash
# make bench-flood: a pinned party and the mediator's admin socket, measured
# without a flood and then while build/flood replays a ClientHello at full
# speed, from one source address and from several (issue 18).  Loopback
# only, bounded by --time-limit; whatever it starts (parleyd, the flood,
# its samplers) it stops again by process id, whatever happens.  Prints a
# table and the same as JSON (also written to --out FILE).  See
# bench/README.md, "Under flood".
set -u
export LC_ALL=C

usage() {
	cat <<'EOF'
usage: bench/flood.sh [options]

  --bin DIR            build directory with parleyd, parleyctl, parley, loadgen,
                       flood (build)
  --out FILE           also write the JSON result to FILE
  --time-limit S       bound on the whole run in seconds (300)
  --samples N          pinned connect-and-sign samples per phase (200)
  --interval-ms MS     a pinned sample starts MS after the last one started (60:
                       below the default [limits] handshake_rate of 20/s, which
                       counts the pinned party's address too)
  --admin-interval-ms MS  an admin socket sample every MS (100)
  --phase-seconds S    no pinned sample starts after S s of a phase (60)
  --conns C            flood connections (8)
  --sources LIST       the flooded phases' --sources, comma-separated (1,16)
  --mode M             the flood's mode: hello, handshake or idle (hello)
  --keep               keep the work directory
EOF
}

BIN=build OUT= LIMIT=300 SAMPLES=200 INTERVAL=60 ADMIN_INTERVAL=100 PHASE=60 CONNS=8
SOURCES=1,16 MODE=hello KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--bin) BIN=$2; shift ;;
	--out) OUT=$2; shift ;;
	--time-limit) LIMIT=$2; shift ;;
	--samples) SAMPLES=$2; shift ;;
	--interval-ms) INTERVAL=$2; shift ;;
	--admin-interval-ms) ADMIN_INTERVAL=$2; shift ;;
	--phase-seconds) PHASE=$2; shift ;;
	--conns) CONNS=$2; shift ;;
	--sources) SOURCES=$2; shift ;;
	--mode) MODE=$2; shift ;;
	--keep) KEEP=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench-flood: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
for v in "$LIMIT" "$SAMPLES" "$INTERVAL" "$ADMIN_INTERVAL" "$PHASE" "$CONNS" ${SOURCES//,/ }; do
	case $v in ''|*[!0-9]*) echo "bench-flood: numbers only: $v" >&2; exit 2 ;; esac
done
case $MODE in hello|handshake|idle) ;; *) echo "bench-flood: --mode is hello, handshake or idle" >&2; exit 2 ;; esac
[ "$SAMPLES" -ge 1 ] && [ "$PHASE" -ge 1 ] || { echo "bench-flood: --samples and --phase-seconds must be positive" >&2; exit 2; }
BIN=$(cd "$BIN" 2>/dev/null && pwd) || { echo "bench-flood: no build directory" >&2; exit 2; }
for b in parleyd parley parleyctl loadgen flood; do
	[ -x "$BIN/$b" ] || { echo "bench-flood: $BIN/$b is missing (make bench-flood builds it)" >&2; exit 2; }
done
for t in jq timeout; do
	command -v $t >/dev/null || { echo "bench-flood: $t is needed" >&2; exit 2; }
done

START=$(date +%s)
DEADLINE=$((START + LIMIT))
W=$(mktemp -d /tmp/parley-flood.XXXXXX)
R=$W/results
mkdir -p "$R"
PARLEYD_PID= FLOOD_PID= WATCH_PID= LG_PID=

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

cleanup() {
	stop_pid "$LG_PID"
	stop_pid "$WATCH_PID"
	stop_pid "$FLOOD_PID"
	stop_pid "$PARLEYD_PID"
	if [ "$KEEP" = 1 ]; then log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- parleyd: the defaults, except where it listens and keeps its state
PORT=$(pick_port)
CTL() { "$BIN/parleyctl" -s "$W/admin.sock" "$@"; }
start_parleyd() {
	cat >"$W/parleyd.conf" <<EOF
[server]
listen = 127.0.0.1:$PORT
state_dir = $W/state
admin_socket = $W/admin.sock
status_socket = $W/status.sock
[testing]
virtual_clock = no
EOF
	"$BIN/parleyd" -n -c "$W/parleyd.conf" >"$W/conf-check.out" 2>&1 ||
		{ log "parleyd refuses the configuration: $(cat "$W/conf-check.out")"; exit 1; }
	"$BIN/parleyd" -c "$W/parleyd.conf" >>"$W/parleyd.log" 2>&1 &
	PARLEYD_PID=$!
	for _ in $(seq 200); do
		CTL status >/dev/null 2>&1 && return 0
		kill -0 "$PARLEYD_PID" 2>/dev/null || break
		sleep 0.05
	done
	stop_pid "$PARLEYD_PID"
	PARLEYD_PID=
	return 1
}
for _ in 1 2 3 4 5; do	# a port another program took meanwhile: try another
	start_parleyd && break
	PORT=$(pick_port)
done
[ -n "$PARLEYD_PID" ] || { log "parleyd did not start: $(tail -n 3 "$W/parleyd.log")"; exit 1; }
PIN=$(CTL --json init | jq -r .server_pin)
[ ${#PIN} = 64 ] || { log "no server pin from parleyctl init"; exit 1; }
log "parleyd pid $PARLEYD_PID on 127.0.0.1:$PORT, work directory $W, time limit ${LIMIT}s"

# The pinned party "pin" signs; "other" is the second party of every
# agreement and never signs, so that no sample releases one (a release is
# another measurement: make bench).
for p in pin other; do
	CTL party add "$p" --name "flood bench $p" >/dev/null || { log "party add $p failed"; exit 1; }
	"$BIN/parley" init --dir "$W/$p" --server "127.0.0.1:$PORT" --server-pin "$PIN" \
		--mediator-key "$W/state/mediator.pub" >/dev/null || { log "parley init $p failed"; exit 1; }
	CTL endpoint add "$p" --cert "$W/$p/endpoint.crt" >/dev/null &&
		CTL signer add "$p" --key "$W/$p/signer.pub" >/dev/null || { log "enrolment of $p failed"; exit 1; }
done
echo "pin $W/pin/client.conf" >"$W/eps.pinned"
printf 'Article 1. The parties cease fire at 00:01.\nArticle 2. Observers are deployed.\n' >"$W/text.txt"

PHASES="none"
for s in ${SOURCES//,/ }; do PHASES="$PHASES s$s"; done
NPHASES=$(echo "$PHASES" | wc -w)
T0=$(date +%s)
seq $((SAMPLES * NPHASES)) | bounded xargs -P 8 -I{} "$BIN/parleyctl" -s "$W/admin.sock" --json \
	agreement create --title "flood {}" --text "$W/text.txt" --parties pin,other >"$W/ag.json" ||
	{ log "agreement create failed"; exit 1; }
jq -r '.id // empty' "$W/ag.json" >"$W/ag.all"
[ "$(wc -l <"$W/ag.all")" = $((SAMPLES * NPHASES)) ] || { log "created $(wc -l <"$W/ag.all") agreements"; exit 1; }
bounded xargs -P 8 -I{} "$BIN/parleyctl" -s "$W/admin.sock" agreement circulate {} <"$W/ag.all" >/dev/null ||
	{ log "agreement circulate failed"; exit 1; }
split -l "$SAMPLES" -d -a 2 "$W/ag.all" "$W/ag."
log "created and circulated $((SAMPLES * NPHASES)) agreements in $(( $(date +%s) - T0 ))s"

fds() { ls "/proc/$PARLEYD_PID/fd" 2>/dev/null | wc -l; }
loglines() { wc -l <"$W/parleyd.log"; }
# Counters of the status socket that concern connections, if it answers.
metrics() {
	command -v curl >/dev/null || return 0
	curl -s --max-time 5 --unix-socket "$W/status.sock" http://localhost/metrics 2>/dev/null |
		grep -E '^parley_[a-z_]*(connection|tls|unauth|handshake|source|rate)[a-z_]*(\{[^}]*\})? [0-9]+$'
}
# The counters that moved between two metrics() snapshots, as JSON.
metrics_delta() {	# BEFORE AFTER
	awk 'NR == FNR { a[$1] = $2; next } { d = $2 - ($1 in a ? a[$1] : 0); if (d != 0) print $1, d }' "$1" "$2" |
		jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {(.[0]): (.[1] | tonumber)}) | add // {}'
}

# The flood's own bound: the phase and a margin, within what is left.
fl_secs() {
	local s=$((PHASE + 40)) l; l=$(left)
	[ "$s" -le "$l" ] || s=$l
	[ "$s" -le 600 ] || s=600
	echo "$s"
}

# One phase: the pinned samples and the admin samples side by side, with a
# flood from SOURCES source addresses running meanwhile (none: no flood).
phase() {	# NAME SOURCES|"" AGREEMENTS_FILE
	local name=$1 src=$2 ag=$3 c0 c1 t0 t1 l0 l1 f0 ms
	if [ "$(left)" -le 5 ]; then
		log "time limit of ${LIMIT}s reached: phase $name skipped"
		OUT_OF_TIME=1
		return 1
	fi
	l0=$(loglines); f0=$(fds)
	metrics >"$W/metrics0-$name"
	if [ -n "$src" ]; then
		"$BIN/flood" --mode "$MODE" --port "$PORT" --conns "$CONNS" --sources "$src" \
			--seconds "$(fl_secs)" \
			>"$R/flood-$name.json" 2>>"$W/flood.log" &
		FLOOD_PID=$!
		sleep 1	# at full speed before the first sample
		kill -0 "$FLOOD_PID" 2>/dev/null || log "the flood ended at once: $(tail -n 1 "$W/flood.log")"
	fi
	# the daemon's descriptors, every 0.2 s while the phase runs
	( trap - EXIT INT TERM; while :; do fds; sleep 0.2; done ) >"$W/fds-$name" 2>/dev/null &
	WATCH_PID=$!
	c0=$(cpu_ticks "$PARLEYD_PID"); t0=$(now)
	ms=$(( $(left) - 3 )); [ "$ms" -ge 1 ] || ms=1
	# In the background and waited for: a signal to this script is
	# handled at once (bash runs a trap only after a foreground command).
	timeout -k 5 "$(left)" "$BIN/loadgen" pinned --endpoints "$W/eps.pinned" --agreements "$ag" \
		--samples "$SAMPLES" --interval-ms "$INTERVAL" --admin "$W/admin.sock" \
		--admin-interval-ms "$ADMIN_INTERVAL" --seconds "$PHASE" --sample-timeout 30 \
		--max-seconds "$ms" >"$R/pinned-$name.json" 2>>"$W/loadgen.log" &
	LG_PID=$!
	wait "$LG_PID" || log "loadgen pinned ($name) failed: $(tail -n 1 "$W/loadgen.log")"
	LG_PID=
	c1=$(cpu_ticks "$PARLEYD_PID"); t1=$(now)
	l1=$(loglines)
	metrics >"$W/metrics1-$name"
	stop_pid "$WATCH_PID"; WATCH_PID=
	if [ -n "$src" ]; then
		stop_pid "$FLOOD_PID"; FLOOD_PID=
	fi
	jq -e . "$R/pinned-$name.json" >/dev/null 2>&1 ||
		jq -n --arg e "$(tail -n 1 "$W/loadgen.log")" '{error: $e}' >"$R/pinned-$name.json"
	[ -z "$src" ] || jq -e . "$R/flood-$name.json" >/dev/null 2>&1 ||
		jq -n --arg e "$(tail -n 1 "$W/flood.log")" '{error: $e}' >"$R/flood-$name.json"
	[ -n "$src" ] || echo null >"$R/flood-$name.json"
	# log lines naming the flood's addresses (127.0.0.2 and up)
	local lflood
	lflood=$(tail -n +"$((l0 + 1))" "$W/parleyd.log" | grep -cE '127\.0\.0\.([2-9]|[1-9][0-9]+)([]: ]|$)')
	jq -n --arg name "$name" --arg src "${src:-0}" --arg c "$((c1 - c0))" --arg tck "$TCK" \
		--arg t0 "$t0" --arg t1 "$t1" --arg l "$((l1 - l0))" --arg lf "$lflood" --arg f0 "$f0" \
		--arg fmax "$(sort -n "$W/fds-$name" | tail -n 1)" \
		--argjson metrics "$(metrics_delta "$W/metrics0-$name" "$W/metrics1-$name")" \
		--slurpfile pinned "$R/pinned-$name.json" --slurpfile flood "$R/flood-$name.json" \
		'(($t1|tonumber) - ($t0|tonumber)) as $el |
		 {name: $name, flood_sources: ($src|tonumber), elapsed_s: $el,
		  parleyd_cpu_pct: (if $el > 0 then (($c|tonumber) / ($tck|tonumber)) / $el * 100 else 0 end),
		  parleyd_fds_before: ($f0|tonumber), parleyd_fds_max: ($fmax|tonumber? // null),
		  log_lines: ($l|tonumber), log_lines_from_flood_addresses: ($lf|tonumber),
		  metrics_delta: $metrics, pinned: $pinned[0], flood: $flood[0]}' >"$R/phase-$name.json"
	log "  $name: pinned p50 $(jq -r .pinned.p50_ms "$R/phase-$name.json") ms," \
		"p99 $(jq -r .pinned.p99_ms "$R/phase-$name.json") ms ($(jq -r .pinned.samples "$R/phase-$name.json") samples);" \
		"admin p99 $(jq -r .pinned.admin.p99_ms "$R/phase-$name.json") ms;" \
		"parleyd $(jq -r '.parleyd_cpu_pct | floor' "$R/phase-$name.json")% CPU" \
		"$( [ -n "$src" ] && echo "; flood $(jq -r '.flood.answered_per_s // .flood.error' "$R/phase-$name.json") answered/s")"
}

i=0
for p in $PHASES; do
	ag=$W/ag.$(printf '%02d' $i)
	if [ "$p" = none ]; then
		log "phase none: $SAMPLES pinned samples (one every ${INTERVAL} ms at most), admin every ${ADMIN_INTERVAL} ms, no flood"
		phase none "" "$ag"
	else
		log "phase ${p}: the same while flood --mode $MODE --conns $CONNS --sources ${p#s} runs"
		phase "$p" "${p#s}" "$ag"
	fi
	i=$((i + 1))
done

# ---- the result
for p in $PHASES; do
	[ -s "$R/phase-$p.json" ] || jq -n --arg n "$p" '{name: $n, error: "not measured"}' >"$R/phase-$p.json"
done
# shellcheck disable=SC2046
jq -s --arg cpus "$(nproc)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
	--arg openssl "$(openssl version 2>/dev/null)" --arg el "$(( $(date +%s) - START ))" \
	--arg samples "$SAMPLES" --arg interval "$INTERVAL" --arg admin_interval "$ADMIN_INTERVAL" \
	--arg conns "$CONNS" --arg mode "$MODE" --arg phase "$PHASE" '
	(.[0]) as $base |
	def ratio($a; $b): if ($a == null or $b == null or $b == 0) then null else $a / $b end;
	{env: {cpus: ($cpus|tonumber), cpu: $cpu, openssl: $openssl, elapsed_s: ($el|tonumber)},
	 config: {samples: ($samples|tonumber), interval_ms: ($interval|tonumber),
	          admin_interval_ms: ($admin_interval|tonumber), phase_seconds: ($phase|tonumber),
	          flood_mode: $mode, flood_conns: ($conns|tonumber),
	          parleyd: "defaults ([limits], [tls]), loopback, virtual_clock = no"},
	 phases: .,
	 verdicts: [.[1:][] | . as $p |
	   {phase: $p.name, flood_sources: $p.flood_sources,
	    pinned_p99_ratio: ratio($p.pinned.p99_ms; $base.pinned.p99_ms),
	    pinned_target: "< 10 x unflooded p99, no sample failed",
	    pinned_ok: ((ratio($p.pinned.p99_ms; $base.pinned.p99_ms) // 1e9) < 10 and
	                ($p.pinned.samples // 0) > 0 and ($p.pinned.failed // 1) == 0 and
	                ($p.pinned.timeouts // 1) == 0),
	    admin_p99_ms: $p.pinned.admin.p99_ms,
	    admin_target: "< 1000 ms, no sample failed",
	    admin_ok: (($p.pinned.admin.p99_ms // 1e9) < 1000 and ($p.pinned.admin.samples // 0) > 0 and
	               ($p.pinned.admin.failed // 1) == 0 and ($p.pinned.admin.timeouts // 1) == 0)}]}
	' $(for p in $PHASES; do echo "$R/phase-$p.json"; done) >"$W/result.json" ||
	{ log "cannot compose the result"; exit 1; }

echo
jq -r '"parley under flood: \(.env.cpus) CPUs (\(.env.cpu)), \(.env.openssl); flood --mode \(.config.flood_mode) --conns \(.config.flood_conns); parleyd with its default limits; \(.env.elapsed_s) s"' "$W/result.json"
echo
jq -r '.phases[] | [.name, (.flood.answered_per_s // "-"), (.flood.connects_per_s // "-"),
	((.parleyd_cpu_pct // 0) | floor), .parleyd_fds_max, .log_lines,
	"\(.pinned.samples // 0)/\(.pinned.started // 0)", .pinned.p50_ms, .pinned.p99_ms, .pinned.max_ms,
	.pinned.admin.samples, .pinned.admin.p50_ms, .pinned.admin.p99_ms, .pinned.admin.max_ms] | @tsv' "$W/result.json" |
	awk -F'\t' 'BEGIN {
		printf "%-6s %9s %9s %5s %5s %6s | %9s %9s %9s %9s | %5s %9s %9s %9s\n", "phase", "flood", "flood", "CPU", "fds",
			"log", "pinned", "p50", "p99", "max", "admin", "p50", "p99", "max"
		printf "%-6s %9s %9s %5s %5s %6s | %9s %9s %9s %9s | %5s %9s %9s %9s\n", "", "answ/s", "conn/s", "%", "max",
			"lines", "samples", "ms", "ms", "ms", "n", "ms", "ms", "ms" }
		{ printf "%-6s %9s %9s %5s %5s %6s | %9s %9s %9s %9s | %5s %9s %9s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 }'
echo
jq -r '.verdicts[] | [.phase, (.pinned_p99_ratio // "n/a" | if type == "number" then (. * 100 | round / 100) else . end),
	(if .pinned_ok then "pass" else "FAIL" end), (.admin_p99_ms // "n/a"), (if .admin_ok then "pass" else "FAIL" end)] | @tsv' \
	"$W/result.json" |
	awk -F'\t' 'BEGIN { printf "%-6s %-34s %-8s %-28s %s\n", "phase", "pinned p99 / unflooded p99 (< 10)", "verdict", "admin p99 ms (< 1000)", "verdict" }
		{ printf "%-6s %-34s %-8s %-28s %s\n", $1, $2, $3, $4, $5 }'
echo
finish
