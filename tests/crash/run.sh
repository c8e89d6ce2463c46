#!/bin/bash
# Crash safety (issue 7, section 1; invariants 1, 3 and 4).
#
#   BIN=build tests/crash/run.sh [KILLS]
#
# Scripted multi-party signings (parties a, b, c; party a with two
# endpoints; an observer o; several agreements at once, some with a signing
# deadline and a validity; amendments adopted; withdrawals; notices; acks;
# the virtual clock moved so that timers fire) while parleyd is killed:
#
#   1. at every named fault point (daemon/fault.h), at each hit count of
#      CRASH_HITS (default "1 2 3 5 8"): PARLEYD_CRASH_AT=POINT:N;
#   2. KILLS times (default 1000) at a random moment, by kill -9 from
#      outside after a random delay of 0..CRASH_MAX_DELAY_MS (default 250)
#      while the client loop runs.
#
# After every kill parleyd is restarted (it must start) and checked:
#   - PRAGMA integrity_check is ok, the store is still in WAL mode;
#   - every signed copy whose `parley sign` answered "accepted" is in the
#     store, valid, or withdrawn/superseded only if a withdrawal/adoption was
#     attempted after it was acked;
#   - every acked notice, adopted revision, created/circulated agreement and
#     clock move is still there;
#   - no message queued to a party carries another party's signature
#     before that agreement's release was queued (embargo, invariant 2);
#   - no agreement has two 'release' messages for one party, none has a
#     release message without being released, none is released without a
#     valid copy of its current revision from every signing party (early),
#     and none is circulating although every party has such a copy (lost
#     release); no timer is left unfired before the virtual now;
#   - every endpoint drains its inbox (parley inbox must succeed): afterwards
#     every delivery is acked, every endpoint of every party and observer
#     holds a verified bundle of every released agreement, and no delivery
#     that a successful `parley inbox` acked is ever delivered again;
#   - a sign that got no answer (exit 3: the kill landed while the client
#     waited) is "unknown": it is re-signed now and must succeed (or be
#     refused because the agreement is no longer circulating).
# Then (3.) parleyd must refuse to start on a store that cannot be put in
# WAL mode, and start again once it can.
#
# Environment: CRASH_HITS, CRASH_MAX_DELAY_MS, CRASH_SEED (default: random,
# printed), CRASH_TIME_LIMIT (seconds, default 3600: the run stops by itself
# and fails if it could not do its kills in time), CRASH_POINTS (default:
# all eight), CRASH_MIN_KILLS (fail with fewer kills in all),
# CRASH_SOFT_LIMIT (seconds: past it, stop the random kills early once
# CRASH_MIN_KILLS are done).  Ends with "ok" (integration-test convention).
here=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-build}
. "$here/../integration/lib.sh"
D=$(cd "$here/../data" && pwd)

