# Shell helpers both benchmark scripts (bench/run.sh, bench/flood.sh) use;
# sourced after they set START, DEADLINE and LIMIT.

log() { printf '[%4ds] %s\n' $(( $(date +%s) - START )) "$*" >&2; }

stop_pid() {	# PID: TERM, up to 10 s, then KILL; only a process we started
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

left() { echo $((DEADLINE - $(date +%s))); }
# Run a step under what is left of the time limit.  Past it, steps are
# skipped (they fail) and the run ends with what it has measured.
OUT_OF_TIME=0
bounded() {
	local l; l=$(left)
	if [ "$l" -le 0 ]; then
		[ "$OUT_OF_TIME" = 1 ] || log "time limit of ${LIMIT}s reached: skipping what is left"
		OUT_OF_TIME=1
		return 124
	fi
	timeout -k 5 "$l" "$@"
	local rc=$?
	[ $rc = 124 ] && OUT_OF_TIME=1
	return $rc
}

cpu_ticks() {	# utime + stime of PID in clock ticks
	local line rest
	read -r line <"/proc/$1/stat" || { echo 0; return; }
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $(( ${12} + ${13} ))
}
TCK=$(getconf CLK_TCK)
now() { date +%s.%N; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Below the ephemeral range, so that no client socket of the run (10,000
# of them) can hold a port a restarted server needs.
EPH_LO=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
pick_port() {
	local p lo=$(( EPH_LO > 12000 ? EPH_LO - 10000 : 20000 ))
	while :; do
		p=$(( lo + RANDOM % 9000 ))
		port_free "$p" && { echo "$p"; return; }
	done
}

# The end of a run: the JSON result ($W/result.json) on stdout and to $OUT
# if set, then exit (124 when the time limit cut the run short).
finish() {
	jq . "$W/result.json"
	if [ -n "$OUT" ]; then
		cp "$W/result.json" "$OUT" && log "JSON written to $OUT"
	fi
	log "done in $(( $(date +%s) - START ))s; everything started was stopped"
	[ "$OUT_OF_TIME" = 1 ] && { log "the time limit cut the run short (--time-limit)"; exit 124; }
	exit 0
}
