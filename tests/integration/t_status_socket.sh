# The status socket: after a scripted signing (two refused copies, two
# accepted, a release) GET /metrics carries the exact counts and gauges in
# the Prometheus text format and GET /status the same picture as JSON; an
# endpoint online shows per party; other methods get 405, other paths 404,
# oversized requests are refused; and scraping changes nothing in the store.
. "$(dirname "$0")/lib.sh"
setup
S=$T/status.sock
D=$(cd "$(dirname "$0")/../data" && pwd)

scrape() { curl -sS --max-time 10 --unix-socket "$S" "$@"; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 --unix-socket "$S" "$@"; }
# The value of one sample ("NAME" or "NAME{labels}") in $M, or "missing".
metric() { printf '%s\n' "$M" | awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "missing" : v) }'; }
want() {
	got=$(metric "$1")
	[ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
get_metrics() { M=$(scrape http://localhost/metrics) || fail "GET /metrics failed"; }
# Bounded wait until metric $1 equals $2 (a connection's arrival or departure).
wait_metric() {
	i=0
	while get_metrics; [ "$(metric "$1")" != "$2" ]; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "$1 stayed $(metric "$1"), expected $2"
		sleep 0.05
	done
}

[ -S "$S" ] || fail "no status socket at $S"
# by default 0660, in parleyd's own group (who may connect is tested in
# t_status_access.sh)
[ "$(stat -c %a "$S")" = 660 ] || fail "status socket mode $(stat -c %a "$S"), expected 660"
[ "$(stat -c %g "$S")" = "$(id -g)" ] || fail "status socket group $(stat -c %G "$S"), expected $(id -gn)"
grep -q "status socket $S (mode 0660, group $(id -gn))" "$T/parleyd.log" || fail "status socket not logged"

enrol baku
enrol yerevan
new_endpoint stranger
ctl clock set 1994-05-09T10:00:00+04:00 >/dev/null || fail "clock set"

# A fresh daemon: every series present, zero where nothing happened.
get_metrics
printf '%s\n' "$M" | grep -q '^parley_build_info{version="[^"]*",protocol="1",schema="[0-9]*"} 1$' \
	|| fail "no build info: $M"
printf '%s\n' "$M" | grep -q '^# TYPE parley_store_commit_seconds histogram$' || fail "no histogram TYPE"
printf '%s\n' "$M" | grep -q '^# HELP parley_releases_total ' || fail "no HELP lines"
want 'parley_virtual_clock' 1
want 'parley_clock_seconds' "$(date -d 1994-05-09T10:00:00+04:00 +%s)"
want 'parley_agreements{state="draft"}' 0
want 'parley_agreements{state="in_force"}' 0
want 'parley_releases_total' 0
want 'parley_endpoints{party="baku"}' 1
want 'parley_endpoints_online{party="baku"}' 0
want 'parley_deliveries_pending' 0
want 'parley_deliveries_oldest_pending_age_seconds' 0
want 'parley_ack_frames_total' 0
want 'parley_incidents_open' 0
want 'parley_incidents_overdue' 0
for r in tls closed handshake_timeout unregistered_pin rate per_source evicted; do
	want "parley_unauthenticated_failures_total{reason=\"$r\"}" 0
done
printf '%s\n' "$M" | grep -q '^# TYPE parley_unauthenticated_failures_total counter$' \
	|| fail "no TYPE for parley_unauthenticated_failures_total"
printf '%s\n' "$M" | grep -q '^# HELP parley_unauthenticated_failures_total .' \
	|| fail "no HELP for parley_unauthenticated_failures_total"
want 'parley_status_connections_refused_total' 0
want 'parley_status_connections' 1
J=$(scrape http://localhost/status) || fail "GET /status failed"
[ "$(jget "$J" '.unauthenticated_failures | keys | sort | join(",")')" = \
	"closed,evicted,handshake_timeout,per_source,rate,tls,unregistered_pin" ] || fail "status unauthenticated_failures: $J"
[ "$(jget "$J" '[.unauthenticated_failures[]] | add')" = 0 ] || fail "status unauthenticated_failures: $J"
[ "$(jget "$J" .status_connections.refused)" = 0 ] || fail "status status_connections: $J"
[ "$(jget "$J" .status_connections.open)" = 1 ] || fail "status status_connections: $J"
up=$(metric parley_uptime_seconds)
[ "$up" -ge 0 ] 2>/dev/null || fail "uptime is not a number: $up"
# every line is a comment or "name{labels} number"
bad=$(printf '%s\n' "$M" | grep -vE '^# (HELP|TYPE) parley_[a-z_]+ .+$|^parley_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$')
[ -z "$bad" ] || fail "lines not in the text format: $bad"

out=$(ctl --json agreement create --title "Ceasefire" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan) || fail "create: $out"
A=$(jget "$out" .id)
get_metrics
want 'parley_agreements{state="draft"}' 1
expect_rc 0 ctl agreement circulate "$A"
get_metrics
want 'parley_agreements{state="draft"}' 0
want 'parley_agreements{state="circulating"}' 1
want 'parley_deliveries_pending' 2
expect_rc 0 as baku inbox
expect_rc 0 as yerevan inbox
get_metrics
want 'parley_deliveries_pending' 0
want 'parley_delivery_acks_total' 2
want 'parley_ack_frames_total' 2

# two refused copies, counted under their reasons
expect_out "no revision 99" "$BIN/ptool" sign "$T/baku/client.conf" "$A" --revision 99
expect_out "does not verify" "$BIN/ptool" sign "$T/baku/client.conf" "$A" --flip-sig
get_metrics
want 'parley_signed_copies_refused_total{reason="malformed"}' 1
want 'parley_signed_copies_refused_total{reason="bad_signature"}' 1
want 'parley_signed_copies_accepted_total' 0

# both sign: released at 1994-05-10T10:00+04:00, bundles queued for both
expect_out "accepted" as baku sign "$A" --yes
ctl clock set 1994-05-10T10:00:00+04:00 >/dev/null
expect_out "released" as yerevan sign "$A" --yes
ctl clock advance 1h >/dev/null || fail "clock advance"
# refused and unknown connections
expect_rc 3 "$BIN/parley" -c "$T/stranger/client.conf" inbox
expect_rc 1 "$BIN/ptool" raw "$T/baku/client.conf" 0a0b

before=$(snapshot)
get_metrics
want 'parley_agreements{state="in_force"}' 1
want 'parley_agreements{state="circulating"}' 0
want 'parley_agreements{state="draft"}' 0
want 'parley_releases_total' 1
want 'parley_signed_copies_accepted_total' 2
want 'parley_signed_copies_refused_total{reason="malformed"}' 1
want 'parley_signed_copies_refused_total{reason="bad_signature"}' 1
want 'parley_signed_copies_refused_total{reason="non_identical"}' 0
want 'parley_signed_copies_refused_total{reason="stale_revision"}' 0
want 'parley_deliveries_pending' 2
want 'parley_deliveries_oldest_pending_age_seconds' 3600
want 'parley_delivery_acks_total' 2
want 'parley_tls_refused_total' 1
want 'parley_frames_bad_total' 1
want 'parley_amendments_open' 0
want 'parley_connections' 0
want 'parley_clock_seconds' "$(date -d 1994-05-10T11:00:00+04:00 +%s)"
pending=$(db "SELECT count(*) FROM delivery WHERE acked_at IS NULL")
[ "$pending" = 2 ] || fail "the store has $pending pending deliveries, the metric 2"
# the histogram is cumulative and its +Inf bucket is its count
n=$(metric parley_store_commit_seconds_count)
[ "$n" -gt 0 ] 2>/dev/null || fail "no commits counted: $n"
want 'parley_store_commit_seconds_bucket{le="+Inf"}' "$n"
printf '%s\n' "$M" | awk '/^parley_store_commit_seconds_bucket/ { if ($2 < prev) bad = 1; prev = $2 }
	END { exit bad }' || fail "histogram buckets are not cumulative"
printf '%s\n' "$M" | grep -q '^parley_store_commit_seconds_bucket{le="0.001"} ' || fail "no 1 ms bucket"
printf '%s\n' "$M" | grep -qE '^parley_store_commit_seconds_sum [0-9]+\.[0-9]+$' || fail "no _sum"

# /status: one JSON object telling the same
J=$(scrape http://localhost/status) || fail "GET /status failed"
printf '%s' "$J" | jq -e . >/dev/null || fail "/status is not JSON: $J"
[ "$(jget "$J" .agreements.in_force)" = 1 ] || fail "status agreements: $J"
[ "$(jget "$J" .agreements.circulating)" = 0 ] || fail "status agreements: $J"
[ "$(jget "$J" .releases)" = 1 ] || fail "status releases: $J"
[ "$(jget "$J" .signed_copies.accepted)" = 2 ] || fail "status accepted: $J"
[ "$(jget "$J" .signed_copies.refused.malformed)" = 1 ] || fail "status refused: $J"
[ "$(jget "$J" .signed_copies.refused.bad_signature)" = 1 ] || fail "status refused: $J"
[ "$(jget "$J" .deliveries.pending)" = 2 ] || fail "status pending: $J"
[ "$(jget "$J" .deliveries.oldest_pending_age_seconds)" = 3600 ] || fail "status age: $J"
[ "$(jget "$J" .deliveries.oldest_pending)" = "1994-05-10T06:00:00+00:00" ] || fail "status oldest: $J"
[ "$(jget "$J" .virtual_clock)" = true ] || fail "status clock: $J"
[ "$(jget "$J" '[.parties[] | select(.endpoints == 1 and .endpoints_online == 0)] | length')" = 2 ] \
	|| fail "status parties: $J"
[ "$(jget "$J" .store_commits.count)" -ge "$n" ] || fail "status commits: $J"
[ "$(jget "$J" .store_commits.buckets[-1].le_us)" = null ] || fail "status +Inf bucket: $J"
[ "$(jget "$J" .tls_refused)" = 1 ] || fail "status tls_refused: $J"
[ "$(jget "$J" .frames_bad)" = 1 ] || fail "status frames_bad: $J"

# read-only: other methods 405 (with Allow), other paths 404, HEAD works
[ "$(code -X POST http://localhost/metrics)" = 405 ] || fail "POST /metrics not 405"
[ "$(code -X POST -d 'x=1' http://localhost/status)" = 405 ] || fail "POST /status not 405"
[ "$(code -X PUT -d x http://localhost/metrics)" = 405 ] || fail "PUT not 405"
[ "$(code -X DELETE http://localhost/status)" = 405 ] || fail "DELETE not 405"
[ "$(code -X PATCH http://localhost/status)" = 405 ] || fail "PATCH not 405"
scrape -si -X POST http://localhost/metrics 2>/dev/null | grep -qi '^Allow: GET, HEAD' || fail "405 without Allow"
[ "$(code http://localhost/nope)" = 404 ] || fail "GET /nope not 404"
[ "$(code http://localhost/)" = 404 ] || fail "GET / not 404"
[ "$(code -X POST http://localhost/nope)" = 404 ] || fail "POST /nope not 404"
[ "$(code -I http://localhost/metrics)" = 200 ] || fail "HEAD /metrics not 200"
scrape -si http://localhost/metrics 2>/dev/null | grep -qi '^Content-Type: text/plain; version=0.0.4' \
	|| fail "metrics content type"
scrape -si http://localhost/status 2>/dev/null | grep -qi '^Content-Type: application/json' || fail "status content type"
# bounded requests: a large body or header block is refused, the daemon goes on
head -c 100000 /dev/zero | tr '\0' a >"$T/big"
c=$(code -X POST --data-binary @"$T/big" http://localhost/metrics)
[ "$c" = 413 ] || [ "$c" = 400 ] || [ "$c" = 000 ] || fail "a 100 kB body got $c"
c=$(code -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" http://localhost/metrics)
[ "$c" != 200 ] || fail "a 20 kB header block was served"
[ "$(code http://localhost/metrics)" = 200 ] || fail "status socket dead after big requests"
# scraping changed nothing
[ "$(snapshot)" = "$before" ] || fail "scraping changed the store"
get_metrics
want 'parley_deliveries_pending' 2
want 'parley_releases_total' 1

# an endpoint on duty shows online for its party (once, however many
# connections it holds); it takes its bundle
"$BIN/parley" -c "$T/baku/client.conf" watch >"$T/watch.out" 2>&1 &
W=$!
wait_metric 'parley_endpoints_online{party="baku"}' 1
wait_metric 'parley_deliveries_pending' 1
"$BIN/parley" -c "$T/baku/client.conf" watch >"$T/watch2.out" 2>&1 &
W2=$!
wait_metric 'parley_connections' 2
want 'parley_endpoints_online{party="baku"}' 1
want 'parley_endpoints_online{party="yerevan"}' 0
[ "$(jget "$(scrape http://localhost/status)" '.parties[] | select(.party == "baku") | .endpoints_online')" = 1 ] \
	|| fail "status does not show baku online"
kill -TERM $W $W2
i=0
while kill -0 $W 2>/dev/null || kill -0 $W2 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 200 ] && { kill -KILL $W $W2; fail "parley watch ignored SIGTERM"; }
	sleep 0.05
done
wait $W || fail "parley watch exited $? on SIGTERM"
wait $W2 || fail "parley watch exited $? on SIGTERM"
wait_metric 'parley_endpoints_online{party="baku"}' 0
want 'parley_connections' 0
expect_rc 0 as yerevan inbox
get_metrics
want 'parley_deliveries_pending' 0
want 'parley_deliveries_oldest_pending_age_seconds' 0
want 'parley_delivery_acks_total' 4

# an open amendment on a second agreement
out=$(ctl --json agreement create --title "Protocol" --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan) || fail "create 2: $out"
B=$(jget "$out" .id)
expect_rc 0 ctl agreement circulate "$B"
expect_rc 0 as yerevan amend "$B" --text "$D/ceasefire-1994-rev2.txt" --note "shorter"
get_metrics
want 'parley_amendments_open' 1
want 'parley_agreements{state="circulating"}' 1
want 'parley_agreements{state="in_force"}' 1
[ "$(jget "$(scrape http://localhost/status)" .amendments_open)" = 1 ] || fail "status amendments_open"
expect_rc 0 ctl agreement withdraw "$B"
get_metrics
want 'parley_amendments_open' 0
want 'parley_agreements{state="withdrawn"}' 1

# incidents: open, overdue when the response window ends, then answered
out=$(as baku --json incident file --against yerevan --place "Sector 4" \
	--time 1994-05-10T10:30:00+04:00 --nature "small-arms fire" --consequences none) || fail "incident: $out"
I=$(jget "$out" .id)
get_metrics
want 'parley_incidents_open' 1
want 'parley_incidents_overdue' 0
ctl clock advance 6h >/dev/null
get_metrics
want 'parley_incidents_open' 1
want 'parley_incidents_overdue' 1
[ "$(jget "$(scrape http://localhost/status)" .incidents.overdue)" = 1 ] || fail "status incidents"
expect_rc 0 as yerevan incident respond "$I" --text "checked: not from our side"
get_metrics
want 'parley_incidents_open' 0
want 'parley_incidents_overdue' 0

# duty watch: the series agree with parleyctl duty
out=$(ctl --json duty)
J=$(scrape http://localhost/status)
now=$(metric parley_clock_seconds)
for p in baku yerevan; do
	want "parley_duty_alert{party=\"$p\"}" "$(jget "$out" ".parties[] | select(.party == \"$p\") | if .alert then 1 else 0 end")"
	since=$(jget "$out" ".parties[] | select(.party == \"$p\") | .offline_since")
	[ "$since" = null ] && gap=0 || gap=$((now - $(date -d "$since" +%s)))
	want "parley_duty_gap_seconds{party=\"$p\"}" "$gap"
	[ "$(jget "$J" ".parties[] | select(.party == \"$p\") | .duty.alert")" = \
		"$(jget "$out" ".parties[] | select(.party == \"$p\") | .alert")" ] || fail "status duty of $p: $J"
done
want 'parley_duty_alerts_total' "$(jget "$out" .alerts_raised)"
[ "$(metric 'parley_duty_alert{party="baku"}')" = 1 ] || fail "baku, offline for hours, has no duty alert"

# the socket file goes away with the daemon
stop_daemon
[ -e "$S" ] && fail "status socket left behind after stop"
pass
