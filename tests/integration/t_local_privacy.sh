# Local privacy (issue 18, section 4), as root, with two local users and a
# group of its own (created here, removed on the way out):
#   - parleyd refuses to start on a state_dir others may reach (a
#     pre-existing 0755 directory made the store world-readable), naming
#     the chmod; in a 0700 one it creates the store, its WAL and SHM and
#     the keys 0600, and another user cannot read them;
#   - it refuses a key file or the store if its group or others may read
#     it, and a state file that belongs to another user; state_dir and the
#     public files (server.crt, mediator.pub) may be read by the group;
#   - admin_group admits a user for whom it is a supplementary group (usermod
#     -aG), and a user outside it who reaches the socket is refused with the
#     reason, not a bare close;
#   - parleyd -n refuses an admin_group or status_group that does not exist.
. "$(dirname "$0")/lib.sh"
sqlite_only "it checks the modes of the SQLite file"
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root (useradd)"; exit 77; }
G=plg$$
IN=pli$$
OUT=plo$$
drop_users() {
	userdel "$IN" 2>/dev/null
	userdel "$OUT" 2>/dev/null
	groupdel "$IN" 2>/dev/null
	groupdel "$OUT" 2>/dev/null
	groupdel "$G" 2>/dev/null
}
trap 'drop_users; cleanup' EXIT
groupadd "$G" || fail "groupadd"
useradd -M -U -s /bin/sh -G "$G" "$IN" || fail "useradd $IN"
useradd -M -U -s /bin/sh "$OUT" || fail "useradd $OUT"
[ "$(id -gn "$IN")" = "$IN" ] || fail "$IN's primary group is $(id -gn "$IN")"
# Others may pass through $T (but not list it): only the modes parleyd sets
# protect what is inside.  Their own copy of parleyctl, reachable by them.
chmod 0711 "$T"
mkdir -m 0755 "$T/bin"
install -m 0755 "$BIN/parleyctl" "$T/bin/parleyctl"
as_user() { # USER CMD...: run as USER, stdin closed
	local u=$1; shift
	runuser -u "$u" -- "$@" </dev/null
}

# ---- a state_dir others may reach: refused, with the fix
S=$T/s1
mkdir -m 0755 "$S"
PORT=$(( (RANDOM % 12000) + 20000 ))
write_conf
sed "s|^state_dir = .*|state_dir = $S|; s|/admin.sock|/admin1.sock|; s|/status.sock|/status1.sock|" \
    "$T/parleyd.conf" >"$T/p1.conf"
run1() { timeout 20 "$BIN/parleyd" -c "$T/p1.conf" >"$T/p1.out" 2>&1; }
run1 && fail "parleyd started on a 0755 state_dir"
grep -q "state_dir $S is mode 0755: others may reach it; run chmod 700 $S" "$T/p1.out" ||
    fail "0755 state_dir: $(cat "$T/p1.out")"
[ -z "$(ls -A "$S")" ] || fail "parleyd wrote into the refused state_dir: $(ls -A "$S")"
chmod 0770 "$S"
run1 && fail "parleyd started on a 0770 state_dir"
grep -q "is mode 0770: its group may write it" "$T/p1.out" || fail "0770 state_dir: $(cat "$T/p1.out")"

# ---- in a 0700 one: everything it creates is 0600
chmod 0700 "$S"
"$BIN/parleyd" -c "$T/p1.conf" >>"$T/p1.log" 2>&1 &
P1=$!
i=0
until "$BIN/parleyctl" -s "$T/admin1.sock" status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "parleyd on $S did not start: $(cat "$T/p1.log")"
	kill -0 $P1 2>/dev/null || fail "parleyd on $S exited: $(cat "$T/p1.log")"
	sleep 0.05
done
"$BIN/parleyctl" -s "$T/admin1.sock" party add k --name K >/dev/null || fail "party add"
for f in parley.db parley.db-wal parley.db-shm server.key mediator.key; do
	[ -e "$S/$f" ] || fail "$S/$f missing"
	[ "$(stat -c %a "$S/$f")" = 600 ] || fail "$f is mode $(stat -c %a "$S/$f"), expected 600"
done
as_user "$OUT" cat "$S/parley.db" >/dev/null 2>&1 && fail "$OUT read the store"
as_user "$OUT" ls "$S" >/dev/null 2>&1 && fail "$OUT listed the state directory"
kill -TERM $P1; wait $P1 || fail "parleyd on $S exited $? on SIGTERM"
echo "local: state_dir 0755 and 0770 refused; created 0600: parley.db, -wal, -shm, server.key, mediator.key"

# ---- a key others may read, a store its group may write, a stranger's file
chmod 0644 "$S/server.key"
run1 && fail "parleyd started with a 0644 server.key"
grep -q "key file $S/server.key is mode 0644: others may reach it; run chmod 600 $S/server.key" "$T/p1.out" ||
    fail "0644 key: $(cat "$T/p1.out")"