KILLS=${1:-${CRASH_KILLS:-1000}}
HITS=${CRASH_HITS:-1 2 3 5 8}
POINTS=${CRASH_POINTS:-copy-accepted amendment-adopted release-written delivery-acked timer-fired before-commit after-commit after-replies}
MAX_DELAY=${CRASH_MAX_DELAY_MS:-250}
TIME_LIMIT=${CRASH_TIME_LIMIT:-3600}
SEED=${CRASH_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$SEED
START=$(date +%s)
# bash reports every SIGKILLed daemon ("... Killed parleyd ..."): noise here
exec 2> >(grep --line-buffered -v '^[^ ]*: line [0-9]*: *[0-9]* Killed ' >&2)
echo "crash: seed $SEED, $KILLS random kills, named points at hits: $HITS"

KILLER=
crash_cleanup() {
	[ -n "$KILLER" ] && kill "$KILLER" 2>/dev/null
	chattr -i "$T/state" 2>/dev/null; chmod 700 "$T/state" 2>/dev/null
	unset PARLEYD_CRASH_AT
	cleanup
}
trap crash_cleanup EXIT

M=$T/model
mkdir -p "$M"
: >"$M/acked.sql"; : >"$M/attempts.sql"; : >"$M/facts.sql"

# ---- set-up: three parties, a second endpoint for a, one observer
setup
for p in a b c; do enrol $p; done
enrol o --observer
new_endpoint a2
ctl endpoint add a --cert "$T/a2/endpoint.crt" >/dev/null || fail "endpoint add a2"
EPS="a a2 b c o"
EPA=($EPS)
PA=(a b c)
declare -A EPDIR=()
for e in $EPS; do
	id=$(endpoint_id "$e")
	[ -n "$id" ] || fail "no endpoint row for $e"
	EPDIR[$id]=$e
done
ctl clock set 1995-02-01T00:00:00+04:00 >/dev/null || fail "clock set"

# ---- the model
SEQ=0
OPEN=()            # agreements believed circulating
RESIGN=()          # "A party" signs that got no answer
NOW=0              # virtual now, epoch seconds (from the store at each check)
LAST_CLOCK=0       # latest acked clock move
declare -A SEEN=() # "endpoint:delivery" acked by a successful inbox
declare -A BUNDLE_OK=() # "endpoint:agreement" bundle verified
KILLS_NAMED=0; KILLS_RANDOM=0; KILLS_START=0; UNREACHED=""; UNKNOWN=0
ACKED=0; REFUSED=0; OPS=0; SIGPIPED=""

epoch() { date -u -d "$1" +%s; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S+00:00; }
lastjson() { local l j=; while IFS= read -r l; do [ "${l:0:1}" = "{" ] && j=$l; done <"$1"; printf '%s' "$j"; }

# rc of the op in $T/op.out: 0 acked, 1 refused, 3 unknown; anything else fails.
classify() { # RC WHAT
	OPS=$((OPS + 1))
	case $1 in
	0) ACKED=$((ACKED + 1)) ;;
	1) REFUSED=$((REFUSED + 1))
	   grep -qiE "store|internal|out of memory|commit" "$T/op.out" &&
		fail "$2 refused with a store error: $(cat "$T/op.out")" ;;
	3) UNKNOWN=$((UNKNOWN + 1)) ;;
	141)	# SIGPIPE: the client wrote to a socket the dead daemon had closed.
		# The contract is exit 3; counted, treated as no answer, and the
		# run fails at its end (see SIGPIPED).
		UNKNOWN=$((UNKNOWN + 1)); SIGPIPED="$SIGPIPED; $2" ;;
	*) cat "$T/op.out" >&2; fail "$2 exited $1" ;;
	esac
}

record_sign() { # A P FILE RC
	local j cid rev
	if [ "$4" = 0 ]; then
		j=$(lastjson "$3")
		cid=$(jf "$j" id); : "${cid:=NULL}"
		rev=; [[ $j =~ revision\ ([0-9]+) ]] && rev=${BASH_REMATCH[1]}
		[ -n "$rev" ] || fail "sign $1 by $2: no revision in '$j'"
		echo "INSERT INTO acked VALUES($SEQ, $cid, $1, '$2', $rev);" >>"$M/acked.sql"
	elif [ "$4" = 3 ]; then
		RESIGN+=("$1 $2")
	fi
}

op_sign() { # A P
	SEQ=$((SEQ + 1))
	as "$2" --json sign "$1" --yes >"$T/op.out" 2>&1
	local rc=$?
	classify $rc "sign $1 by $2"
	record_sign "$1" "$2" "$T/op.out" $rc
}

