# Allocation failure on request paths: parleyd runs with the LD_PRELOAD shim
# build/libfailalloc.so and PARLEYD_FAIL_ALLOC (daemon/fault.h), which makes
# the Nth allocation of the first armed request fail, the (N+STEP)th of the
# next, and so on.  For each request type the test repeats one request until
# it gets through without reaching its failure, and after every attempt
# checks: the daemon is alive; the client either succeeded (and what it was
# told is in the store), or got a clear error and the store is unchanged, or
# (the failure hit the connection's own buffers) lost the connection and the
# store holds all of the change or none of it; PRAGMA integrity_check is ok;
# and a normal request is served.  It prints how many allocations failed per
# request type ("absorbed": the request succeeded all the same).
#
# ALLOC_STEP (default 1: every allocation) walks every STEPth allocation
# instead; ALLOC_ATTEMPTS (default 2000) bounds the attempts per request type.
. "$(dirname "$0")/lib.sh"
D=$(cd "$(dirname "$0")/../data" && pwd)
FA=$BIN/libfailalloc.so
# With the record in PostgreSQL each turn's changes also become SQL, each
# row read back first: more allocations, and each attempt commits in
# PostgreSQL; every fourth allocation is walked there (make check-pg; the
# SQLite run walks every one), in about 100 s.
if [ -n "${PARLEY_TEST_PG:-}" ]; then STEP=${ALLOC_STEP:-4}; else STEP=${ALLOC_STEP:-1}; fi
MAX=${ALLOC_ATTEMPTS:-2000}
[ -f "$FA" ] || fail "no $FA (make all builds it)"

setup
enrol baku
enrol yerevan
stop_daemon
LOG=$T/parleyd.log
T0=$(date +%s)

# Under ASan the shim goes in front of the sanitizer's allocator, which it
# calls for every allocation it does not fail; ASan must be told not to
# insist on coming first.
SANOPTS=${ASAN_OPTIONS:-}
if ldd "$BIN/parleyd" 2>/dev/null | grep -q libasan; then
	SANOPTS="${SANOPTS:+$SANOPTS:}verify_asan_link_order=0"
fi

start_injected() {
	ASAN_OPTIONS=$SANOPTS LD_PRELOAD=$FA PARLEYD_FAIL_ALLOC="1/$STEP:$1" "$BIN/parleyd" -c "$T/parleyd.conf" >>"$LOG" 2>&1 &
	PARLEYD_PID=$!
	wait_ready
	grep -q "fault injection armed: allocation 1 of $1 requests" "$LOG" ||
		fail "parleyd did not arm allocation failures for $1"
}


new_agreement() {
	jget "$(ctl --json agreement create --title "T$1" --text "$D/ceasefire-1994-rev1.txt" \
		--parties baku,yerevan)" .id
}

# The armed requests' outcome lines logged since line $1 of the log; waits
# (bounded) for at least one, since the log line follows the reply.
outcomes() {
	i=0
	while :; do
		tail -n +"$(($1 + 1))" "$LOG" | grep "alloc fault: $VERB #" > "$T/outcomes"
		[ -s "$T/outcomes" ] && break
		i=$((i + 1))
		[ $i -gt 100 ] && fail "$VERB: no armed request in attempt $k ($(cat "$T/last.out"))"
		sleep 0.02
	done
}

# walk VERB: repeat run_VERB (after prep_VERB) until it succeeds unharmed.
walk() {
	VERB=$1 fn=$2
	if [ "$(type -t "setup_$fn")" = function ]; then start_daemon; "setup_$fn"; stop_daemon; fi
	start_injected "$VERB"
	k=0 hit=0 refused=0 dropped=0 absorbed=0
	while :; do
		k=$((k + 1))
		[ $k -gt "$MAX" ] && fail "$VERB: no success after $MAX attempts"
		"prep_$fn"
		before=$(snapshot)
		mark=$(wc -l < "$LOG")
		"run_$fn" >"$T/last.out" 2>&1
		rc=$?
		outcomes "$mark"
		kill -0 "$PARLEYD_PID" 2>/dev/null || fail "$VERB: parleyd died in attempt $k"
		if ! grep -q ": failed (" "$T/outcomes"; then
			[ $rc = 0 ] || fail "$VERB: failed with no allocation failure: $(cat "$T/last.out")"
			"check_$fn" || fail "$VERB: succeeded but the store disagrees"
			break
		fi
		hit=$((hit + 1))
		if [ $rc = 0 ]; then
			# The failure was absorbed (a cache, a retry): it must really be done.
			absorbed=$((absorbed + 1))
			"check_$fn" || fail "$VERB: attempt $k said ok but the store disagrees"
		else
			# A frame the daemon could not decode for want of memory loses
			# the connection, with a word why: a drop, not a refusal.
			[ $rc = 1 ] && grep -q "parleyd is out of memory; try again" "$T/last.out" && rc=3
			case $rc in
			1) refused=$((refused + 1))
			   grep -qiE "out of memory|store|nothing was saved|try again" "$T/last.out" ||
				fail "$VERB: attempt $k: unclear error: $(cat "$T/last.out")"
			   # One request refused changes nothing.  A client that makes
			   # several (inbox: Fetch, Ack, Fetch again) may be refused
			   # after the earlier ones were done: then all or nothing.
			   [ "$(snapshot)" = "$before" ] || { [ "${MULTI:-}" = "$fn" ] && "check_$fn"; } ||
				fail "$VERB: attempt $k was refused ($(cat "$T/last.out")) but changed the store";;
			3) # Connection lost: not told, so either outcome, but all or nothing.
			   dropped=$((dropped + 1))
			   [ "$(snapshot)" = "$before" ] || "check_$fn" ||
				fail "$VERB: attempt $k lost its connection and left half a change";;
			*) fail "$VERB: attempt $k exited $rc: $(cat "$T/last.out")";;
			esac
		fi
		[ "$(db "PRAGMA integrity_check")" = ok ] || fail "$VERB: integrity_check after attempt $k"
		ctl status >/dev/null || fail "$VERB: parleyd does not answer after attempt $k"
	done
	expect_rc 0 ctl journal verify
	stop_daemon
	printf '%-20s %4d allocations failed (%d refused, %d dropped, %d absorbed), %d attempts\n' \
		"$VERB:" "$hit" "$refused" "$dropped" "$absorbed" "$k"
}

