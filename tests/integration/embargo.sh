# The embargo property test (invariants 1, 2 and 4), shared by
# t_embargo_property.sh (parleyd runs undisturbed) and t_embargo_kills.sh
# (parleyd is killed at every named fault point and at random moments, and
# restarted).  A test sets EMB_KILLS (0 or 1), EMB_SEEDS and EMB_STEPS,
# sources this file and calls emb_run.
#
# Parties p1..p5 (p1 with a second endpoint, p1b) and an observer o.  Each
# seed creates one agreement among 3-5 of the parties (with or without the
# observer, progress disclosure and a signing deadline, drawn from the seed)
# and plays EMB_STEPS random steps: sign, a non-identical copy, withdraw,
# amend + adopt (first half only, so that releases happen), several parties
# signing at once, the virtual clock moving (timers fire, deadlines lapse),
# and read requests (show, status, journal); every five steps an endpoint in
# turn reads the record (the agreement's, once a seed all of it).  After
# every step every endpoint drains its inbox and
#   - embargo: every byte any endpoint has received so far, in any frame on
#     any connection (clients log what they read with PARLEY_TEST_RXLOG), is
#     searched for every signature in the store that is not its own party's;
#     one is allowed only once the agreement it signs was released to that
#     endpoint's party (or observer) and only if it is one of the released
#     signatures.  Non-members never, lapsed agreements never, superseded,
#     withdrawn and non-identical copies never.  And for what the record
#     says of another party's signing: SHA-256 of every signature, the
#     content hash of every non-identical copy, and the journal's entries
#     of a copy accepted or refused, a signature withdrawn or void; these
#     are allowed to members once the agreement was released, or from the
#     start when it discloses progress (check_embargo);
#   - release: the agreement is in force exactly when the model says every
#     party holds a copy of the current revision, its release time never
#     changes, and the store has one release message per member, a
#     certificate whose signatures are the valid copies of its revision;
# after every restart PRAGMA integrity_check and the same checks; at the end
# every member endpoint of every released agreement holds its bundle,
# received by delivery, and `parley verify` accepts it offline.
#
# With EMB_KILLS=1, parleyd is armed (PARLEYD_CRASH_AT) at each start with
# the next entry of a fixed schedule: every named point, several times, at
# hit counts drawn from the schedule's own seed, so kills land at different
# moments; an entry not reached within EMB_STALE steps is dropped by a clean
# restart.  Some steps also kill parleyd from outside between steps or while
# the step's client runs.  A request that got no answer (exit 3) may or may
# not have taken effect: the test asks the store's public view (agreement
# show, amendment list), checks that it is one of the two outcomes, adopts
# it, and retries what did not happen.
#
# Determinism: the steps are drawn from the seeds (four draws per step,
# whatever happens); where a kill from outside lands, and so how a step
# ends, depends on timing.  Time moves by the virtual clock only.
EMB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$EMB_DIR/lib.sh"
D=$(cd "$EMB_DIR/../data" && pwd)
EMB_KILLS=${EMB_KILLS:-0}
EMB_STEPS=${EMB_STEPS:-30}
EMB_SEEDS=${EMB_SEEDS:-11 23 37 41 53 67}
EMB_STALE=${EMB_STALE:-12}
POINTS="copy-accepted amendment-adopted release-written delivery-acked timer-fired before-commit after-commit after-replies"
START=$(date +%s)

ALLP=(p1 p2 p3 p4 p5)
EPS="p1 p1b p2 p3 p4 p5 o"
declare -A EPARTY=([p1]=p1 [p1b]=p1 [p2]=p2 [p3]=p3 [p4]=p4 [p5]=p5 [o]=o)
RXLOG_DIR=$T/rx          # lib.sh's `as` logs every byte a client reads here
mkdir -p "$RXLOG_DIR"

epoch() { date -u -d "$1" +%s; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S+00:00; }

# ---- parleyd's life: starts (armed in kill mode), deaths, restarts

SCHED=(); SCHED_I=0; ARMED=; ARMED_AT=0; ARMED_I=-1
declare -A KBY=()              # named kills by point
KILLS_OUT=0; KILLS_START=0     # kills from outside; named kills during start-up
UNREACHED=; CRASHES_SEEN=0; RESTARTS=0; STEP_NO=0

# The kill schedule: every point, rounds times, at hit counts that make the
# kill land early or late in the daemon's life.  The frequent points (every
# connection commits: the countersignature) get wider ranges.
emb_schedule() { # ROUNDS SEED
	local r P N save=$RANDOM
	RANDOM=$2
	for r in $(seq "$1"); do
		for P in $POINTS; do
			case $P in
			before-commit|after-commit|after-replies) N=$((1 + RANDOM % 12)) ;;
			delivery-acked) N=$((1 + RANDOM % 4)) ;;
			timer-fired) N=$((1 + RANDOM % 3)) ;;
			*) N=$((1 + (r - 1) % 2)) ;;
			esac
			SCHED+=("$P:$N")
		done
	done
	RANDOM=$save
}