# Every party signs at once: several requests in one group commit.
op_burst() { # A
	local p rc pids=()
	SEQ=$((SEQ + 1))
	for p in a b c; do
		( as $p --json sign "$1" --yes >"$T/burst.$p" 2>&1; echo $? >"$T/burst.$p.rc" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for p in a b c; do
		rc=$(cat "$T/burst.$p.rc")
		cp "$T/burst.$p" "$T/op.out"
		classify "$rc" "burst sign $1 by $p"
		record_sign "$1" $p "$T/burst.$p" "$rc"
	done
}

op_withdraw() { # A P
	SEQ=$((SEQ + 1))
	echo "INSERT INTO wd VALUES($SEQ, $1, '$2');" >>"$M/attempts.sql"
	as "$2" --json withdraw "$1" >"$T/op.out" 2>&1
	classify $? "withdraw $1 by $2"
}

op_amend() { # A P
	local rc am j
	SEQ=$((SEQ + 1))
	{ cat "$D/ceasefire-1994-rev1.txt"; echo "5. Amendment $SEQ."; } >"$T/am.txt"
	as "$2" --json amend "$1" --text "$T/am.txt" >"$T/op.out" 2>&1
	rc=$?; classify $rc "amend $1 by $2"
	[ $rc = 0 ] || return 0
	am=$(jf "$(lastjson "$T/op.out")" id)
	SEQ=$((SEQ + 1))
	echo "INSERT INTO ad VALUES($SEQ, $1);" >>"$M/attempts.sql"
	ctl --json amendment adopt "$am" >"$T/op.out" 2>&1
	rc=$?; classify $rc "adopt $am"
	if [ $rc = 0 ]; then
		j=$(lastjson "$T/op.out")
		echo "INSERT INTO adopted VALUES($1, $(jf "$j" revision));" >>"$M/facts.sql"
	fi
}

op_notice() {
	local rc
	SEQ=$((SEQ + 1))
	printf "%s" "notice $SEQ" | ctl --json notice send all --text - >"$T/op.out" 2>&1
	rc=$?; classify $rc "notice"
	[ $rc = 0 ] || return 0
	for id in $(jget "$(lastjson "$T/op.out")" '.messages[], (.more // [])[]'); do
		echo "INSERT INTO notice VALUES($id);" >>"$M/facts.sql"
	done
}

op_create() {
	local rc id extra=()
	SEQ=$((SEQ + 1))
	case $((RANDOM % 3)) in
	0) extra=(--sign-by "$(iso $((NOW + 36 * 3600)))" --valid-for 2d) ;;
	1) extra=(--observers o) ;;
	esac
	ctl --json agreement create --title "crash $SEQ" --text "$D/ceasefire-1994-rev1.txt" \
		--parties a,b,c "${extra[@]}" >"$T/op.out" 2>&1
	rc=$?; classify $rc "create"
	[ $rc = 0 ] || return 0
	id=$(jf "$(lastjson "$T/op.out")" id)
	echo "INSERT INTO created VALUES($id, 0);" >>"$M/facts.sql"
	ctl --json agreement circulate "$id" >"$T/op.out" 2>&1
	rc=$?; classify $rc "circulate $id"
	if [ $rc = 0 ]; then
		echo "INSERT INTO created VALUES($id, 1);" >>"$M/facts.sql"
		OPEN+=("$id")
	fi
}

op_clock() {
	local rc
	SEQ=$((SEQ + 1))
	ctl --json clock advance 3h >"$T/op.out" 2>&1
	rc=$?; classify $rc "clock advance"
	if [ $rc = 0 ]; then
		LAST_CLOCK=$(epoch "$(jf "$(lastjson "$T/op.out")" time)")
		NOW=$LAST_CLOCK
	fi
}