# A party signs its copy (SignRequest): a fresh agreement once it has.
A=
prep_sign() {
	if [ -z "$A" ] || [ "$(db "SELECT count(*) FROM copy WHERE agreement_id = $A")" != 0 ]; then
		A=$(new_agreement s)
		ctl agreement circulate "$A" >/dev/null || fail "circulate $A"
	fi
}
run_sign() { as baku sign "$A" --yes; }
check_sign() {
	[ "$(db "SELECT count(*) FROM copy WHERE agreement_id = $A AND status = 'valid'")" = 1 ]
}

# The mediator creates an agreement: one more draft, whole.
prep_create() { ndrafts=$(db "SELECT count(*) FROM agreement"); }
run_create() { ctl --json agreement create --title C --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan; }
check_create() {
	[ "$(db "SELECT count(*) FROM agreement")" = $((ndrafts + 1)) ] &&
		[ "$(db "SELECT state FROM agreement ORDER BY id DESC LIMIT 1")" = draft ] &&
		[ "$(db "SELECT count(*) FROM agreement_party WHERE agreement_id =
			(SELECT max(id) FROM agreement)")" = 2 ] &&
		[ "$(db "SELECT count(*) FROM revision WHERE agreement_id =
			(SELECT max(id) FROM agreement)")" = 1 ]
}

# The mediator circulates a draft: a fresh draft once it has.
C=
prep_circulate() {
	if [ -z "$C" ] || [ "$(db "SELECT state FROM agreement WHERE id = $C")" != draft ]; then
		C=$(new_agreement c)
	fi
}
run_circulate() { ctl agreement circulate "$C"; }
check_circulate() {
	[ "$(db "SELECT state FROM agreement WHERE id = $C")" = circulating ] &&
		[ "$(db "SELECT count(*) FROM delivery d JOIN message m ON m.id = d.message_id
			WHERE m.agreement_id = $C")" -ge 2 ]
}

# A party fetches and acknowledges a delivery (Fetch, then Ack): a fresh
# notice once it has been acknowledged.
pending() { db "SELECT count(*) FROM delivery d JOIN endpoint e ON e.id = d.endpoint_id
	JOIN party p ON p.id = e.party_id WHERE p.code = 'baku' AND d.acked_at IS NULL"; }
setup_inbox() { as baku inbox >/dev/null || fail "baku inbox"; }
prep_inbox() {
	[ "$(pending)" != 0 ] || printf "%s" "notice" | ctl notice send baku --text - >/dev/null || fail "notice send"
}
run_inbox() { as baku inbox; }
check_inbox() { [ "$(pending)" = 0 ]; }

walk sign sign
walk "agreement create" create
walk "agreement circulate" circulate
# An Ack alone (ptool: one request, so that what follows it in a client's
# session, a Fetch's push, is not taken for the ack's doing): a fresh notice
# once the oldest pending one is acknowledged.
ACKID=
prep_ack() {
	[ "$(pending)" != 0 ] || printf "%s" "notice" | ctl notice send baku --text - >/dev/null || fail "notice send"
	ACKID=$(db "SELECT min(d.id) FROM delivery d JOIN endpoint e ON e.id = d.endpoint_id
		JOIN party p ON p.id = e.party_id WHERE p.code = 'baku' AND d.acked_at IS NULL")
}
run_ack() {
	ptool ack "$T/baku/client.conf" "$ACKID"
}
check_ack() { [ "$(db "SELECT acked_at IS NOT NULL FROM delivery WHERE id = $ACKID")" = 1 ]; }

MULTI=inbox walk fetch inbox
walk ack ack

# And the daemon, unarmed, is as it was.
start_daemon
expect_out "is released" as yerevan sign "$A" --yes
expect_rc 0 ctl journal verify
[ "$(db "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
echo "alloc_fail: $(($(date +%s) - T0)) s, every ${STEP}th allocation"
pass