# Start parleyd, in kill mode armed with the current schedule entry (the
# same again after a kill from outside: its hit count starts over); a fault
# that fires while it starts (timers due, the first commits) is a kill too.
emb_start() {
	local i
	while :; do
		ARMED=
		if [ "$EMB_KILLS" = 1 ] && [ "$SCHED_I" -lt ${#SCHED[@]} ]; then
			ARMED=${SCHED[$SCHED_I]}
		fi
		[ "$ARMED_I" = "$SCHED_I" ] || { ARMED_I=$SCHED_I; ARMED_AT=$STEP_NO; }
		PARLEYD_CRASH_AT=$ARMED "$BIN/parleyd" -c "$T/parleyd.conf" >>"$T/parleyd.log" 2>&1 &
		PARLEYD_PID=$!
		RESTARTS=$((RESTARTS + 1))
		i=0
		while ! ctl status >/dev/null 2>&1; do
			daemon_alive || break
			i=$((i + 1)); [ $i -gt 2000 ] && fail "parleyd did not become ready"
			sleep 0.01
		done
		daemon_alive && return 0
		emb_reap start
		[ $LAST_NAMED = 1 ] && KILLS_START=$((KILLS_START + 1))
	done
}

# Reap a dead parleyd: it must have died by SIGKILL, a fault's or ours.
emb_reap() { # WHEN
	local rc n P
	wait "$PARLEYD_PID" 2>/dev/null
	rc=$?
	PARLEYD_PID=
	[ $rc = 137 ] || fail "parleyd exited $rc ($1), not by SIGKILL: a crash of its own?"
	n=$(grep -c "fault injection: crashing at" "$T/parleyd.log")
	if [ "$n" -gt "$CRASHES_SEEN" ]; then
		P=$(grep "fault injection: crashing at" "$T/parleyd.log" | tail -n 1 | sed 's/.*crashing at //')
		[ "$P" = "${ARMED%%:*}" ] || fail "crashed at $P, armed at $ARMED"
		KBY[$P]=$(( ${KBY[$P]:-0} + 1 ))
		LAST_NAMED=1
		SCHED_I=$((SCHED_I + 1))     # done: the next start arms the next entry
	else
		LAST_NAMED=0
		[ -n "${KILLER:-}" ] || fail "parleyd died of SIGKILL that nobody sent"
		KILLS_OUT=$((KILLS_OUT + 1))
	fi
	CRASHES_SEEN=$n
}

# parleyd died: reap it, start it again, check everything.
emb_died() {
	emb_reap "step $STEP_NO"
	emb_start
	emb_after_restart
}

# Kill mode: an armed point not reached for EMB_STALE steps gives way to the
# next one (clean stop: it must exit 0).
emb_rearm_if_stale() {
	[ "$EMB_KILLS" = 1 ] && [ -n "$ARMED" ] || return 0
	[ $((STEP_NO - ARMED_AT)) -ge "$EMB_STALE" ] || return 0
	UNREACHED="$UNREACHED $ARMED"
	SCHED_I=$((SCHED_I + 1))
	stop_daemon
	emb_start
	emb_after_restart
}

# Run a client command with its output in $T/out; RC is its exit status,
# 3 when parleyd died meanwhile without answering (it is restarted and
# checked before this returns).  Any other failure of the command fails.
try() {
	local i
	"$@" >"$T/out" 2>&1
	RC=$?
	if [ $RC != 0 ] && [ $RC != 1 ] && [ $RC != 2 ]; then
		# the daemon may still be on its way out (sockets close first)
		i=0; while daemon_alive && [ $i -lt 40 ]; do sleep 0.025; i=$((i + 1)); done
		daemon_alive && { cat "$T/out" >&2; fail "step $STEP_NO: '$*' exited $RC but parleyd is alive"; }
		# exit 3 is the contract when parleyd dies mid-request (not SIGPIPE)
		[ $RC = 3 ] || { cat "$T/out" >&2; fail "step $STEP_NO: '$*' exited $RC when parleyd died"; }
	fi
	[ $RC = 2 ] && { cat "$T/out" >&2; fail "step $STEP_NO: '$*': bad usage"; }
	daemon_alive || { cp "$T/out" "$T/out.died"; emb_died; cp "$T/out.died" "$T/out"; }
	return 0
}

# The same until it got an answer (read requests, retried after a kill).
try_answered() {
	local k
	for k in 1 2 3 4 5 6; do
		try "$@"
		[ $RC != 3 ] && return 0
	done
	fail "step $STEP_NO: '$*' got no answer six times"
}

# ---- the model of the current seed's agreement

A=; MEMBERS=; NMEM=0; OBSERVED=0; SIGN_BY=0; NOW=0
REV=1; RELEASED=0; LAPSED=0
declare -A SIGNED=()
declare -A REL_AT=()            # agreement -> released_at (never changes)
declare -A MEMBER_EPS=()        # agreement -> endpoints that must get its bundle
RELEASES=0; UNKNOWN=0; TOOK=0; DIDNT=0; STEPS_DONE=0; DRAINS=0

# p1 acts from either of its endpoints (both with a registered signer key).
EP_FLIP=0
ep_of() { # PARTY
	if [ "$1" = p1 ]; then EP_FLIP=$((1 - EP_FLIP)); [ $EP_FLIP = 1 ] && { echo p1b; return; }; fi
	echo "$1"
}

all_signed() {
	local q
	for q in $MEMBERS; do [ "${SIGNED[$q]:-0}" = 1 ] || return 1; done
	return 0
}

# The agreement as the mediator sees it: OBS_STATE OBS_REV OBS_SIGNED OBS_REL.
observe() {
	try_answered ctl --json agreement show "$A"
	eval "$(jq -r '@sh "OBS_STATE=\(.state) OBS_REV=\(.revision) OBS_REL=\(.released_at // "")",
		@sh "OBS_SIGNED=\([.parties[] | select(.signed) | .party] | join(" "))"' "$T/out")"
}

obs_signed() { case " $OBS_SIGNED " in *" $1 "*) return 0 ;; esac; return 1; }

# After an answerless request: the store shows one of the two outcomes.
# Adopt what it shows; 0 when the request took effect.
took_effect() { # WHAT BEFORE-SIGNED AFTER-SIGNED [BEFORE-REV AFTER-REV]
	local q was
	UNKNOWN=$((UNKNOWN + 1))
	observe
	was=0
	if [ "$OBS_REV" = "${5:-$REV}" ] && [ "$(echo $OBS_SIGNED)" = "$(echo $3)" ]; then was=1
	elif [ "$OBS_REV" = "${4:-$REV}" ] && [ "$(echo $OBS_SIGNED)" = "$(echo $2)" ]; then was=0
	else fail "step $STEP_NO: after $1 got no answer, revision $OBS_REV signed by '$OBS_SIGNED': neither before (rev ${4:-$REV}: '$2') nor after (rev ${5:-$REV}: '$3')"
	fi
	# adopt
	REV=$OBS_REV; SIGNED=()
	for q in $OBS_SIGNED; do SIGNED[$q]=1; done
	if [ $was = 1 ]; then TOOK=$((TOOK + 1)); else DIDNT=$((DIDNT + 1)); fi
	[ $was = 1 ]
}

signed_list() { local q l=; for q in $MEMBERS; do [ "${SIGNED[$q]:-0}" = 1 ] && l="$l $q"; done; echo $l; }
signed_plus() { local q l=; for q in $MEMBERS; do { [ "${SIGNED[$q]:-0}" = 1 ] || [ $q = "$1" ]; } && l="$l $q"; done; echo $l; }
signed_minus() { local q l=; for q in $MEMBERS; do [ "${SIGNED[$q]:-0}" = 1 ] && [ $q != "$1" ] && l="$l $q"; done; echo $l; }
open_model() { [ $RELEASED = 0 ] && [ $LAPSED = 0 ]; }

# A sign request's answer (in $T/out, exit RC) against the model.
judge_sign() { # PARTY
	local rel=0
	grep -q "every party has signed: agreement" "$T/out" && rel=1
	if ! open_model; then
		[ $RC = 1 ] || { cat "$T/out" >&2; fail "step $STEP_NO: $1 signed a closed agreement (exit $RC)"; }
		return 0
	fi
	[ $RC = 0 ] || { cat "$T/out" >&2; fail "step $STEP_NO: sign by $1 exited $RC"; }
	SIGNED[$1]=1
	if all_signed; then
		# the answer to the copy that completed the set says so
		[ $rel = 1 ] || fail "step $STEP_NO: no release when every party had signed"
		RELEASED=1
	else
		[ $rel = 0 ] || fail "step $STEP_NO: released early, by $1's copy"
	fi
}

# Sign until answered; an answerless sign is resolved from the store.
do_sign() { # PARTY
	local k before after
	for k in 1 2 3 4 5 6; do
		before=$(signed_list); after=$(signed_plus "$1")
		# every third copy carries a reservation, a needle of check_embargo
		if [ $((STEP_NO % 3)) = 0 ]; then
			printf 'reservation %s of %s: clause 2 reads otherwise\n' "$SEED.$STEP_NO" "$1" >"$T/resv"
			try as "$(ep_of "$1")" --json sign "$A" --yes --reservation "$T/resv"
		else
			try as "$(ep_of "$1")" --json sign "$A" --yes
		fi
		[ $RC != 3 ] && { judge_sign "$1"; return 0; }
		open_model || { observe; return 0; }
		took_effect "sign by $1" "$before" "$after"
		all_signed && RELEASED=1
		[ $RELEASED = 1 ] && return 0
		# the client retries what did not happen (and what did: harmless)
	done
	fail "step $STEP_NO: sign by $1 got no answer six times"
}

# Several parties sign at once (one group commit, usually).  A party that
# had signed may be refused when another's copy released the agreement.
do_burst() { # PARTIES...
	local q rc pids=() rels=0 refused=0 unknown=()
	for q in "$@"; do
		( as "$(ep_of "$q")" --json sign "$A" --yes >"$T/burst.$q" 2>&1; echo $? >"$T/burst.$q.rc" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	daemon_alive || emb_died
	for q in "$@"; do
		rc=$(cat "$T/burst.$q.rc")
		case $rc in
		0)	open_model || fail "step $STEP_NO: burst sign by $q of a closed agreement accepted"
			SIGNED[$q]=1
			grep -q "every party has signed: agreement" "$T/burst.$q" && rels=$((rels + 1)) ;;
		1)	open_model || continue
			grep -q "already released" "$T/burst.$q" || { cat "$T/burst.$q" >&2; fail "step $STEP_NO: burst sign by $q refused"; }
			refused=$((refused + 1)) ;;
		3) unknown+=("$q") ;;
		*) cat "$T/burst.$q" >&2; fail "step $STEP_NO: burst sign by $q exited $rc" ;;
		esac
	done
	open_model || return 0
	[ $rels -le 1 ] || fail "step $STEP_NO: $rels answers of one burst say they released"
	if [ $rels = 1 ]; then
		all_signed || fail "step $STEP_NO: a burst released without copies of $(signed_list) only"
		RELEASED=1
	elif [ ${#unknown[@]} = 0 ]; then
		[ $refused = 0 ] || fail "step $STEP_NO: burst signs refused as released, and no answer released"
		all_signed && fail "step $STEP_NO: a burst completed the copies and no answer says released"
	fi
	# Answerless copies may have been committed with their answers lost
	# (the kill came after the commit, before the replies were written):
	# adopt what the store shows of all of them before any is sent again,
	# or the retry that completes the set would look early.
	if [ ${#unknown[@]} -gt 0 ]; then
		observe
		for q in "${unknown[@]}"; do obs_signed "$q" && SIGNED[$q]=1; done
		if [ -n "$OBS_REL" ]; then
			all_signed || fail "step $STEP_NO: released with copies of $(signed_list) only"
			RELEASED=1
			return 0
		fi
	fi
	for q in "${unknown[@]}"; do [ "${SIGNED[$q]:-0}" = 1 ] || do_sign "$q"; done
}

do_withdraw() { # PARTY
	local k before after
	for k in 1 2 3 4 5 6; do
		before=$(signed_list); after=$(signed_minus "$1")
		try as "$(ep_of "$1")" --json withdraw "$A"
		if [ $RC != 3 ]; then
			if open_model && [ "${SIGNED[$1]:-0}" = 1 ]; then
				[ $RC = 0 ] || { cat "$T/out" >&2; fail "step $STEP_NO: withdraw by $1 exited $RC"; }
				SIGNED[$1]=0
			else
				[ $RC = 1 ] || fail "step $STEP_NO: withdraw by $1 (not signed or closed) exited $RC"
			fi
			return 0
		fi
		open_model || return 0
		took_effect "withdraw by $1" "$before" "$after" && return 0
		[ "${SIGNED[$1]:-0}" = 1 ] || return 0
	done
	fail "step $STEP_NO: withdraw by $1 got no answer six times"
}

# A party declines the current revision with a reason only the mediator
# reads before release (a needle of check_embargo).  Whether it may is
# read from the store (the model keeps copies, not declines): a party that
# has signed, or has an open decline of this revision, is refused, as is
# any decline of a closed agreement.
do_decline() { # PARTY
	local k open
	for k in 1 2 3 4 5 6; do
		open=$(db "SELECT count(*) FROM decline d JOIN party x ON x.id = d.party_id
			WHERE d.agreement_id = $A AND x.code = '$1' AND d.revision = $REV
			AND d.withdrawn_at IS NULL")
		try as "$(ep_of "$1")" --json decline "$A" --reason "reason $SEED.$STEP_NO of $1: clause 2"
		[ $RC = 3 ] && continue
		DECLINES=$((DECLINES + 1)); [ $RC = 0 ] && DECLINED=$((DECLINED + 1))
		if ! open_model || [ "${SIGNED[$1]:-0}" = 1 ] || [ "$open" != 0 ]; then
			[ $RC = 1 ] || { cat "$T/out" >&2; fail "step $STEP_NO: decline by $1 (signed, declined or closed) exited $RC"; }
		else
			[ $RC = 0 ] || { cat "$T/out" >&2; fail "step $STEP_NO: decline by $1 exited $RC"; }
		fi
		return 0
	done
	fail "step $STEP_NO: decline by $1 got no answer six times"
}

# A party proposes an amendment and the mediator adopts it: revision + 1,
# every signature superseded.
do_amend() { # PARTY NOTE
	local k am=
	if ! open_model; then
		try_answered as "$1" --json amend "$A" --text "$D/ceasefire-1994-rev2.txt"
		[ $RC = 1 ] || fail "step $STEP_NO: amendment of a closed agreement exited $RC"
		return 0
	fi
	{ cat "$D/ceasefire-1994-rev1.txt"; echo "5. $2."; } >"$T/am.txt"
	for k in 1 2 3 4 5 6; do
		try as "$1" --json amend "$A" --text "$T/am.txt" --note "$2"
		[ $RC = 0 ] && { am=$(jq -r .id "$T/out"); break; }
		[ $RC = 3 ] || { cat "$T/out" >&2; fail "step $STEP_NO: amend by $1 exited $RC"; }
		UNKNOWN=$((UNKNOWN + 1))
		try_answered ctl --json amendment list "$A"
		am=$(jq -r --arg n "$2" '[.amendments[] | select(.note == $n and .state == "proposed") | .id] | first // empty' "$T/out")
		if [ -n "$am" ]; then TOOK=$((TOOK + 1)); break; fi
		DIDNT=$((DIDNT + 1))
	done
	[ -n "$am" ] || fail "step $STEP_NO: amend by $1 got no answer six times"
	for k in 1 2 3 4 5 6; do
		try ctl --json amendment adopt "$am"
		if [ $RC = 0 ]; then
			[ "$(jq -r .revision "$T/out")" = $((REV + 1)) ] || fail "step $STEP_NO: adopted as $(jq -r .revision "$T/out"), model says $((REV + 1))"
			REV=$((REV + 1)); SIGNED=(); return 0
		fi
		[ $RC = 3 ] || { cat "$T/out" >&2; fail "step $STEP_NO: adopt $am exited $RC"; }
		took_effect "adopt $am" "$(signed_list)" "" "$REV" $((REV + 1)) && return 0
	done
	fail "step $STEP_NO: adopt $am got no answer six times"
}

do_clock() {
	local k t
	for k in 1 2 3 4 5 6; do
		try ctl --json clock advance 1h
		if [ $RC = 0 ]; then NOW=$(epoch "$(jq -r .time "$T/out")"); return 0; fi
		[ $RC = 3 ] || fail "step $STEP_NO: clock advance exited $RC"
		UNKNOWN=$((UNKNOWN + 1))
		t=$(db "SELECT value FROM meta WHERE key = 'virtual_now'")
		if [ "$t" = $((NOW + 3600)) ]; then TOOK=$((TOOK + 1)); NOW=$t; return 0; fi
		[ "$t" = "$NOW" ] || fail "step $STEP_NO: virtual now $t after a clock advance from $NOW"
		DIDNT=$((DIDNT + 1))
	done
	fail "step $STEP_NO: clock advance got no answer six times"
}

# ---- the checks

# Every endpoint with a delivery waiting fetches and acks it (and the
# endpoint that acted this step, whose connection may have been cut before it
# drained); a released bundle that arrives is saved and verified by parley
# itself.  Every other endpoint connects often enough by its own steps.
declare -A EPNAME=()     # endpoint id -> endpoint directory name
drain() { # [ENDPOINT...]
	local e k want
	for k in 1 2 3 4 5 6; do
		want=" $* "
		for e in $(db "SELECT DISTINCT endpoint_id FROM delivery WHERE acked_at IS NULL"); do
			[ -n "${EPNAME[$e]:-}" ] || fail "a delivery to unknown endpoint $e"
			want="$want${EPNAME[$e]} "
		done
		[ -z "${want// /}" ] && return 0
		for e in $EPS; do
			case $want in *" $e "*) ;; *) continue ;; esac
			try_answered as "$e" --json inbox
			[ $RC = 0 ] || { cat "$T/out" >&2; fail "step $STEP_NO: inbox of $e refused"; }
			DRAINS=$((DRAINS + 1))
			if grep -q '"kind":"release"' "$T/out"; then
				jq -e '[.deliveries[] | select(.kind == "release" and .verified != true)] | length == 0' "$T/out" >/dev/null ||
					fail "step $STEP_NO: a bundle delivered to $e did not verify: $(cat "$T/out")"
			fi
		done
		set --
	done
	fail "step $STEP_NO: deliveries still pending after six rounds of inboxes"
}

# The byte search.  For each endpoint, PREV is how far its received bytes
# were searched at the previous check; each check searches the new bytes
# (from 127 before PREV: a needle may straddle; 128 is a signature in hex)
# for every old needle under embargo, and all bytes for every new one.
# The needles, of every copy (and every signing entry in the record) of a
# party other than the endpoint's:
#   - the signature, raw and in hex of either case: allowed to a member once
#     the agreement was released, and only if it is a released signature;
#   - SHA-256 of the signature (raw, hex), and the content hash of a
#     non-identical copy (raw, hex; a valid copy's is the revision's, which
#     is public): allowed to a member once the agreement was released, or
#     from the start when it discloses progress (the record then shows
#     them); a content hash the endpoint's own party also sent is not one;
#   - the record's entry of the party's signing as the journal writes it,
#     "kind: K\nagreement: A\nparty: P\n" for K copy-accepted, copy-refused,
#     signature-withdrawn and signature-void, whatever its time or seq:
#     allowed as the hashes are.  The signing time next to the party's
#     name, in the journal's form, is in this needle; the time alone is
#     none: on the virtual clock a whole step, the endpoint's own
#     deliveries and entries included, happens in one second.
# The step in which an agreement is released is the one place where a
# needle may be allowed or not; its bytes before that step were searched
# while it was embargoed.  A needle is new when no older copy had its bytes
# (Ed25519 is deterministic: a copy withdrawn and signed again, or a
# non-identical one sent twice, has the same signature).
declare -A PREV=()
LAST_COPY=0; LAST_SEQ=-1; LAST_DECLINE=0; DECLINES=0; DECLINED=0; BYTES=0; SEARCHED=0; NEEDLES=0; EMB_CHECKS=0

SIGHASH=                  # "(copy id, x'SHA-256 of its signature')," for every copy so far

check_embargo() {
	local e sql top seq out h id k files=()
	# one snapshot: the newest copy and entry, and the new copies'
	# signatures written out to be hashed (sqlite3 has no SHA-256)
	[ -d "$T/sigs" ] || mkdir "$T/sigs"
	read -r top seq dtop < <(db "BEGIN; SELECT ifnull(max(id), 0) || ' ' || (SELECT ifnull(max(seq), -1) FROM journal)
		|| ' ' || (SELECT ifnull(max(id), 0) FROM decline) FROM copy;
		SELECT writefile('$T/sigs/' || id, signature) FROM copy WHERE id > $LAST_COPY; COMMIT;")
	for ((id = LAST_COPY + 1; id <= top; id++)); do files+=("$T/sigs/$id"); done
	if [ ${#files[@]} -gt 0 ]; then
		k=0
		while read -r h id; do SIGHASH="$SIGHASH(${id##*/}, x'$h'),"; k=$((k + 1)); done \
			< <(sha256sum -- "${files[@]}")
		[ $k = ${#files[@]} ] || fail "hashed $k of the ${#files[@]} new signatures"
	fi
	# per endpoint its bytes, and those not searched yet (from 127 before
	# PREV) apart: an old needle is looked for in these only.  Tables are
	# keyed (by rowid, or WITHOUT ROWID): a join on a column of a table
	# that is not would build an automatic index holding the bytes again.
	sql="CREATE TEMP TABLE sighash(id INTEGER PRIMARY KEY, sha BLOB NOT NULL);
	${SIGHASH:+INSERT INTO sighash VALUES ${SIGHASH%,};}
	CREATE TEMP TABLE ep(id INTEGER PRIMARY KEY, name TEXT, code TEXT, prev INTEGER, lo INTEGER,
		len INTEGER, tail BLOB, data BLOB);"
	for e in $EPS; do
		[ -f "$RXLOG_DIR/$e.rx" ] || : >"$RXLOG_DIR/$e.rx"
		sql="$sql INSERT INTO ep SELECT NULL, '$e', '${EPARTY[$e]}', ${PREV[$e]:-0}, lo, length(d), substr(d, lo), d
			FROM (SELECT max(${PREV[$e]:-0} - 127, 1) AS lo, ifnull(readfile('$RXLOG_DIR/$e.rx'), x'') AS d);"
	done
	out=$(db "$sql
	CREATE TEMP TABLE mem(ag INTEGER, code TEXT, PRIMARY KEY(ag, code)) WITHOUT ROWID;
	INSERT OR IGNORE INTO mem SELECT ap.agreement_id, x.code FROM agreement_party ap
		JOIN party x ON x.id = ap.party_id;
	-- open: the record shows the agreement's signing to its members
	CREATE TEMP TABLE ag(id INTEGER PRIMARY KEY, released INTEGER, certificate BLOB, open INTEGER);
	INSERT INTO ag SELECT id, released_at IS NOT NULL, certificate,
		released_at IS NOT NULL OR disclose_progress != 0 FROM agreement;
	CREATE TEMP TABLE owncontent(code TEXT, hash BLOB, PRIMARY KEY(code, hash)) WITHOUT ROWID;
	INSERT OR IGNORE INTO owncontent SELECT x.code, c.content_hash FROM copy c
		JOIN party x ON x.id = c.party_id;
	CREATE TEMP TABLE needle AS
	SELECT c.id > $LAST_COPY AND NOT EXISTS (SELECT 1 FROM copy o WHERE o.id <= $LAST_COPY
			AND o.signature = c.signature) AS new, c.agreement_id AS ag, x.code AS owner,
		'signature (' || f.form || ', copy ' || c.id || ', ' || c.status || ', revision ' || c.revision || ')' AS what,
		CASE f.form WHEN 'raw' THEN c.signature WHEN 'hex' THEN CAST(lower(hex(c.signature)) AS BLOB)
			ELSE CAST(hex(c.signature) AS BLOB) END AS bytes,
		g.released AND instr(g.certificate, CAST(lower(hex(c.signature)) AS BLOB)) > 0 AS ok,
		NULL AS content
		FROM copy c JOIN party x ON x.id = c.party_id JOIN ag g ON g.id = c.agreement_id
		JOIN (SELECT 'raw' AS form UNION ALL SELECT 'hex' UNION ALL SELECT 'HEX') f
		WHERE c.id <= $top
	UNION ALL
	SELECT c.id > $LAST_COPY AND NOT EXISTS (SELECT 1 FROM copy o WHERE o.id <= $LAST_COPY
			AND o.signature = c.signature), c.agreement_id, x.code,
		'signature''s SHA-256 (' || f.form || ', copy ' || c.id || ', ' || c.status || ', revision ' || c.revision || ')',
		CASE f.form WHEN 'raw' THEN s.sha ELSE CAST(lower(hex(s.sha)) AS BLOB) END, g.open, NULL
		FROM copy c JOIN sighash s ON s.id = c.id JOIN party x ON x.id = c.party_id
		JOIN ag g ON g.id = c.agreement_id
		JOIN (SELECT 'raw' AS form UNION ALL SELECT 'hex') f
		WHERE c.id <= $top
	UNION ALL
	SELECT c.id > $LAST_COPY AND NOT EXISTS (SELECT 1 FROM copy o WHERE o.id <= $LAST_COPY
			AND o.content_hash = c.content_hash), c.agreement_id, x.code,
		'content hash (' || f.form || ', copy ' || c.id || ', non-identical, revision ' || c.revision || ')',
		CASE f.form WHEN 'raw' THEN c.content_hash ELSE CAST(lower(hex(c.content_hash)) AS BLOB) END,
		g.open, c.content_hash
		FROM copy c JOIN party x ON x.id = c.party_id JOIN ag g ON g.id = c.agreement_id
		JOIN (SELECT 'raw' AS form UNION ALL SELECT 'hex') f
		WHERE c.id <= $top AND c.status = 'non-identical'
		AND NOT EXISTS (SELECT 1 FROM revision r WHERE r.content_hash = c.content_hash)
	UNION ALL
	SELECT min(j.seq) > $LAST_SEQ, j.agreement_id, j.party,
		'record entry ' || j.kind || ' (first at seq ' || min(j.seq) || ')',
		CAST('kind: ' || j.kind || char(10) || 'agreement: ' || j.agreement_id || char(10)
			|| 'party: ' || j.party || char(10) AS BLOB), g.open, NULL
		FROM journal j JOIN ag g ON g.id = j.agreement_id
		WHERE j.seq <= $seq AND j.kind IN ('copy-accepted', 'copy-refused', 'signature-withdrawn',
			'signature-void', 'declined', 'decline-withdrawn', 'sign-reminded')
		GROUP BY j.agreement_id, j.party, j.kind
	UNION ALL
	SELECT c.id > $LAST_COPY, c.agreement_id, x.code,
		'reservation (copy ' || c.id || ', ' || c.status || ', revision ' || c.revision || ')',
		CAST(c.reservation AS BLOB),
		g.released AND instr(g.certificate, CAST(lower(hex(c.signature)) AS BLOB)) > 0, NULL
		FROM copy c JOIN party x ON x.id = c.party_id JOIN ag g ON g.id = c.agreement_id
		WHERE c.id <= $top AND c.reservation IS NOT NULL
	UNION ALL
	SELECT d.id > $LAST_DECLINE, d.agreement_id, x.code, 'decline reason (decline ' || d.id || ')',
		CAST(d.reason AS BLOB), g.open, NULL
		FROM decline d JOIN party x ON x.id = d.party_id JOIN ag g ON g.id = d.agreement_id
		WHERE d.id <= $dtop;
	CREATE TEMP TABLE win AS SELECT ep.id AS epid, ep.name, ep.code, n.ag, n.owner, n.what, n.new, n.bytes,
		CASE WHEN n.new THEN 1 ELSE ep.lo END AS lo, ep.len AS hi,
		n.ok AND EXISTS (SELECT 1 FROM mem WHERE mem.ag = n.ag AND mem.code = ep.code) AS allowed
		FROM ep JOIN needle n ON n.owner != ep.code
		WHERE n.content IS NULL OR NOT EXISTS (SELECT 1 FROM owncontent o
			WHERE o.code = ep.code AND o.hash = n.content);
	CREATE TEMP TABLE hit AS SELECT w.*, CASE WHEN w.allowed THEN
			CASE WHEN w.new AND ep.prev > 0 THEN instr(substr(ep.data, 1, ep.prev), w.bytes) ELSE 0 END
		WHEN w.new THEN instr(ep.data, w.bytes)
		ELSE CASE WHEN instr(ep.tail, w.bytes) > 0 THEN ep.lo - 1 + instr(ep.tail, w.bytes) ELSE 0 END
		END AS at
		FROM win w JOIN ep ON ep.id = w.epid;
	SELECT 'EMBARGO: endpoint ' || name || ' (party ' || code || ') received at byte ' || at
		|| ' the ' || what || ' of ' || owner || ' on agreement ' || ag
		|| CASE WHEN allowed THEN ' before its release' ELSE '' END
		FROM hit WHERE at > 0 LIMIT 5;
	SELECT 'SEARCHED ' || ifnull(sum(CASE WHEN allowed THEN 0 ELSE hi - lo + 1 END), 0) FROM win;
	SELECT 'NEEDLES ' || count(*) FROM win WHERE NOT allowed;
	SELECT 'SIZE ' || name || ' ' || len FROM ep;" 2>&1)
	if grep -q '^EMBARGO' <<<"$out" || ! grep -q '^SEARCHED' <<<"$out"; then
		echo "$out" | grep -v '^SIZE\|^SEARCHED\|^NEEDLES' >&2
		fail "embargo broken (seed $SEED, step $STEP_NO)"
	fi
	SEARCHED=$((SEARCHED + $(sed -n 's/^SEARCHED //p' <<<"$out")))
	NEEDLES=$((NEEDLES + $(sed -n 's/^NEEDLES //p' <<<"$out")))
	BYTES=0
	while read -r _ e sz; do PREV[$e]=$sz; BYTES=$((BYTES + sz)); done < <(grep '^SIZE' <<<"$out")
	LAST_COPY=$top; LAST_SEQ=$seq; LAST_DECLINE=$dtop
	EMB_CHECKS=$((EMB_CHECKS + 1))
}

# Releases in the store: at most one, complete, never early, never moved.
check_releases() {
	local out ag at
	out=$(db "
	SELECT 'DOUBLE release: agreement ' || agreement_id || ' party ' || party_id || ': ' || count(*) || ' release messages'
		FROM message WHERE kind = 'release' GROUP BY agreement_id, party_id HAVING count(*) > 1;
	SELECT 'ORPHAN release message ' || m.id || ' for unreleased agreement ' || a.id FROM message m
		JOIN agreement a ON a.id = m.agreement_id WHERE m.kind = 'release' AND a.released_at IS NULL;
	SELECT 'MISSING release message: agreement ' || a.id || ' member ' || ap.party_id FROM agreement a
		JOIN agreement_party ap ON ap.agreement_id = a.id WHERE a.released_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM message m WHERE m.kind = 'release' AND m.agreement_id = a.id
		AND m.party_id = ap.party_id);
	SELECT 'EARLY release: agreement ' || a.id || ' revision ' || a.revision || ' without a valid copy of party ' || ap.party_id
		FROM agreement a JOIN agreement_party ap ON ap.agreement_id = a.id AND ap.observer = 0
		WHERE a.released_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM copy c JOIN revision r
		ON r.agreement_id = a.id AND r.number = a.revision WHERE c.agreement_id = a.id
		AND c.party_id = ap.party_id AND c.revision = a.revision AND c.status = 'valid'
		AND c.content_hash = r.content_hash AND instr(a.certificate, CAST(lower(hex(c.signature)) AS BLOB)) > 0);
	SELECT 'CERTIFICATE of agreement ' || a.id || ' carries copy ' || c.id || ' (' || c.status || ', revision ' || c.revision || ')'
		FROM agreement a JOIN copy c ON c.agreement_id = a.id WHERE a.released_at IS NOT NULL
		AND instr(a.certificate, CAST(lower(hex(c.signature)) AS BLOB)) > 0 AND (c.status != 'valid' OR c.revision != a.revision)
		AND NOT EXISTS (SELECT 1 FROM copy v WHERE v.agreement_id = a.id AND v.signature = c.signature
		AND v.status = 'valid' AND v.revision = a.revision);
	SELECT 'STATE ' || id || ' ' || state || ' released_at ' || ifnull(released_at, '') FROM agreement
		WHERE (released_at IS NULL) != (state IN ('draft', 'circulating', 'lapsed', 'withdrawn'));
	SELECT 'REL ' || id || ' ' || released_at FROM agreement WHERE released_at IS NOT NULL;" 2>&1)
	grep -qv '^REL \|^$' <<<"$out" && { grep -v '^REL \|^$' <<<"$out" | head -n 10 >&2; fail "release check (seed $SEED, step $STEP_NO)"; }
	while read -r _ ag at; do
		[ -z "$ag" ] && continue
		if [ -z "${REL_AT[$ag]:-}" ]; then REL_AT[$ag]=$at; RELEASES=$((RELEASES + 1))
		else [ "${REL_AT[$ag]}" = "$at" ] || fail "agreement $ag released again: at ${REL_AT[$ag]}, now at $at"
		fi
	done <<<"$out"
}

check_log() {
	grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/parleyd.log" &&
		fail "sanitizer report in parleyd.log"
	return 0
}

emb_after_restart() {
	[ "$(db "PRAGMA integrity_check")" = ok ] || fail "integrity_check after restart (step $STEP_NO)"
	[ "$(db "PRAGMA journal_mode")" = wal ] || fail "store not in WAL mode after restart"
	check_log
	check_releases
	[ -n "$A" ] && check_embargo
	return 0
}

# The model against the store after a step (the store's own view: the
# public one, agreement show, is what resolves answerless requests).
check_model() {
	local st
	all_signed && open_model && fail "step $STEP_NO: model bug: every party signed, not released"
	if [ $RELEASED = 0 ] && [ $LAPSED = 0 ] && [ "$SIGN_BY" != 0 ] && [ "$NOW" -ge "$SIGN_BY" ]; then LAPSED=1; fi
	want=circulating
	[ $RELEASED = 1 ] && want=in_force
	[ $LAPSED = 1 ] && want=lapsed
	st=$(db "SELECT a.state || '|' || a.revision || '|' || (a.released_at IS NOT NULL) || '|'
		|| ifnull((SELECT group_concat(code, ' ') FROM (SELECT x.code FROM copy c JOIN party x ON x.id = c.party_id
		WHERE c.agreement_id = a.id AND c.revision = a.revision AND c.status = 'valid' ORDER BY x.code)), '')
		FROM agreement a WHERE a.id = $A")
	IFS='|' read -r OBS_STATE OBS_REV OBS_REL OBS_SIGNED <<<"$st"
	[ "$OBS_STATE" = $want ] || fail "seed $SEED step $STEP_NO: state $OBS_STATE, the model says $want (signed: $(signed_list); store: $OBS_SIGNED)"
	[ "$OBS_REV" = "$REV" ] || fail "seed $SEED step $STEP_NO: revision $OBS_REV, the model says $REV"
	[ "$OBS_REL" = "$RELEASED" ] || fail "seed $SEED step $STEP_NO: released_at set: $OBS_REL, model: $RELEASED"
	[ $want = lapsed ] || [ "$OBS_SIGNED" = "$(signed_list)" ] ||
		fail "seed $SEED step $STEP_NO: valid copies of '$OBS_SIGNED', the model says '$(signed_list)'"
	return 0
}

# ---- the run

emb_seed() { # SEED
	local i r1 r2 r3 r4 n q act k e eps jr extra=() burst=() delay victim
	SEED=$1
	RANDOM=$SEED     # $RANDOM only in this shell: bash reseeds it in subshells
	n=$((3 + RANDOM % 3))
	MEMBERS="${ALLP[*]:0:$n}"; NMEM=$n
	OBSERVED=$((RANDOM % 2))
	[ $OBSERVED = 1 ] && extra+=(--observers o)
	[ $((RANDOM % 2)) = 1 ] && extra+=(--disclose-progress)
	# a signing deadline: near (it may lapse) or a day away (its 24 h
	# reminder fires after a few clock steps: timers for timer-fired)
	if [ $((RANDOM % 3)) = 0 ]; then SIGN_BY=$((NOW + (3 + RANDOM % 8) * 3600))
	else SIGN_BY=$((NOW + (25 + RANDOM % 4) * 3600))
	fi
	extra+=(--sign-by "$(iso $SIGN_BY)")
	for k in 1 2 3 4 5 6; do
		try ctl --json agreement create --title "seed $SEED" --text "$D/ceasefire-1994-rev1.txt" \
			--parties "$(echo $MEMBERS | tr ' ' ,)" "${extra[@]}"
		[ $RC = 0 ] && break
		[ $RC = 3 ] || fail "create exited $RC"
	done
	A=$(jq -r .id "$T/out")
	[ -n "$A" ] && [ "$A" != null ] || A=$(db "SELECT max(id) FROM agreement WHERE title = 'seed $SEED'")
	[ -n "$A" ] || fail "seed $SEED: no agreement"
	# a Day-X calendar bound to now: every clock step fires measure timers
	# (reminders and due dates go to the parties before any release)
	for k in $(seq 10); do echo "X+${k}h | all | measure $k of seed $SEED | confirm"; done >"$T/calendar"
	for k in 1 2 3 4 5 6; do
		try ctl --json timeline set "$A" "$T/calendar"
		[ $RC = 3 ] || break
	done
	[ $RC = 0 ] || { cat "$T/out" >&2; fail "timeline set exited $RC"; }
	for k in 1 2 3 4 5 6; do
		try ctl --json dayx set "$A" "$(iso $NOW)"
		[ $RC = 3 ] || break
	done
	[ $RC = 0 ] || { cat "$T/out" >&2; fail "dayx set exited $RC"; }
	for k in 1 2 3 4 5 6; do
		[ "$(db "SELECT state FROM agreement WHERE id = $A")" = draft ] || break
		try ctl agreement circulate "$A"
	done
	MEMBER_EPS[$A]=
	for e in $EPS; do
		case " $MEMBERS " in *" ${EPARTY[$e]} "*) MEMBER_EPS[$A]="${MEMBER_EPS[$A]} $e" ;; esac
	done
	[ $OBSERVED = 1 ] && MEMBER_EPS[$A]="${MEMBER_EPS[$A]} o"
	read -ra mem <<<"$MEMBERS"
	SIGNED=(); REV=1; RELEASED=0; LAPSED=0
	for i in $(seq "$EMB_STEPS"); do
		STEP_NO=$((STEP_NO + 1))
		r1=$RANDOM; r2=$((RANDOM % 20)); r3=$RANDOM; r4=$((RANDOM % 100))
		q=${mem[$((r1 % n))]}; e=
		# amendments only in the first half, so that releases happen too
		{ [ $r2 = 12 ] || [ $r2 = 13 ]; } && [ "$i" -gt $((EMB_STEPS / 2)) ] && r2=0
		# the armed point's operation is likelier (amendments, timers are rare)
		case $ARMED in
		amendment-adopted:*) [ $r2 -lt 9 ] && [ "$i" -le $((EMB_STEPS / 2)) ] && r2=12 ;;
		timer-fired:*) [ $r2 -lt 5 ] && r2=16 ;;
		release-written:*) [ $r2 -ge 9 ] && [ $r2 -le 13 ] && r2=14 ;;
		esac
		KILLER=
		if [ "$EMB_KILLS" = 1 ] && [ $r4 -lt 5 ]; then
			# a kill from outside while this step's client runs
			delay=$((r3 % 40)); victim=$PARLEYD_PID
			( sleep "0.0$(printf '%02d' $delay)"; kill -9 "$PARLEYD_PID" 2>/dev/null ) &
			KILLER=$!
		fi
		case $r2 in
		0|1|2|3|4|5|6|7) act=sign; do_sign "$q" ;;
		8)	act=decline; do_decline "$q" ;;
		9)	act=non-identical
			try as "$q" --json sign "$A" --yes --text "$D/ceasefire-1994-rev2.txt"
			[ $RC = 0 ] && fail "step $STEP_NO: a non-identical copy was accepted"
			[ $RC = 3 ] && { observe; REV=$OBS_REV; } ;;
		10|11) act=withdraw; do_withdraw "$q" ;;
		12|13) act=amend; do_amend "$q" "amendment $SEED.$i" ;;
		14|15)	act=burst
			burst=()
			for k in $(seq 0 $((1 + r3 % 2))); do burst+=("${mem[$(((r1 + k) % n))]}"); done
			do_burst "${burst[@]}" ;;
		16|17) act=clock; do_clock ;;
		18)	act=read	# another endpoint, member or not, asks
			eps=($EPS); e=${eps[$((r3 % 7))]}
			case $((r1 % 3)) in
			0) try_answered as "$e" --json show "$A" ;;
			1) try_answered as "$e" --json status "$A" ;;
			2) try_answered as "$e" --json journal --agreement "$A" ;;
			esac ;;
		19)	if [ $((r3 % 2)) = 0 ]; then act=read-own; try_answered as "$q" --json status "$A"
			else act=decline; do_decline "$q"
			fi ;;
		esac
		if [ -n "$KILLER" ]; then
			# the killer's kill succeeded: the daemon dies, maybe not yet
			if wait "$KILLER"; then
				k=0
				while [ "$PARLEYD_PID" = "$victim" ] && daemon_alive && [ $k -lt 500 ]; do
					sleep 0.01; k=$((k + 1))
				done
			fi
			daemon_alive || emb_died
			KILLER=
		fi
		if [ $((i % 5)) = 3 ]; then
			# the record, read every five steps by an endpoint in turn
			# (member or not): this agreement's, and once a seed all of it
			# (no draw: the steps stay those of the seed)
			eps=($EPS); jr=${eps[$(( (i / 5 + SEED) % 7 ))]}
			if [ "$i" = 13 ]; then try_answered as "$jr" --json journal
			else try_answered as "$jr" --json journal --agreement "$A"
			fi
			[ $RC = 0 ] || { cat "$T/out" >&2; fail "step $STEP_NO: journal of $jr refused"; }
		fi
		if [ "$EMB_KILLS" = 1 ] && [ $r4 -ge 97 ]; then
			# a kill from outside between steps
			KILLER=between; kill -9 "$PARLEYD_PID"; emb_died; KILLER=
		fi
		$TRACE_STEPS && echo "  step $STEP_NO ($SEED.$i) $act $q: rev $REV signed [$(signed_list)] released=$RELEASED lapsed=$LAPSED armed=$ARMED"
		drain "$q" "$([ "$q" = p1 ] && echo p1b)" "$e"
		check_model
		check_releases
		check_embargo
		emb_rearm_if_stale
	done
	STEPS_DONE=$((STEPS_DONE + EMB_STEPS))
	echo "seed $SEED: $NMEM parties$([ $OBSERVED = 1 ] && echo " + observer"), $EMB_STEPS steps, revision $REV," \
		"$([ $RELEASED = 1 ] && echo released || { [ $LAPSED = 1 ] && echo lapsed || echo "not released"; })"
}

