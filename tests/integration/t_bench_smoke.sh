# The load generator of `make bench`, briefly, in every mode against a test
# daemon: each run completes and its counts add up.  No timing is asserted
# (bench/README.md; make bench-smoke runs this file alone).
HANDSHAKE_RATE=0 MAX_PER_SOURCE=0	# loadgen: everything from 127.0.0.1
. "$(dirname "$0")/lib.sh"
LG=$BIN/loadgen
[ -x "$LG" ] || fail "$LG is missing (make builds it: mk/bench.mk)"
setup
enrol a
enrol b
enrol c
: >"$T/eps"
for p in a b c; do echo "$p $T/$p/client.conf" >>"$T/eps"; done
printf 'Article 1. The parties cease fire.\nArticle 2. This agreement takes effect on release.\n' >"$T/text.txt"

agreements() {	# COUNT FILE: created and circulated
	: >"$2"
	for _ in $(seq "$1"); do
		id=$(jget "$(ctl --json agreement create --title smoke --text "$T/text.txt" --parties a,b,c)" .id)
		[ "$id" -ge 1 ] 2>/dev/null || fail "agreement create"
		ctl agreement circulate "$id" >/dev/null || fail "circulate $id"
		echo "$id" >>"$2"
	done
}
# N = the sum of the given fields of JSON, for "counts add up" checks.
sum() { j=$1; shift; s=0; for f in "$@"; do s=$((s + $(jget "$j" ".$f"))); done; echo $s; }
lg() { "$LG" "$@" --max-seconds 60 2>>"$T/loadgen.log" || { cat "$T/loadgen.log" >&2; fail "loadgen $1 failed"; }; }

# sign: every copy sent is accepted, refused, a duplicate or unanswered
agreements 6 "$T/ag.sign"
out=$(lg sign --endpoints "$T/eps" --agreements "$T/ag.sign" --inflight 2 --seconds 10)
[ "$(jget "$out" .copies_sent)" = "$(sum "$out" accepted refused duplicate unanswered)" ] ||
	fail "sign counts do not add up: $out"
[ "$(jget "$out" .copies_sent)" = 18 ] || fail "18 copies expected: $out"
[ "$(jget "$out" .accepted)" = 18 ] || fail "all 18 copies should be accepted: $out"
[ "$(jget "$out" .agreements_done)" = 6 ] || fail "6 agreements expected: $out"
[ "$(jget "$out" .releases)" = 6 ] || fail "6 releases expected: $out"
st=$(ctl --json status)
[ "$(jget "$st" .agreements.in_force)" = 6 ] || fail "the daemon should have released 6: $st"

# drain: 6 circulations and 6 bundles for each of 3 endpoints, all acked
pending=$(jget "$st" .deliveries_pending)
[ "$pending" = 36 ] || fail "36 pending deliveries expected: $st"
out=$(lg drain --endpoints "$T/eps" --seconds 20)
[ "$(jget "$out" .acks_sent)" = "$(sum "$out" acks_ok acks_refused unanswered)" ] ||
	fail "drain counts do not add up: $out"
[ "$(jget "$out" .deliveries)" = "$(jget "$out" .acks_sent)" ] || fail "every delivery is acked: $out"
[ "$(jget "$out" .acks_ok)" = 36 ] || fail "36 acks expected: $out"
[ "$(jget "$(ctl --json status)" .deliveries_pending)" = 0 ] || fail "deliveries left pending"

# latency: one sample per agreement, each released to all 3 endpoints
agreements 3 "$T/ag.lat"
out=$(lg latency --endpoints "$T/eps" --agreements "$T/ag.lat" --samples 3 --seconds 20)
[ "$(jget "$out" .samples)" = 3 ] || fail "3 latency samples expected: $out"
[ "$(jget "$out" .copies_sent)" = "$(sum "$out" accepted refused duplicate)" ] ||
	fail "latency counts do not add up: $out"
[ "$(jget "$out" .releases)" = 3 ] || fail "3 releases expected: $out"
[ "$(jget "$out" .acks_sent)" = "$(sum "$out" acks_ok acks_refused unanswered)" ] ||
	fail "latency acks do not add up: $out"

# handshake: every connection started completed, was refused or failed
out=$(lg handshake --endpoints "$T/eps" --server-pid "$PARLEYD_PID" --concurrency 2 --seconds 1)
[ "$(jget "$out" .started)" = "$(sum "$out" completed refused failed)" ] ||
	fail "handshake counts do not add up: $out"
[ "$(jget "$out" .completed)" -ge 1 ] || fail "no handshake completed: $out"

# idle: 9 connections (3 per endpoint, under max_per_endpoint), RSS read twice
out=$(lg idle --endpoints "$T/eps" --server-pid "$PARLEYD_PID" --counts 6,9 --settle-ms 100)
[ "$(jget "$out" .completed)" = 9 ] || fail "9 idle connections expected: $out"
[ "$(jget "$out" '.points | length')" = 2 ] || fail "2 RSS points expected: $out"
[ "$(jget "$out" .points[1].rss_kb)" -gt 0 ] || fail "no RSS read: $out"

