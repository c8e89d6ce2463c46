# Who may use the status socket, and how many at once (issue 18).
#
# The socket is created 0660 in parleyd's own group by default; with
# status_group it belongs to that group, and a second local user outside it
# cannot connect while a member can; status_mode = 0666 lets every local user
# in; a status_group that does not exist stops parleyd at start with an error
# naming the option.  At most STATUS_MAX_CONNECTIONS (32) status connections
# are open at once: with parleyd's descriptors limited, 200 connections held
# open leave 32 open and the rest closed at once, a party client still gets
# through meanwhile, the status socket serves again once they close, and the
# log tells of it in at most a couple of lines.  Needs root (it creates and
# removes a group and two users of its own).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root: creates a group and users"; exit 77; }
for c in useradd userdel groupadd groupdel runuser prlimit python3; do
	command -v $c >/dev/null || { echo "needs $c"; exit 77; }
done

CAP=32
G=pst$$			# the status group
IN=psa$$		# a user in it
OUT=psd$$		# a user outside it
GONE=pstmissing$$	# a group that does not exist
made=
remove_ids() {
	case " $made " in *" $IN "*) userdel "$IN" 2>/dev/null;; esac
	case " $made " in *" $OUT "*) userdel "$OUT" 2>/dev/null;; esac
	case " $made " in *" $G "*) groupdel "$G" 2>/dev/null;; esac
	[ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null
	cleanup
}
trap remove_ids EXIT
getent group "$GONE" >/dev/null && { echo "group $GONE exists here"; exit 77; }
groupadd "$G" || fail "groupadd $G"
made="$G"
useradd -M -N -G "$G" -s /usr/sbin/nologin "$IN" || fail "useradd $IN"
made="$made $IN"
useradd -M -N -s /usr/sbin/nologin "$OUT" || fail "useradd $OUT"
made="$made $OUT"

setup
S=$T/status.sock
# Others may reach the socket by its path; its own mode decides the rest.
chmod 711 "$T"

# HTTP status code of GET /metrics as user $1 ("000": no connection).
code_as() {
	runuser -u "$1" -- curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		--unix-socket "$S" http://localhost/metrics
}
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 --unix-socket "$S" "$@"; }
scrape() { curl -sS --max-time 10 --unix-socket "$S" "$@"; }
metric() { printf '%s\n' "$M" | awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "missing" : v) }'; }
# Restart with the given [server] lines added to the test's configuration.
restart_with() {
	stop_daemon
	write_conf
	for l in "$@"; do sed -i "/^\[server\]$/a $l" "$T/parleyd.conf"; done
	: >"$T/parleyd.log"
	start_daemon
}

# 1. Default: 0660, parleyd's own group (root's here); others stay out.
[ "$(stat -c %a "$S")" = 660 ] || fail "default mode $(stat -c %a "$S"), expected 660"
[ "$(stat -c %G "$S")" = "$(id -gn)" ] || fail "default group $(stat -c %G "$S"), expected $(id -gn)"
grep -q "status socket $S (mode 0660, group $(id -gn))" "$T/parleyd.log" || fail "mode and group not logged"
[ "$(code http://localhost/metrics)" = 200 ] || fail "the owner cannot scrape"
c=$(code_as "$OUT"); [ "$c" = 000 ] || fail "$OUT, outside the group, got $c"
c=$(code_as "$IN"); [ "$c" = 000 ] || fail "$IN, not in parleyd's group, got $c"

# 2. status_group: the socket is that group's; a member gets in, others not.
restart_with "status_group = $G"
[ "$(stat -c %a "$S")" = 660 ] || fail "mode $(stat -c %a "$S") with status_group, expected 660"
[ "$(stat -c %G "$S")" = "$G" ] || fail "group $(stat -c %G "$S"), expected $G"
grep -q "status socket $S (mode 0660, group $G)" "$T/parleyd.log" || fail "status_group not logged"
c=$(code_as "$IN"); [ "$c" = 200 ] || fail "$IN, in $G, got $c"
c=$(code_as "$OUT"); [ "$c" = 000 ] || fail "$OUT, outside $G, got $c"

# 3. status_mode = 0600: the owner only, members too are out.
restart_with "status_group = $G" "status_mode = 0600"
[ "$(stat -c %a "$S")" = 600 ] || fail "mode $(stat -c %a "$S"), expected 600"
c=$(code_as "$IN"); [ "$c" = 000 ] || fail "$IN got $c through a 0600 socket"
[ "$(code http://localhost/metrics)" = 200 ] || fail "the owner cannot scrape a 0600 socket"

# 4. status_mode = 0666: any local user.
restart_with "status_mode = 0666"
[ "$(stat -c %a "$S")" = 666 ] || fail "mode $(stat -c %a "$S"), expected 666"
grep -q "status socket $S (mode 0666, group $(id -gn))" "$T/parleyd.log" || fail "0666 not logged"
c=$(code_as "$OUT"); [ "$c" = 200 ] || fail "$OUT got $c through a 0666 socket"