# A string or number field of a flat JSON object, without a jq process.
jf() { # JSON KEY
	if [[ $1 =~ \"$2\":\"([^\"]*)\" ]] || [[ $1 =~ \"$2\":([0-9a-z]+) ]]; then
		printf '%s' "${BASH_REMATCH[1]}"
	fi
}

# A successful inbox acked everything it lists: none of it may come again.
inbox_ok() { # ENDPOINT FILE
	local j d o k a
	j=$(<"$2")
	while [[ $j =~ \"delivery\":([0-9]+)([^{}]*) ]]; do
		d=${BASH_REMATCH[1]}; o=${BASH_REMATCH[2]}
		j=${j#*"${BASH_REMATCH[0]}"}
		[ -n "${SEEN[$1:$d]:-}" ] && fail "delivery $d to endpoint $1 was acked by a successful inbox and delivered again"
		SEEN[$1:$d]=1
		k=$(jf "$o" kind)
		if [ "$k" = release ]; then
			a=$(jf "$o" agreement)
			[ "$(jf "$o" verified)" = true ] || fail "endpoint $1: the bundle of agreement $a did not verify"
			BUNDLE_OK[$1:$a]=1
		fi
	done
}

op_inbox() { # ENDPOINT
	local rc
	SEQ=$((SEQ + 1))
	"$BIN/parley" -c "$T/$1/client.conf" --json inbox >"$T/op.out" 2>&1
	rc=$?; classify $rc "inbox $1"
	[ $rc = 1 ] && fail "inbox $1 refused: $(cat "$T/op.out")"
	[ $rc = 0 ] && inbox_ok "$1" "$T/op.out"
	return 0
}

op_status() { # A P
	SEQ=$((SEQ + 1))
	as "$2" --json status "$1" >"$T/op.out" 2>&1
	classify $? "status $1 by $2"
}

# One random step; FOCUS makes the fault point's operation likelier.
step() { # FOCUS
	local n=${#OPEN[@]} r A p
	[ "$n" -lt 3 ] && { op_create; return; }
	A=${OPEN[$((RANDOM % n))]}
	p=${PA[$((RANDOM % 3))]}
	r=$((RANDOM % 100))
	case $1 in
	amendment-adopted) [ $r -lt 40 ] && r=62 ;;
	timer-fired) [ $r -lt 40 ] && r=90 ;;
	delivery-acked) [ $r -lt 40 ] && r=72 ;;
	esac
	if   [ $r -lt 38 ]; then op_sign "$A" "$p"
	elif [ $r -lt 48 ]; then op_burst "$A"
	elif [ $r -lt 55 ]; then op_withdraw "$A" "$p"
	elif [ $r -lt 62 ]; then op_create
	elif [ $r -lt 68 ]; then op_amend "$A" "$p"
	elif [ $r -lt 80 ]; then op_inbox "${EPA[$((RANDOM % 5))]}"
	elif [ $r -lt 87 ]; then op_notice
	elif [ $r -lt 94 ]; then op_clock
	else op_status "$A" "$p"
	fi
}

check_log() {
	grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/parleyd.log" &&
		fail "sanitizer report in parleyd.log"
	return 0
}

SQL_HEAD="
CREATE TEMP TABLE acked(seq, cid, ag, party, rev);
CREATE TEMP TABLE wd(seq, ag, party);
CREATE TEMP TABLE ad(seq, ag);
CREATE TEMP TABLE adopted(ag, rev);
CREATE TEMP TABLE notice(id);
CREATE TEMP TABLE created(id, circulated);
CREATE TEMP TABLE rel AS SELECT agreement_id AS ag, party_id AS party, count(*) AS n
  FROM message WHERE kind = 'release' GROUP BY agreement_id, party_id;
CREATE UNIQUE INDEX temp.rel_ag ON rel(ag, party);"

# The store right after a restart.
check_store() {
	local out
	out=$({ echo "$SQL_HEAD"; cat "$M/acked.sql" "$M/attempts.sql" "$M/facts.sql"; cat <<SQL
SELECT 'integrity_check: ' || integrity_check FROM pragma_integrity_check WHERE integrity_check != 'ok';
SELECT 'journal_mode: ' || journal_mode FROM pragma_journal_mode WHERE journal_mode != 'wal';
SELECT 'LOST acked copy: seq ' || k.seq || ' copy ' || ifnull(k.cid, '?') || ' agreement ' || k.ag
  || ' party ' || k.party || ' revision ' || k.rev || ' (in store: '
  || ifnull((SELECT group_concat(c.id || '=' || c.status) FROM copy c JOIN party p ON p.id = c.party_id
     WHERE c.agreement_id = k.ag AND p.code = k.party AND c.revision = k.rev), 'nothing') || ')'
  FROM acked k WHERE NOT EXISTS (SELECT 1 FROM copy c JOIN party p ON p.id = c.party_id
  WHERE c.agreement_id = k.ag AND p.code = k.party AND c.revision = k.rev
  AND (k.cid IS NULL OR c.id = k.cid)
  AND (c.status = 'valid'
    OR (c.status = 'withdrawn' AND EXISTS (SELECT 1 FROM wd w WHERE w.ag = k.ag AND w.party = k.party AND w.seq > k.seq))
    OR (c.status = 'superseded' AND EXISTS (SELECT 1 FROM ad a WHERE a.ag = k.ag AND a.seq > k.seq))));
SELECT 'LOST adopted revision ' || x.rev || ' of agreement ' || x.ag FROM adopted x
  WHERE NOT EXISTS (SELECT 1 FROM revision r WHERE r.agreement_id = x.ag AND r.number = x.rev);
SELECT 'LOST acked notice ' || n.id FROM notice n WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.id = n.id AND m.kind = 'notice');
SELECT 'LOST created agreement ' || x.id FROM created x WHERE NOT EXISTS (SELECT 1 FROM agreement a WHERE a.id = x.id);
SELECT 'LOST circulation of agreement ' || x.id FROM created x JOIN agreement a ON a.id = x.id WHERE x.circulated = 1 AND a.state = 'draft';
SELECT 'DOUBLE release: agreement ' || ag || ' party ' || party || ': ' || n || ' release messages' FROM rel WHERE n > 1;
SELECT 'ORPHAN release message for unreleased agreement ' || a.id FROM rel JOIN agreement a ON a.id = rel.ag
  WHERE a.released_at IS NULL;
SELECT 'MISSING release message: agreement ' || a.id || ' party ' || ap.party_id FROM agreement a
  JOIN agreement_party ap ON ap.agreement_id = a.id WHERE a.released_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM rel WHERE rel.ag = a.id AND rel.party = ap.party_id);
SELECT 'EARLY release: agreement ' || a.id || ' revision ' || a.revision || ' without a valid copy from party ' || ap.party_id
  FROM agreement a JOIN agreement_party ap ON ap.agreement_id = a.id AND ap.observer = 0
  WHERE a.released_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM copy c WHERE c.agreement_id = a.id
  AND c.party_id = ap.party_id AND c.revision = a.revision AND c.status = 'valid');
SELECT 'RELEASE state mismatch: agreement ' || id || ' state ' || state FROM agreement
  WHERE (released_at IS NULL) != (state IN ('draft', 'circulating', 'lapsed', 'withdrawn'));
SELECT 'UNRELEASED: agreement ' || a.id || ' is circulating although every party signed revision ' || a.revision
  FROM agreement a WHERE a.state = 'circulating' AND NOT EXISTS (SELECT 1 FROM agreement_party ap
  WHERE ap.agreement_id = a.id AND ap.observer = 0 AND NOT EXISTS (SELECT 1 FROM copy c WHERE c.agreement_id = a.id
  AND c.party_id = ap.party_id AND c.revision = a.revision AND c.status = 'valid'));
SELECT 'TWO valid copies: agreement ' || agreement_id || ' party ' || party_id || ' revision ' || revision FROM copy
  WHERE status = 'valid' GROUP BY agreement_id, party_id, revision HAVING count(*) > 1;
SELECT 'TIMER ' || id || ' (' || kind || ') due ' || due_at || ' not fired at virtual now ' || v.value
  FROM timer, meta v WHERE v.key = 'virtual_now' AND fired_at IS NULL AND due_at <= CAST(v.value AS INTEGER);
SELECT 'CLOCK went back: virtual now ' || value || ' < acked $LAST_CLOCK' FROM meta WHERE key = 'virtual_now'
  AND CAST(value AS INTEGER) < $LAST_CLOCK;
SQL
	} | db 2>&1)
	[ -z "$out" ] || { echo "$out" | head -n 20 >&2; fail "store check after kill $(( KILLS_NAMED + KILLS_RANDOM + KILLS_START ))"; }
}

