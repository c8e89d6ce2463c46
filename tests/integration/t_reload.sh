# SIGHUP: a bad configuration file (a bad value, an unknown option, a change
# that needs a restart) is refused with the reason logged and changes
# nothing; a good one takes effect.  A new server key and certificate in the
# state directory are swapped in: a new connection sees the new pin (a
# client that pins the old one refuses to talk), a connection opened before
# the reload stays up and still receives deliveries, and an unreadable
# certificate leaves the running one in place.
. "$(dirname "$0")/lib.sh"
setup
enrol baku
cp "$T/parleyd.conf" "$T/parleyd.conf.orig"
OLD_PIN=$SERVER_PIN

# SIGHUP, then a bounded wait for the next "reload" line of parleyd.log,
# which lands in $line.
reloads=0
hup() {
	reloads=$((reloads + 1))
	kill -HUP "$PARLEYD_PID" || fail "cannot signal parleyd"
	i=0
	until [ "$(grep -c '^<[0-9]>reload' "$T/parleyd.log")" -ge $reloads ]; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "no reload logged after SIGHUP $reloads"
		kill -0 "$PARLEYD_PID" 2>/dev/null || fail "parleyd died on SIGHUP"
		sleep 0.05
	done
	line=$(grep '^<[0-9]>reload' "$T/parleyd.log" | sed -n "${reloads}p")
}
pin_of() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
# The max_frame a new connection gets is N: a frame length one over it is
# refused from its prefix, naming the limit.  (max_frame cannot go below
# 1 MiB, the largest delivery: the files below raise it to 2 MiB.)
frame_limit_is() {
	expect_rc 1 ptool raw "$T/baku/client.conf" 0801 --len $(($1 + 1))
	grep -q "frame length must be 1..$1 bytes" "$T/last.out" ||
		fail "max_frame is not $1: $(cat "$T/last.out")"
}
frame_limit_is 1048576

# --- a bad configuration file changes nothing
sed 's/^\[limits\]$/[limits]\nidle_timeout = forever/' "$T/parleyd.conf.orig" >"$T/parleyd.conf"
sed -i 's/^\[server\]$/[server]\nmax_frame = 2097152/' "$T/parleyd.conf"
hup
case "$line" in *"keeping the running configuration"*) ;; *) fail "bad value: $line";; esac
case "$line" in *"idle_timeout"*) ;; *) fail "the log does not say which option: $line";; esac
case "$line" in *"parleyd.conf:"[0-9]*) ;; *) fail "the log does not give the line: $line";; esac
frame_limit_is 1048576	# max_frame is still 1 MiB

sed 's/^\[server\]$/[server]\nmax_frame = 2097152\nno_such_option = 1/' "$T/parleyd.conf.orig" >"$T/parleyd.conf"
hup
case "$line" in *"no_such_option"*"keeping the running configuration"*) ;; *) fail "unknown key: $line";; esac
frame_limit_is 1048576

# a change that needs a restart is refused whole (max_frame included)
sed "s/^admin_socket = .*/admin_socket = \/nonexistent\/admin.sock\nmax_frame = 2097152/" \
	"$T/parleyd.conf.orig" >"$T/parleyd.conf"
hup
case "$line" in *"admin_socket cannot change on reload"*"keeping"*) ;; *) fail "restart-only change: $line";; esac
frame_limit_is 1048576
expect_rc 0 ctl status

# a missing file
mv "$T/parleyd.conf" "$T/parleyd.conf.away"
hup
case "$line" in *"keeping the running configuration"*) ;; *) fail "missing file: $line";; esac
frame_limit_is 1048576

# --- a good file takes effect; then back to the original
sed 's/^\[server\]$/[server]\nmax_frame = 2097152/' "$T/parleyd.conf.orig" >"$T/parleyd.conf"
hup
case "$line" in *"reloaded $T/parleyd.conf"*) ;; *) fail "good reload: $line";; esac
frame_limit_is 2097152
printf "%s" "after the reload to 2 MiB" | expect_rc 0 ctl notice send baku --text -
cp "$T/parleyd.conf.orig" "$T/parleyd.conf"
hup
case "$line" in *"reloaded"*"pin $OLD_PIN"*) ;; *) fail "reload back: $line";; esac
frame_limit_is 1048576
printf "%s" "after the reload back" | expect_rc 0 ctl notice send baku --text -
expect_rc 0 as baku inbox	# take the notices so far