# 5. A status_group that does not exist: parleyd does not start, and says why.
stop_daemon
write_conf
sed -i "/^\[server\]$/a status_group = $GONE" "$T/parleyd.conf"
timeout 20 "$BIN/parleyd" -c "$T/parleyd.conf" >"$T/nogroup.log" 2>&1
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || { cat "$T/nogroup.log"; fail "parleyd exited $rc with a missing status_group"; }
grep -q "status_group $GONE: no such group" "$T/nogroup.log" || { cat "$T/nogroup.log"; fail "the error does not name status_group $GONE"; }
[ -e "$S" ] && fail "a status socket was left by the start that failed"

# 6. The cap.  parleyd may hold few descriptors: without the cap, the held
# connections would take them all and the party listener would fail
# ("accept: Too many open files").
restart_with
enrol baku
base=$(ls "/proc/$PARLEYD_PID/fd" | wc -l)
lim=$((base + CAP + 16))
prlimit --pid "$PARLEYD_PID" --nofile=$lim:$lim || fail "prlimit"
N=200
cat >"$T/hold.py" <<'PY'
# Open N connections to the status socket and hold them.  An accepted one
# stays open (parleyd waits for a request); a refused one reads EOF at once.
# Writes "OPEN CLOSED" to READY once no more close, then waits for RELEASE.
import os, select, socket, sys, time
path, n, ready, release = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    t0 = time.time()
    while True:
        try:
            s.connect(path)
            break
        except BlockingIOError:  # the backlog is full: parleyd will drain it
            if time.time() - t0 > 10:
                raise
            time.sleep(0.01)
    socks.append(s)
closed, last, t0 = set(), time.time(), time.time()
while time.time() - last < 1.0 and time.time() - t0 < 8:
    live = [i for i in range(n) if i not in closed]
    r, _, _ = select.select([socks[i] for i in live], [], [], 0.2)
    for s in r:
        try:
            d = s.recv(1)
        except OSError:
            d = b''
        if not d:
            closed.add(socks.index(s))
            last = time.time()
with open(ready + ".tmp", "w") as f:
    f.write("%d %d %d\n" % (n - len(closed), len(closed), len([i for i in closed if i < 32])))
os.rename(ready + ".tmp", ready)
t0 = time.time()
while not os.path.exists(release) and time.time() - t0 < 120:
    time.sleep(0.05)
for s in socks:
    s.close()
PY
python3 "$T/hold.py" "$S" $N "$T/held" "$T/release" &
HOLDER=$!
i=0
while [ ! -e "$T/held" ]; do
	i=$((i + 1)); [ $i -gt 400 ] && fail "the holder never settled"
	kill -0 $HOLDER 2>/dev/null || fail "the holder died"
	sleep 0.05
done
read -r open closed early <"$T/held"
[ "$open" = $CAP ] || fail "$open status connections stayed open, expected $CAP ($closed closed)"
[ "$closed" = $((N - CAP)) ] || fail "$closed connections closed, expected $((N - CAP))"
[ "$early" = 0 ] || fail "$early of the first $CAP connections were closed"
# full: a scrape is refused at once, a party gets through
c=$(code http://localhost/metrics); [ "$c" = 000 ] || fail "a scrape beyond the cap got $c"
expect_rc 0 as baku inbox
daemon_alive || fail "parleyd died at the cap"
touch "$T/release"
wait $HOLDER || fail "the holder exited $?"
HOLDER=
# served again once they are gone
i=0
while [ "$(code http://localhost/metrics)" != 200 ]; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "the status socket did not serve again"
	sleep 0.05
done
M=$(scrape http://localhost/metrics) || fail "GET /metrics"
refused=$(metric parley_status_connections_refused_total)
[ "$refused" -ge $((N - CAP + 1)) ] 2>/dev/null || fail "refused_total is $refused, expected at least $((N - CAP + 1))"
[ "$(metric parley_status_connections)" = 1 ] || fail "status connections $(metric parley_status_connections) after the holder left"
J=$(scrape http://localhost/status) || fail "GET /status"
[ "$(jget "$J" .status_connections.refused)" -ge $((N - CAP + 1)) ] || fail "status_connections: $J"
# the log: no descriptor trouble, and the refusals in at most a couple of lines
grep -q "Too many open files" "$T/parleyd.log" && fail "parleyd ran out of descriptors"
n=$(grep -c "status socket: .*\(refused\|the most it serves\)" "$T/parleyd.log")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || { grep "status socket" "$T/parleyd.log"; fail "$n log lines about the cap"; }
expect_rc 0 as baku inbox
stop_daemon
n=$(grep -c "status socket: .*\(refused\|the most it serves\)" "$T/parleyd.log")
[ "$n" -le 2 ] || { grep "status socket" "$T/parleyd.log"; fail "$n log lines about the cap"; }
pass
