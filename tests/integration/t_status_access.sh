# Who may use the status socket (issue 18).
#
# The socket is created 0660 in parleyd's own group by default; with
# status_group it belongs to that group, and a second local user outside it
# cannot connect while a member can; status_mode = 0666 lets every local user
# in; a status_group that does not exist stops parleyd at start with an error
# naming the option.  Needs root (it creates and removes a group and two users
# of its own).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root: creates a group and users"; exit 77; }
for c in useradd userdel groupadd groupdel runuser; do
	command -v $c >/dev/null || { echo "needs $c"; exit 77; }
done

G=pst$$			# the status group
IN=psa$$		# a user in it
OUT=psd$$		# a user outside it
GONE=pstmissing$$	# a group that does not exist
made=
remove_ids() {
	case " $made " in *" $IN "*) userdel "$IN" 2>/dev/null;; esac
	case " $made " in *" $OUT "*) userdel "$OUT" 2>/dev/null;; esac
	case " $made " in *" $G "*) groupdel "$G" 2>/dev/null;; esac
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

pass