# Embargo (invariant 2) on everything parleyd queued since the last check: no
# message to a party carries another party's signature unless that
# agreement's release was queued before it.
EMB_LAST=0
check_embargo() {
	local out top
	top=$(db "SELECT ifnull(max(id), 0) FROM message")
	out=$(db "CREATE TEMP TABLE first AS SELECT agreement_id AS ag, min(id) AS id FROM message
			WHERE kind = 'release' GROUP BY agreement_id;
		CREATE UNIQUE INDEX temp.first_ag ON first(ag);
		SELECT 'EMBARGO: message ' || m.id || ' (' || m.kind || ') to party ' || m.party_id
		|| ' carries the signature of party ' || c.party_id || ' on agreement ' || c.agreement_id
		FROM message m JOIN payload b ON b.id = m.payload_id
		JOIN copy c ON c.party_id != m.party_id LEFT JOIN first f ON f.ag = c.agreement_id
		WHERE m.id > $EMB_LAST AND m.id <= $top AND m.id < ifnull(f.id, $top + 1)
		AND instr(b.body, c.signature) > 0 LIMIT 5")
	[ -z "$out" ] || { echo "$out" >&2; fail "embargo broken"; }
	EMB_LAST=$top
}

# Drain every endpoint, then: every delivery acked, every bundle held.
check_deliveries() {
	local e out A eid
	for e in $EPS; do
		"$BIN/parley" -c "$T/$e/client.conf" --json inbox >"$T/op.out" 2>&1 ||
			{ cat "$T/op.out" >&2; fail "inbox $e after restart"; }
		inbox_ok "$e" "$T/op.out"
	done
	out=$(db "SELECT 'UNACKED delivery ' || d.id || ' (' || m.kind || ') to endpoint ' || d.endpoint_id
		FROM delivery d JOIN message m ON m.id = d.message_id JOIN endpoint e ON e.id = d.endpoint_id
		WHERE d.acked_at IS NULL AND e.removed_at IS NULL;
		SELECT 'NO DELIVERY of release message ' || m.id || ' to endpoint ' || e.id FROM message m
		JOIN endpoint e ON e.party_id = m.party_id AND e.removed_at IS NULL WHERE m.kind = 'release'
		AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = m.id AND d.endpoint_id = e.id);")
	[ -z "$out" ] || { echo "$out" | head -n 20 >&2; fail "delivery check"; }
	while read -r A eid; do
		e=${EPDIR[$eid]}
		[ -n "${BUNDLE_OK[$e:$A]:-}" ] && continue
		# acked by an inbox that got no answer before the kill: the bundle
		# was saved (and verified) before the ack was sent
		"$BIN/parley" -c "$T/$e/client.conf" verify "$T/$e/bundles/$A" >"$T/op.out" 2>&1 ||
			{ cat "$T/op.out" >&2; fail "endpoint $e holds no verified bundle of released agreement $A"; }
		BUNDLE_OK[$e:$A]=1
	done < <(db "SELECT m.agreement_id || ' ' || d.endpoint_id FROM delivery d JOIN message m ON m.id = d.message_id WHERE m.kind = 'release'")
}

# After a restart: check, finish what was left unknown, refresh the model.
after_restart() {
	local x A p st
	check_log
	check_store
	# drafts whose circulation got no answer
	for A in $(db "SELECT id FROM agreement WHERE state = 'draft'"); do
		ctl agreement circulate "$A" >"$T/op.out" 2>&1 || { cat "$T/op.out" >&2; fail "circulate $A after restart"; }
		echo "INSERT INTO created VALUES($A, 1);" >>"$M/facts.sql"
	done
	# signs that got no answer: sign again
	for x in "${RESIGN[@]}"; do
		read -r A p <<<"$x"
		st=$(db "SELECT state FROM agreement WHERE id = $A")
		SEQ=$((SEQ + 1))
		as "$p" --json sign "$A" --yes >"$T/op.out" 2>&1
		rc=$?
		if [ "$st" = circulating ]; then
			[ $rc = 0 ] || { cat "$T/op.out" >&2; fail "re-sign of $A by $p after restart exited $rc"; }
		else
			[ $rc = 1 ] || { cat "$T/op.out" >&2; fail "re-sign of $st agreement $A by $p exited $rc"; }
		fi
		record_sign "$A" "$p" "$T/op.out" $rc
	done
	RESIGN=()
	check_store
	check_embargo
	check_deliveries
	mapfile -t OPEN < <(db "SELECT id FROM agreement WHERE state = 'circulating' ORDER BY id DESC LIMIT 4")
	NOW=$(db "SELECT value FROM meta WHERE key = 'virtual_now'")
	: "${NOW:=0}"
}

# Start parleyd with a fault armed; it may die before it is ready.
start_armed() { # POINT:N
	PARLEYD_CRASH_AT=$1 "$BIN/parleyd" -c "$T/parleyd.conf" >>"$T/parleyd.log" 2>&1 &
	PARLEYD_PID=$!
	local i=0
	while ! ctl status >/dev/null 2>&1; do
		daemon_alive || return 0
		i=$((i + 1)); [ $i -gt 200 ] && fail "armed parleyd did not become ready"
		sleep 0.05
	done
}

# Reap a dead parleyd; it must have died by SIGKILL (ours or the fault's).
reap() { # WHAT
	local rc
	wait "$PARLEYD_PID" 2>/dev/null
	rc=$?
	PARLEYD_PID=
	[ $rc = 137 ] || fail "$1: parleyd exited $rc, not by SIGKILL (a crash of its own?)"
}

progress() {
	echo "  kills: $KILLS_NAMED at named points ($KILLS_START at start-up), $KILLS_RANDOM at random moments;" \
		"ops $OPS (acked $ACKED, refused $REFUSED, no answer $UNKNOWN);" \
		"$(db "SELECT count(*) FROM copy") copies, $(db "SELECT count(*) FROM agreement WHERE released_at IS NOT NULL") releases;" \
		"$(( $(date +%s) - START ))s"
}

over_time() { [ $(( $(date +%s) - START )) -ge "$TIME_LIMIT" ]; }

after_restart

# ---- 1. every named point at every hit count
for P in $POINTS; do
	reached=0
	for N in $HITS; do
		over_time && fail "time limit of ${TIME_LIMIT}s reached in the named points"
		stop_daemon
		mark=$(grep -c "fault injection: crashing at $P" "$T/parleyd.log")
		start_armed "$P:$N"
		i=0
		while daemon_alive && [ $i -lt 150 ]; do step "$P"; i=$((i + 1)); done
		if daemon_alive; then
			stop_daemon     # not reached in 150 steps: stop cleanly
			start_daemon
			UNREACHED="$UNREACHED $P:$N"
		else
			reap "$P:$N"
			[ "$(grep -c "fault injection: crashing at $P" "$T/parleyd.log")" -gt "$mark" ] ||
				fail "$P:$N: parleyd died without reaching the fault point"
			if [ $i = 0 ]; then KILLS_START=$((KILLS_START + 1)); else KILLS_NAMED=$((KILLS_NAMED + 1)); fi
			reached=1
			start_daemon
		fi
		after_restart
	done
	[ $reached = 1 ] || fail "fault point $P was never reached"
done
echo "named points done:$( [ -n "$UNREACHED" ] && echo " not reached at$UNREACHED" || echo " all reached")"
progress

# ---- 2. random moments
while [ $KILLS_RANDOM -lt "$KILLS" ]; do
	if [ -n "${CRASH_SOFT_LIMIT:-}" ] && [ $(( $(date +%s) - START )) -ge "$CRASH_SOFT_LIMIT" ] &&
		[ $((KILLS_NAMED + KILLS_START + KILLS_RANDOM)) -ge "${CRASH_MIN_KILLS:-0}" ]; then
		echo "crash: time budget of ${CRASH_SOFT_LIMIT}s spent: stopping after $KILLS_RANDOM of $KILLS random kills"
		break
	fi
	over_time && fail "time limit of ${TIME_LIMIT}s reached after $KILLS_RANDOM random kills"
	delay=$((RANDOM % (MAX_DELAY + 1)))
	pid=$PARLEYD_PID
	( sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"; kill -9 "$pid" 2>/dev/null ) &
	KILLER=$!
	while daemon_alive; do step random; done
	wait "$KILLER"; KILLER=
	reap "random kill after ${delay}ms"
	KILLS_RANDOM=$((KILLS_RANDOM + 1))
	start_daemon
	after_restart
	[ $((KILLS_RANDOM % 50)) = 0 ] && progress
done

progress

# ---- 3. parleyd refuses a store that is not in WAL mode.  The store is put
# back in rollback-journal mode and its directory made read-only (chattr +i:
# root ignores permissions; chmod where that is enough), so that SQLite
# cannot create the -wal and -shm files and journal_mode=WAL does not take.
# Where neither works (tmpfs as root), a directory in the place of the -wal
# file makes the store unusable instead.  synchronous=FULL is a setting of
# parleyd's own connection: it cannot be denied from outside.
# With the record in PostgreSQL the SQLite file is a working copy made
# anew at each start: there is no such store to refuse.
if pg_mode; then
	echo "crash: (record in PostgreSQL: the SQLite WAL refusal does not apply)"
else
stop_daemon
db "PRAGMA journal_mode=DELETE" >/dev/null
how=
if chattr +i "$T/state" 2>/dev/null; then how="chattr +i"
elif chmod 555 "$T/state" && ! touch "$T/state/.w" 2>/dev/null; then how="chmod 555"
else chmod 700 "$T/state"; rm -f "$T/state/.w"; mkdir "$T/state/parley.db-wal"; how="a directory at parley.db-wal"
fi
timeout 20 "$BIN/parleyd" -c "$T/parleyd.conf" >"$T/refuse.out" 2>&1 && fail "parleyd started on a store that cannot be in WAL mode ($how)"
chattr -i "$T/state" 2>/dev/null; chmod 700 "$T/state"; rmdir "$T/state/parley.db-wal" 2>/dev/null
case $how in
*directory*) grep -q "cannot use store" "$T/refuse.out" || fail "refusal: $(cat "$T/refuse.out")" ;;
*) grep -q "is not in WAL mode with synchronous=FULL" "$T/refuse.out" || fail "refusal: $(cat "$T/refuse.out")" ;;
esac
echo "crash: parleyd refuses a store that cannot be in WAL mode ($how): $(tail -n 1 "$T/refuse.out")"
start_daemon
[ "$(db "PRAGMA journal_mode")" = wal ] || fail "the store is not back in WAL mode"
[ "$(db "PRAGMA integrity_check")" = ok ] || fail "integrity_check after the refusal"
fi

[ -z "$SIGPIPED" ] || fail "clients died of SIGPIPE (exit 141) instead of exiting 3 when parleyd was killed:${SIGPIPED#;} (parleyctl does not ignore SIGPIPE: clients/parleyctl.c main() needs signal(SIGPIPE, SIG_IGN) as parley.c has)"
[ $((KILLS_NAMED + KILLS_START + KILLS_RANDOM)) -ge "${CRASH_MIN_KILLS:-0}" ] ||
	fail "only $((KILLS_NAMED + KILLS_START + KILLS_RANDOM)) kills, fewer than $CRASH_MIN_KILLS"
echo "crash: $((KILLS_NAMED + KILLS_START + KILLS_RANDOM)) kills survived" \
	"($KILLS_NAMED named in flight, $KILLS_START named at start-up, $KILLS_RANDOM random)," \
	"seed $SEED, $(( $(date +%s) - START ))s"
pass
