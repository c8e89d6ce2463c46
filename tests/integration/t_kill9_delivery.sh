# After kill -9 of parleyd and a restart, no undelivered or unacked message
# is lost and no acked one is sent again (invariant 3 for deliveries).
. "$(dirname "$0")/lib.sh"
setup
enrol baku
enrol yerevan
for i in 1 2 3; do printf "%s" "before crash $i" | ctl notice send all --text - >/dev/null || fail "send $i"; done
[ "$(jget "$(as baku --json inbox)" .count)" = 3 ] || fail "baku did not get 3"
kill9
start_daemon
# baku acked everything before the crash: nothing comes again
[ "$(jget "$(as baku --json inbox)" .count)" = 0 ] || fail "acked notices resent after kill -9"
# yerevan was offline: all three survive the crash
out=$(as yerevan --json inbox)
[ "$(jget "$out" .count)" = 3 ] || fail "yerevan lost notices: $out"
[ "$(jget "$out" '[.deliveries[].text] | join(",")')" = "before crash 1,before crash 2,before crash 3" ] \
	|| fail "order or content changed: $out"
# a notice acknowledged by the admin socket survives a crash right after
id=$(jget "$(printf "%s" "acked then crash" | ctl --json notice send baku --text -)" .id)
kill9
start_daemon
expect_out "acked then crash" as baku inbox
[ "$(jget "$(ctl --json notice list)" "[.messages[] | select(.id == $id)] | length")" = 1 ] || fail "notice $id lost"
# a clean stop and start keeps everything as well
restart
[ "$(jget "$(ctl --json party list)" '.parties | length')" = 2 ] || fail "parties lost"
pass