# --- a new certificate: new connections see it, an open one stays up
# baku's duty station is connected before the reload
: >"$T/watch.out"
"$BIN/parley" -c "$T/baku/client.conf" watch >"$T/watch.out" 2>"$T/watch.err" &
W=$!
i=0
until grep -q "on duty as baku" "$T/watch.out"; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "parley watch did not connect: $(cat "$T/watch.err")"
	sleep 0.05
done

openssl genpkey -algorithm ed25519 -out "$T/new.key" 2>/dev/null || fail "genpkey"
openssl req -x509 -new -key "$T/new.key" -subj /CN=parleyd -days 30 -out "$T/new.crt" 2>/dev/null \
	|| fail "req -x509"
NEW_PIN=$(pin_of "$T/new.crt")
[ "$NEW_PIN" != "$OLD_PIN" ] || fail "the new certificate has the old pin"
cp "$T/state/server.crt" "$T/old.crt"
cp "$T/state/server.key" "$T/old.key"
install -m 0600 "$T/new.key" "$T/state/server.key"
install -m 0644 "$T/new.crt" "$T/state/server.crt"
hup
case "$line" in *"reloaded"*"server certificate pin $NEW_PIN"*) ;; *) fail "cert reload: $line";; esac

# the open connection still works: a notice sent now reaches it
printf "%s" "after the reload" | expect_rc 0 ctl notice send baku --text -
i=0
until grep -q "after the reload" "$T/watch.out"; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "the connection opened before the reload lost its delivery"
	sleep 0.05
done
# (a reconnect would have failed on the old pin: it stayed on its connection)
grep -q "reconnecting" "$T/watch.err" && fail "parley watch had to reconnect: $(cat "$T/watch.err")"
grep -q "refusing to talk" "$T/watch.err" && fail "parley watch reconnected"

# new connections: the old pin is refused by the client, the new one works
expect_rc 3 as baku inbox
grep -q "refusing to talk" "$T/last.out" || fail "a client pinning the old key talked: $(cat "$T/last.out")"
mkdir "$T/baku-new"
cp "$T/baku/endpoint.crt" "$T/baku/endpoint.key" "$T/baku/signer.key" "$T/baku-new/"
cp "$T/state/mediator.pub" "$T/baku-new/mediator.pub"
sed "s/^server_pin = .*/server_pin = $NEW_PIN/" "$T/baku/client.conf" >"$T/baku-new/client.conf"
expect_rc 0 "$BIN/parley" -c "$T/baku-new/client.conf" inbox
# parleyctl init reports the pin now served
[ "$(ctl --json init | jq -r .server_pin)" = "$NEW_PIN" ] || fail "parleyctl init shows the old pin"

# --- a broken certificate leaves the running one in place
echo "not a certificate" >"$T/state/server.crt"
hup
case "$line" in *"keeping the running TLS certificate"*) ;; *) fail "bad certificate: $line";; esac
expect_rc 0 "$BIN/parley" -c "$T/baku-new/client.conf" inbox
install -m 0644 "$T/new.crt" "$T/state/server.crt"

# --- display_tz set, then cleared: back to the zone parleyd started with
# (it kept the old zone until a restart)
start_zone=$(date +%:z)
cp "$T/parleyd.conf.orig" "$T/parleyd.conf"
sed -i '/^\[server\]/a display_tz = Asia/Kamchatka' "$T/parleyd.conf"
hup
case "$line" in *"reloaded"*"clock "*"+12:00") ;; *) fail "display_tz set: $line";; esac
cp "$T/parleyd.conf.orig" "$T/parleyd.conf"
hup
case "$line" in *"reloaded"*"clock "*"$start_zone") ;; *) fail "display_tz cleared: $line (started in $start_zone)";; esac

# the duty station stops on SIGTERM (bounded wait), cleanly
kill -TERM $W
i=0
while kill -0 $W 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 200 ] && { kill -KILL $W; fail "parley watch ignored SIGTERM"; }
	sleep 0.05
done
wait $W || fail "parley watch exited $? on SIGTERM"
pass
