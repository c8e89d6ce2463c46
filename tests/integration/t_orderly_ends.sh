# Replies are not lost where connections or the daemon end: a SIGTERM that
# arrives while a copy is being handled (or its signature checked) still
# lets its Ok out; a malformed
# frame right behind a good one in the same read closes the connection only
# after the good one's answer; an accept error (out of descriptors) rests
# each listener for a moment instead of spinning, and the party listener
# comes back even with no party connection to close.
. "$(dirname "$0")/lib.sh"
setup
enrol baku
enrol yerevan
D=$(cd "$(dirname "$0")/../data" && pwd)
A=$(jget "$(ctl --json agreement create --title T --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan)" .id)
ctl agreement circulate "$A" >/dev/null || fail "circulate"

# 1. A malformed frame behind a copy: the copy is saved and answered first,
#    then the error, then the close.
out=$(ptool sign "$T/baku/client.conf" "$A" --then-garbage) ||
	fail "the copy's Ok was lost behind a bad frame: $out"
printf '%s\n' "$out" | head -n 1 | grep -q "^ok " || fail "Ok not first: $out"
printf '%s\n' "$out" | sed -n 2p | grep -q "^error .*bad frame" || fail "no error after the Ok: $out"
[ "$(db "SELECT count(*) FROM copy WHERE agreement_id = $A AND status = 'valid'")" = 1 ] ||
	fail "baku's copy not saved"

# PARTY signs AGREEMENT with parleyd set to raise SIGTERM at fault POINT:
# the copy is answered as accepted, and parleyd stops cleanly (exit 0).
sign_at_stop() { # POINT PARTY AGREEMENT
	stop_daemon
	PARLEYD_STOP_AT=$1 start_daemon
	out=$(as "$2" sign "$3" --yes 2>&1) || fail "the Ok was lost at a stop at $1: $out"
	printf '%s' "$out" | grep -q "accepted" || fail "no acceptance: $out"
	wait "$PARLEYD_PID"; rc=$?
	PARLEYD_PID=
	[ $rc = 0 ] || fail "parleyd exited $rc after SIGTERM"
	grep -q "SIGTERM at $1" "$T/parleyd.log" || fail "the stop was not requested at $1"
	start_daemon
}

# 2. SIGTERM while yerevan's copy is handled (the copy is accepted, the turn
#    not yet committed): the daemon commits, answers, then stops cleanly.
sign_at_stop copy-accepted yerevan "$A"
[ "$(jget "$(ctl --json agreement show "$A")" .state)" = in_force ] || fail "not released"

# 2a. SIGTERM while a copy's signature check is out on a worker (two CPUs
#     or more): the stop waits for the verdict, runs the copy, answers it.
A2=$(jget "$(ctl --json agreement create --title T2 --text "$D/ceasefire-1994-rev1.txt" \
	--parties baku,yerevan)" .id)
ctl agreement circulate "$A2" >/dev/null || fail "circulate $A2"
if grep -q "signatures are checked on" "$T/parleyd.log"; then
	sign_at_stop signature-check-out baku "$A2"
	# (the verdict may also win the race with the signal: then a plain stop)
	grep -q "stopping once its copy's signature check is back" "$T/parleyd.log" &&
		echo "orderly ends: the stop waited for a signature check"
else
	echo "orderly ends: one CPU, no signature-check workers: the stop mid-check not run"
fi

# 2b. A stop while party connections cannot take what they are sent and an
#     admin client stays connected: parleyd gives them 2 s, then closes
#     them as they are and exits cleanly (under the sanitizers: no leak).
big=$(head -c 100000 /dev/zero | tr '\0' x)	# 2.4 MB pending, more than sockets hold
for i in $(seq 24); do printf "%s" "$i $big" | ctl notice send baku --text - >/dev/null || fail "notice $i"; done
"$BIN/slowpeer" slowread "$T/baku/client.conf" 3 20 >"$T/slow.out" 2>&1 &
slow=$!
for _ in $(seq 100); do
	grep -q "slow readers: 3 of 3 connected" "$T/slow.out" 2>/dev/null && break
	sleep 0.1
