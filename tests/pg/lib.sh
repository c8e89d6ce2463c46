# Helpers for the scenarios of two parleyd on one record (tests/pg/t_*.sh),
# sourced after tests/integration/lib.sh and its setup:
#   status_of SOCKET / role_of SOCKET   /status of a daemon, its role
#   wait_role SOCKET ROLE               until it has ROLE (bounded, 30 s)
#   make_b                              $T/b.conf and $T/state-b: a second
#                                       daemon on the same record with the
#                                       same keys, port PORT+1 (PORT2)
#   start_b / stop_b                    start it (B_PID), stop it (resumed
#                                       first if paused)
status_of() { curl -s --max-time 2 --unix-socket "$1" http://x/status; }
role_of() { jget "$(status_of "$1")" .role 2>/dev/null; }
wait_role() {
	local i=0
	until [ "$(role_of "$1")" = "$2" ]; do
		i=$((i + 1)); [ $i -gt 600 ] && fail "no $2 behind $1 after 30 s: $(status_of "$1")"
		sleep 0.05
	done
}
# Until the daemon behind status socket $1 has a commit waiting on the
# record (bounded, 30 s).
wait_commit_waiting() {
	local i=0
	until [ "$(jget "$(status_of "$1")" '.store.commit_waiting_ms // 0' 2>/dev/null)" -gt 0 ] 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 600 ] && fail "no commit waiting behind $1 after 30 s"
		sleep 0.05
	done
}
B_PID=
make_b() {
	PORT2=$(( PORT + 1 ))
	sed -e "s|^listen = .*|listen = 127.0.0.1:$PORT2|" -e "s|$T/state|$T/state-b|" \
		-e "s|$T/admin.sock|$T/b-admin.sock|" -e "s|$T/status.sock|$T/b-status.sock|" \
		"$T/parleyd.conf" >"$T/b.conf"
	mkdir -p "$T/state-b" && chmod 700 "$T/state-b"
	for f in mediator.key mediator.pub server.key server.crt; do
		cp -p "$T/state/$f" "$T/state-b/$f"
	done
}
start_b() {
	"$BIN/parleyd" -c "$T/b.conf" >>"$T/b.log" 2>&1 &
	B_PID=$!
}
stop_b() {
	[ -n "$B_PID" ] || return 0
	kill -CONT "$B_PID" 2>/dev/null
	kill -TERM "$B_PID" 2>/dev/null
	wait "$B_PID" 2>/dev/null
	B_PID=
}