# commit: the SQLite baseline
out=$(lg commit --dir "$T" --seconds 0.2)
[ "$(jget "$out" .commits)" -ge 1 ] || fail "no commit timed: $out"

# rtt: the loopback round trip baseline
out=$(lg rtt --samples 300 --seconds 5)
[ "$(jget "$out" .samples)" -ge 1 ] || fail "no round trip timed: $out"

# create: agreements created and circulated over one admin connection; a
# holds the record's checkpoint first (parley keeps it), so that connect
# below has a proof to check
as a inbox >/dev/null || fail "a's first connect"
out=$(lg create --admin "$T/admin.sock" --parties a,b --text "$T/text.txt" --count 5 --window 2 \
	--out "$T/ag.created")
[ "$(jget "$out" .started)" = "$(sum "$out" circulated refused in_progress_at_end)" ] ||
	fail "create counts do not add up: $out"
[ "$(jget "$out" .circulated)" = 5 ] || fail "5 agreements circulated expected: $out"
[ "$(wc -l <"$T/ag.created")" = 5 ] || fail "5 agreement ids expected in the output file"

# presign, first-copy: a's copies of them, one sent after connecting
echo "a $T/a/client.conf" >"$T/eps.a"
out=$(lg presign --endpoints "$T/eps.a" --agreements "$T/ag.created" --out "$T/frames")
[ "$(jget "$out" .frames)" = 5 ] || fail "5 signed copies expected: $out"
echo "$EPOCHREALTIME" >"$T/since"
out=$(lg first-copy --endpoints "$T/eps.a" --frames "$T/frames" --index 4 --since "$T/since" --seconds 10)
[ "$(jget "$out" .connects_tried)" = "$(sum "$out" connects_refused attempts_lost accepted duplicate refused in_progress_at_end)" ] ||
	fail "first-copy counts do not add up: $out"
[ "$(jget "$out" .accepted)" = 1 ] || fail "the copy should be accepted: $out"

# connect: the proof from a's checkpoint checked, the new one countersigned
out=$(lg connect --endpoints "$T/eps.a" --samples 3 --seconds 20)
[ "$(jget "$out" .started)" = "$(sum "$out" countersigned refused failed timeouts in_progress_at_end)" ] ||
	fail "connect counts do not add up: $out"
[ "$(jget "$out" .countersigned)" = 3 ] || fail "3 countersigned connects expected: $out"
[ "$(jget "$out" .proof_hashes)" -ge 1 ] || fail "a proof from a's checkpoint expected: $out"

# copy-floor, which measures the floors under the CPU per copy and the
# release latency: its counts add up, and it leaves no database behind
CF=$BIN/copy-floor
[ -x "$CF" ] || fail "$CF is missing (make builds it: mk/bench.mk)"
out=$("$CF" --dir "$T" --seconds 1 --inflight 4 --parties 3 --endpoints 2 --copy-bytes 153 \
	--bundle-bytes 2000 2>>"$T/copy-floor.log") || { cat "$T/copy-floor.log" >&2; fail "copy-floor failed"; }
[ "$(jget "$out" .phases.all.bad_signatures)" = 0 ] || fail "copy-floor: bad signatures: $out"
[ "$(jget "$out" .phases.all.releases)" -ge 1 ] || fail "copy-floor: no release: $out"
for ph in tls tls_verify tls_verify_store all; do
	[ "$(jget "$out" ".phases.$ph.copies")" -ge 3 ] || fail "copy-floor: phase $ph answered no agreement: $out"
done
out=$("$CF" --dir "$T" --latency 5 --parties 3 --endpoints 2 --copy-bytes 153 --bundle-bytes 2000 \
	2>>"$T/copy-floor.log") || { cat "$T/copy-floor.log" >&2; fail "copy-floor --latency failed"; }
[ "$(jget "$out" .samples)" = 5 ] || fail "copy-floor --latency: 5 samples expected: $out"
[ "$(jget "$out" .releases)" = 5 ] || fail "copy-floor --latency: 5 releases expected: $out"
[ "$(jget "$out" .acks)" = 30 ] || fail "copy-floor --latency: 30 acks (5 bundles x 6 endpoints) expected: $out"
ls "$T"/copy-floor-* >/dev/null 2>&1 && fail "copy-floor left its database: $(ls "$T"/copy-floor-*)"
expect_out "connection per endpoint" "$CF" --dir "$T" --latency 5 --parties 3 --endpoints 2 --connections 4

# only loopback
sed 's/^server = .*/server = 192.0.2.1:7800/' "$T/a/client.conf" >"$T/a/far.conf"
echo "a $T/a/far.conf" >"$T/eps.far"
expect_out "not a loopback address" "$LG" drain --endpoints "$T/eps.far"
pass