done
fds() { ls "/proc/$PARLEYD_PID/fd" | wc -l; }
f0=$(fds)
"$BIN/slowpeer" tcp "$T/admin.sock" 20 >"$T/admin.out" 2>&1 &
admin=$!
for _ in $(seq 100); do [ "$(fds)" -gt "$f0" ] && break; sleep 0.05; done
[ "$(fds)" -gt "$f0" ] || fail "the admin client did not connect"
t0=$(date +%s%N)
stop_daemon
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 6000 ] || fail "the stop took ${ms} ms"
grep -q "stopping with party connections still writing" "$T/parleyd.log" ||
	fail "the slow readers did not hold the stop to its deadline"
wait "$admin"
grep -q "closed after" "$T/admin.out" || fail "the admin client was not closed: $(cat "$T/admin.out")"
kill "$slow" 2>/dev/null
wait "$slow" 2>/dev/null
start_daemon

# 3. Out of descriptors: status-socket clients that never finish their
#    request hold every free descriptor, one party connection makes accept()
#    fail, then the clients go. No party connection ever closes, yet the
#    listener must listen again.
stop_daemon
( ulimit -n 48; exec "$BIN/parleyd" -c "$T/parleyd.conf" >>"$T/parleyd.log" 2>&1 ) &
PARLEYD_PID=$!
wait_ready
mkfifo "$T/hold"
exec 8<>"$T/hold"	# open both ways: the uploads never reach their end
# The status socket serves 32 connections at most; silent admin clients
# take what it leaves (how many depends on the machine's worker threads).
pids=""
via=status
for _ in $(seq 60); do
	n=$(fds)
	[ "$n" -ge 48 ] && break
	if [ $via = status ]; then
		curl -s --unix-socket "$T/status.sock" -T - http://localhost/x <"$T/hold" >/dev/null 2>&1 &
	else
		"$BIN/slowpeer" tcp "$T/admin.sock" 60 >/dev/null 2>&1 &
	fi
	pids="$pids $!"
	for _ in $(seq 100); do [ "$(fds)" -gt "$n" ] && break; sleep 0.02; done
	[ "$(fds)" -gt "$n" ] || via=admin
done
[ "$(fds)" -ge 48 ] || fail "could not use up the descriptors"
exec 9<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
for _ in $(seq 100); do
	grep -q "accept: Too many open files" "$T/parleyd.log" && break
	sleep 0.05
done
grep -q "accept: Too many open files" "$T/parleyd.log" || fail "no accept error"
# The status and admin sockets rest too, instead of spinning on accept():
# while all three fail for some seconds, parleyd uses little CPU (a
# spinning listener uses all of a core), and logs a few lines a second
# (each rests 0.5 or 1 s; one that rested 1 ms would log 1,000).
cpu() { awk '{ print $14 + $15 }' "/proc/$PARLEYD_PID/stat"; }
errs() { grep -c "accept: Too many open files" "$T/parleyd.log"; }
c0=$(cpu)
l0=$(errs)
w0=$(date +%s%N)
curl -s --max-time 2 --unix-socket "$T/status.sock" http://localhost/status >/dev/null 2>&1
timeout 2 "$BIN/parleyctl" -s "$T/admin.sock" status >/dev/null 2>&1
used=$(( $(cpu) - c0 ))	# clock ticks
lines=$(( $(errs) - l0 ))
wall=$(( ($(date +%s%N) - w0) * $(getconf CLK_TCK) / 1000000000 ))
[ $((used * 4)) -le "$wall" ] ||
	fail "parleyd used $used of $wall ticks while accept() failed: spinning"
[ "$lines" -le $(( 5 * wall / $(getconf CLK_TCK) + 8 )) ] ||
	fail "$lines accept errors logged in $wall ticks: resting too little"
grep -q "status socket: accept: Too many open files" "$T/parleyd.log" ||
	fail "no accept error on the status socket"
grep -q "admin socket: accept: Too many open files" "$T/parleyd.log" ||
	fail "no accept error on the admin socket"
exec 9>&-
# shellcheck disable=SC2086
kill $pids 2>/dev/null
# shellcheck disable=SC2086
wait $pids 2>/dev/null
exec 8>&-
out=$(timeout 20 "$BIN/parley" -c "$T/baku/client.conf" inbox 2>&1) ||
	fail "the listener did not come back after the accept error: $out"
daemon_alive || fail "parleyd died"
pass
