# Sourced by bench/run.sh (its variables and functions): the record in
# PostgreSQL, beside the SQLite figures of the same run.
#   pg_sign      signed copies accepted/s, as the SQLite run (same parties,
#                endpoints, in-flight agreements and length)
#   pg_latency   release latency, as the SQLite run (fewer samples)
#   pg_takeover  20 takeovers: kill -9 of the serving daemon -> the first
#                copy accepted by the other (which stood by), p50 and max
# A primary and a synchronous standby on loopback (tests/pg/cluster.sh),
# started and stopped here.  As root only (the servers run as postgres);
# otherwise every figure is "not measured".
PG_CL=$(cd "$(dirname "$0")/../tests/pg" && pwd)/cluster.sh
PGC= PG_B_PID=
pg_stop_all() {
	stop_pid "$PG_B_PID"; PG_B_PID=
	[ -n "$PGC" ] && "$PG_CL" stop "$PGC" >/dev/null 2>&1
	[ -n "$PGC" ] && rm -rf "$PGC"
	PGC=
}
pg_not_measured() {
	for f in pg_sign pg_latency pg_takeover; do
		[ -s "$R/$f.json" ] || jq -n --arg e "$1" '{error: $e}' >"$R/$f.json"
	done
}
pg_role() {	# STATUS_SOCKET: serving, standby or nothing
	curl -s --max-time 2 --unix-socket "$1" http://x/status 2>/dev/null | jq -r '.role // empty' 2>/dev/null
}
pg_wait_role() {	# STATUS_SOCKET ROLE: bounded, 30 s
	for _ in $(seq 600); do
		[ "$(pg_role "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
pg_bench() {
	local pg_db=parley_bench A B_CONF i ids t0 t1 ms serving other
	if [ "$(id -u)" != 0 ] || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
		log "PostgreSQL: not measured (needs root and PostgreSQL 15)"
		pg_not_measured "needs root and PostgreSQL 15"
		return 0
	fi
	PGC=$(mktemp -d /tmp/pgb.XXXXXX)
	trap 'pg_stop_all; cleanup' EXIT
	if ! bounded "$PG_CL" start "$PGC" >"$W/pg-cluster.log" 2>&1; then
		log "PostgreSQL: the cluster did not start: $(tail -n 2 "$W/pg-cluster.log")"
		pg_not_measured "the cluster did not start"
		pg_stop_all
		return 0
	fi
	# shellcheck disable=SC1091
	. "$PGC/env"
	psql -q -X "host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley dbname=postgres" \
		-c "CREATE DATABASE $pg_db" || { pg_not_measured "cannot create the database"; pg_stop_all; return 0; }
	log "PostgreSQL: primary :$PG_PRIMARY_PORT, synchronous standby :$PG_STANDBY_PORT ($("$PG_CL" status "$PGC" | tr '\n' ' '))"
	stop_parleyd
	# The same keys (the endpoints pin the server key), a record of its own.
	mkdir -p "$W/state-pg" "$W/state-pg-b"
	chmod 700 "$W/state-pg" "$W/state-pg-b"
	for f in mediator.key mediator.pub server.key server.crt; do
		cp -p "$STATE/$f" "$W/state-pg/$f"
		cp -p "$STATE/$f" "$W/state-pg-b/$f"
	done
	STORE_CONF="[store]
backend = postgresql
dsn = host=127.0.0.1 port=$PG_PRIMARY_PORT user=parley dbname=$pg_db
lease = 2s"
	export STORE_CONF
	start_parleyd "$W/state-pg"
	register_all
	create_agreements "$SAMPLES" "$LPARTIES" "$W/ag.pglat" || { pg_not_measured "agreements"; pg_stop_all; return 0; }
	create_agreements "$AGREEMENTS" "$SPARTIES" "$W/ag.pgsign" || { pg_not_measured "agreements"; pg_stop_all; return 0; }
	log "PostgreSQL: signing $AGREEMENTS agreements x $N parties, $K in flight"
	lg pg_sign sign --endpoints "$W/eps.sign" --agreements "$W/ag.pgsign" --inflight "$K" \
		--seconds "$SECS" --grace "$SECS"
	log "  $(jr pg_sign .released_copies_per_s) copies/s of released agreements (SQLite: $(jr sign .released_copies_per_s))"
	log "PostgreSQL: release latency, $SAMPLES agreements one at a time"
	lg pg_latency latency --endpoints "$W/eps.lat" --agreements "$W/ag.pglat" --samples "$SAMPLES" \
		--seconds "$((SECS * 4))" --grace "$SECS"
	log "  p50 $(jr pg_latency .p50_ms) ms, p99 $(jr pg_latency .p99_ms) ms (SQLite: $(jr latency .p99_ms) ms)"

	# Takeovers: a second daemon on the same record stands by; each round
	# kills the serving one and times the first copy the other accepts
	# (one party, one endpoint listing both addresses; each round its own
	# agreement), then restarts the killed one as the standby.
	local PORT2; PORT2=$(pick_port)
	sed -e "s|^listen = .*|listen = 127.0.0.1:$PORT2|" -e "s|$W/state-pg|$W/state-pg-b|" \
		-e "s|$W/admin.sock|$W/b-admin.sock|" -e "s|$W/status.sock|$W/b-status.sock|" \
		"$W/parleyd.conf" >"$W/parleyd-b.conf"
	cp "$W/parleyd.conf" "$W/parleyd-a.conf"
	CTL party add tk --name "takeover" >/dev/null &&
		"$BIN/parley" init --dir "$W/ep/tk" --server "127.0.0.1:$PORT, 127.0.0.1:$PORT2" \
		--server-pin "$PIN" --mediator-key "$W/mediator.pub" >/dev/null &&
		CTL endpoint add tk --cert "$W/ep/tk/endpoint.crt" >/dev/null &&
		CTL signer add tk --key "$W/ep/tk/signer.pub" >/dev/null ||
		{ pg_not_measured "takeover party"; pg_stop_all; return 0; }
	ids=()
	for i in $(seq 20); do
		A=$(CTL --json agreement create --title "takeover $i" --text "$W/text.txt" --parties tk | jq -r .id)
		CTL agreement circulate "$A" >/dev/null || { pg_not_measured "takeover agreements"; pg_stop_all; return 0; }
		ids+=("$A")
	done
	"$BIN/parleyd" -c "$W/parleyd-b.conf" >>"$W/parleyd-b.log" 2>&1 &
	PG_B_PID=$!
	pg_wait_role "$W/b-status.sock" standby || { pg_not_measured "no standby"; pg_stop_all; return 0; }
	: >"$W/takeover.ms"
	serving=a
	log "PostgreSQL: 20 takeovers (kill -9 of the serving daemon -> first copy accepted by the other)"
	for i in $(seq 0 19); do
		[ "$(left)" -gt 20 ] || break
		if [ $serving = a ]; then kill -9 "$PARLEYD_PID"; wait "$PARLEYD_PID" 2>/dev/null; PARLEYD_PID=
		else kill -9 "$PG_B_PID"; wait "$PG_B_PID" 2>/dev/null; PG_B_PID=; fi
		t0=$(date +%s%N)
		until timeout 10 "$BIN/parley" -c "$W/ep/tk/client.conf" sign "${ids[$i]}" --yes >/dev/null 2>&1; do
			[ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 30 ] || break
		done
		t1=$(date +%s%N)
		ms=$(( (t1 - t0) / 1000000 ))
		[ "$ms" -lt 30000 ] && echo "$ms" >>"$W/takeover.ms"
		# the killed one comes back as the standby
		if [ $serving = a ]; then
			"$BIN/parleyd" -c "$W/parleyd-a.conf" >>"$W/parleyd.log" 2>&1 &
			PARLEYD_PID=$!; other="$W/status.sock"; serving=b
		else
			"$BIN/parleyd" -c "$W/parleyd-b.conf" >>"$W/parleyd-b.log" 2>&1 &
			PG_B_PID=$!; other="$W/b-status.sock"; serving=a
		fi
		pg_wait_role "$other" standby || break
	done
	sort -n "$W/takeover.ms" | jq -Rs 'split("\n") | map(select(length > 0) | tonumber) |
		{takeovers: length, p50_ms: (if length > 0 then .[(length - 1) / 2 | floor] else null end),
		 max_ms: (if length > 0 then max else null end), samples_ms: .,
		 how: "kill -9 of the serving parleyd -> the first signed copy the other accepts (parley sign in a loop, client.conf listing both; lease 2 s)"}' \
		>"$R/pg_takeover.json"
	log "  $(jr pg_takeover .takeovers) takeovers: p50 $(jr pg_takeover .p50_ms) ms, max $(jr pg_takeover .max_ms) ms"
	stop_parleyd
	pg_stop_all
	unset STORE_CONF
	trap cleanup EXIT
}
pg_bench