# At the end: every member endpoint of every released agreement received
# its bundle (by delivery: parley saved it) and it verifies offline; every
# release delivery was acked; the released signatures are in the bytes the
# endpoint received.
check_bundles() {
	local ag e out
	for ag in "${!REL_AT[@]}"; do
		for e in ${MEMBER_EPS[$ag]}; do
			"$BIN/parley" -c "$T/$e/client.conf" --json verify "$T/$e/bundles/$ag" >"$T/out" 2>&1 ||
				{ cat "$T/out" >&2; fail "endpoint $e: no verified bundle of released agreement $ag"; }
			out=$(db "CREATE TEMP TABLE rx AS SELECT readfile('$RXLOG_DIR/$e.rx') AS data;
				SELECT count(*) FROM copy c, agreement a, rx WHERE a.id = $ag AND c.agreement_id = a.id
				AND instr(a.certificate, CAST(lower(hex(c.signature)) AS BLOB)) > 0
				AND instr(rx.data, c.signature) = 0 AND instr(rx.data, CAST(lower(hex(c.signature)) AS BLOB)) = 0;")
			[ "$out" = 0 ] || fail "endpoint $e never received $out of the released signatures of agreement $ag"
		done
	done
	out=$(db "SELECT 'UNACKED release delivery ' || d.id || ' to endpoint ' || d.endpoint_id FROM delivery d
		JOIN message m ON m.id = d.message_id WHERE m.kind = 'release' AND d.acked_at IS NULL;
		SELECT 'NO DELIVERY of release message ' || m.id || ' to endpoint ' || e.id FROM message m
		JOIN endpoint e ON e.party_id = m.party_id AND e.removed_at IS NULL WHERE m.kind = 'release'
		AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = m.id AND d.endpoint_id = e.id);")
	[ -z "$out" ] || { echo "$out" | head >&2; fail "release deliveries"; }
}

emb_run() {
	local P s total=0 kills e pin id
	TRACE_STEPS=${EMB_TRACE:-false}
	# bash reports every SIGKILLed daemon: noise here
	[ "$EMB_KILLS" = 1 ] && exec 2> >(grep --line-buffered -v '^[^ ]*: line [0-9]*: *[0-9]* Killed ' >&2)
	setup
	for q in "${ALLP[@]}"; do enrol $q; done
	enrol o --observer
	new_endpoint p1b
	ctl endpoint add p1 --cert "$T/p1b/endpoint.crt" >/dev/null || fail "endpoint add p1b"
	ctl signer add p1 --key "$T/p1b/signer.pub" >/dev/null || fail "signer add p1b"
	for e in $EPS; do
		id=$(endpoint_id "$e")
		[ -n "$id" ] || fail "no endpoint row for $e"
		EPNAME[$id]=$e
	done
	ctl clock set 1995-02-01T00:00:00+04:00 >/dev/null || fail "clock set"
	NOW=$(epoch 1995-02-01T00:00:00+04:00)
	if [ "$EMB_KILLS" = 1 ]; then
		emb_schedule "${EMB_ROUNDS:-3}" 7919
		stop_daemon
		emb_start
	fi
	for s in $EMB_SEEDS; do emb_seed "$s"; done
	# nothing armed for the end checks
	[ "$EMB_KILLS" = 1 ] && { [ -n "$ARMED" ] && UNREACHED="$UNREACHED $ARMED"; SCHED_I=${#SCHED[@]}; stop_daemon; emb_start; }
	STEP_NO=end
	drain $EPS
	check_releases
	check_embargo
	check_bundles
	[ "$(db "PRAGMA integrity_check")" = ok ] || fail "integrity_check at the end"
	check_log
	[ "$RELEASES" -gt 0 ] || fail "no release in the whole run: the property was not exercised"
	echo "embargo: seeds $(echo $EMB_SEEDS | wc -w) x $EMB_STEPS steps; $RELEASES releases;" \
		"$DECLINES declines ($DECLINED accepted);" \
		"$EMB_CHECKS byte checks: $BYTES bytes received in all, $SEARCHED byte-windows x needle searched" \
		"($NEEDLES endpoint x needle under embargo: signatures, their hashes, refused contents, record entries, decline reasons, reservations);" \
		"$(( $(date +%s) - START ))s"
	if [ "$EMB_KILLS" = 1 ]; then
		kills=
		for P in $POINTS; do
			kills="$kills $P=${KBY[$P]:-0}"; total=$((total + ${KBY[$P]:-0}))
			[ "${KBY[$P]:-0}" -gt 0 ] || fail "fault point $P was never reached"
		done
		echo "kills: $((total + KILLS_OUT)) ($total at named points:$kills;" \
			"$KILLS_START of them while starting; $KILLS_OUT from outside); $RESTARTS starts;" \
			"answerless requests $UNKNOWN (took effect $TOOK, did not $DIDNT)"
		[ -z "$UNREACHED" ] || echo "not reached within $EMB_STALE steps:$UNREACHED"
	fi
	pass
}