# its group may not read it either: the status socket's group is for
# monitoring, not for the keys or the embargoed signatures
chmod 0640 "$S/server.key"
run1 && fail "parleyd started with a 0640 server.key"
grep -q "key file $S/server.key is mode 0640: its group may read it" "$T/p1.out" ||
    fail "0640 key: $(cat "$T/p1.out")"
chmod 0600 "$S/server.key"
chmod 0640 "$S/server.crt"	# public: the group may read it
chmod 0660 "$S/parley.db"
run1 && fail "parleyd started with a group-writable store"
grep -q "state file $S/parley.db is mode 0660: its group may write it" "$T/p1.out" ||
    fail "0660 store: $(cat "$T/p1.out")"
chmod 0640 "$S/parley.db"
run1 && fail "parleyd started with a group-readable store"
grep -q "state file $S/parley.db is mode 0640: its group may read it" "$T/p1.out" ||
    fail "0640 store: $(cat "$T/p1.out")"
chmod 0600 "$S/parley.db"
chown "$OUT" "$S/mediator.key"
run1 && fail "parleyd started with $OUT's mediator.key"
grep -q "key file $S/mediator.key belongs to uid $(id -u "$OUT"), not to parleyd's user" "$T/p1.out" ||
    fail "stranger's key: $(cat "$T/p1.out")"
chown root "$S/mediator.key"
echo "local: a 0644 or 0640 key, a 0660 or 0640 store and another user's key refused, each naming the fix"

# ---- admin_group by a supplementary group
setup
sed -i "/^\[server\]/a admin_group = $G" "$T/parleyd.conf"
stop_daemon
start_daemon
[ "$(stat -c '%a %G' "$T/admin.sock")" = "660 $G" ] || fail "admin socket: $(stat -c '%a %G' "$T/admin.sock")"
out=$(as_user "$IN" "$T/bin/parleyctl" -s "$T/admin.sock" status 2>&1) ||
    fail "$IN ($G as a supplementary group) refused: $out"
out=$(as_user "$OUT" "$T/bin/parleyctl" -s "$T/admin.sock" status 2>&1) && fail "$OUT let in: $out"
# one who reaches the socket anyway (a mode widened by hand) is refused
# by parleyd itself, with the reason
chmod 0666 "$T/admin.sock"
out=$(as_user "$OUT" "$T/bin/parleyctl" -s "$T/admin.sock" status 2>&1) && fail "$OUT let in at 0666: $out"
case $out in *"uid $(id -u "$OUT") is not root, not parleyd's user and not in admin_group $G"*) ;;
	*) fail "refusal at 0666 says: $out" ;; esac
grep -q "admin: refused peer uid $(id -u "$OUT")" "$T/parleyd.log" || fail "refusal not logged"
# 50 such peers at once hold at most 8 of parleyd's descriptors, and the
# log gets no line for them (one a minute at most, given above)
fds0=$(ls /proc/"$PARLEYD_PID"/fd | wc -l)
as_user "$OUT" python3 -c '
import socket, sys, time
s = []
for _ in range(50):
    c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); s.append(c)
print("up", flush=True)
time.sleep(1.5)
' "$T/admin.sock" >"$T/held.out" &
held=$!
i=0
until grep -q up "$T/held.out"; do i=$((i + 1)); [ $i -gt 200 ] && fail "50 peers did not connect"; sleep 0.02; done
# parleyd holds refused peers until 8 are held (bounded wait, then the
# bound below is checked)
i=0
until [ $(( $(ls /proc/"$PARLEYD_PID"/fd | wc -l) - fds0 )) -ge 8 ]; do
	i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.02
done
fds1=$(ls /proc/"$PARLEYD_PID"/fd | wc -l)
wait $held
[ $((fds1 - fds0)) -le 10 ] || fail "50 refused admin peers: parleyd's descriptors $fds0 -> $fds1"
[ "$(grep -c "admin: refused peer" "$T/parleyd.log")" = 1 ] ||
    fail "refused admin peers logged $(grep -c "admin: refused peer" "$T/parleyd.log") times"
expect_rc 0 ctl status
echo "local: admin_group $G admits $IN (supplementary) and refuses $OUT with the reason; 50 refused peers: descriptors $fds0 -> $fds1, one log line"

# ---- parleyd -n: groups that do not exist
for opt in admin_group status_group; do
	printf '[server]\n%s = nosuch%s\n' "$opt" "$$" >"$T/n.conf"
	out=$("$BIN/parleyd" -n -c "$T/n.conf") && fail "-n accepted a missing $opt: $out"
	[ "$out" = "$T/n.conf: $opt nosuch$$: no such group" ] || fail "-n, missing $opt: $out"
done
pass
