# Duty watch: a party with no endpoint online for longer than duty_grace
# (15 min) raises exactly one alert, which clears when an endpoint returns;
# parleyctl duty shows endpoints, online now, last seen and the longest gap,
# for every watched party.
. "$(dirname "$0")/lib.sh"
export TZ=Europe/Moscow
setup
enrol baku
enrol yerevan
enrol stepanakert
ctl clock set 1995-02-06T10:00:00+03:00 >/dev/null
# baku and yerevan sign an agreement in circulation: their silence is an
# alert; stepanakert signs none and is not named in duty_parties: its is not
printf '1. The obligations of 3 February 1995.\n' >"$T/text"
A=$(jget "$(ctl --json agreement create --title T --text "$T/text" --parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$A"
WATCHERS=""
watch() { "$BIN/parley" -c "$T/$1/client.conf" watch >"$T/$1.watch" 2>&1 & WATCHERS="$WATCHERS $!"; eval "W_$1=$!"; }
online() { jget "$(ctl --json duty)" ".parties[] | select(.party == \"$1\") | .online"; }
wait_online() { # PARTY N: bounded wait until the daemon counts N endpoints online
	i=0; until [ "$(online "$1")" = "$2" ]; do i=$((i + 1)); [ $i -gt 200 ] && fail "$1 never reached $2 online"; sleep 0.05; done
}
trap 'for w in $WATCHERS; do kill $w 2>/dev/null; done; cleanup' EXIT
watch baku; watch yerevan
wait_online baku 1; wait_online yerevan 1
kill "$W_yerevan"; wait "$W_yerevan" 2>/dev/null
wait_online yerevan 0
alerts() { db "SELECT count(*) FROM duty_alert WHERE party_id = (SELECT id FROM party WHERE code = '$1')"; }
ctl clock advance 14m >/dev/null
[ "$(alerts yerevan)" = 0 ] || fail "alert before the grace ran out"
out=$(ctl --json clock advance 2m)
[ "$(alerts yerevan)" = 1 ] || fail "no alert after 16 min offline: $out"
[ "$(jget "$(ctl --json duty)" '.parties[] | select(.party == "yerevan") | .alert')" = true ] || fail "duty does not show the alert"
grep -q "DUTY ALERT: yerevan has had no endpoint online since 1995-02-06T10:00:00+03:00" "$T/parleyd.log" || fail "alert not logged"
ctl clock advance 3h >/dev/null
[ "$(alerts yerevan)" = 1 ] || fail "more than one alert for one gap"
[ "$(alerts baku)" = 0 ] || fail "baku, on duty, was alerted"
[ "$(alerts stepanakert)" = 0 ] || fail "stepanakert, in no agreement, was alerted"
expect_out "yerevan .* ALERT" ctl duty
# the endpoint returns: the alert clears
watch yerevan; wait_online yerevan 1
[ "$(db "SELECT count(*) FROM duty_alert WHERE cleared_at IS NOT NULL")" = 1 ] || fail "alert not cleared"
out=$(ctl --json duty)
[ "$(jget "$out" '.parties[] | select(.party == "yerevan") | .alert')" = false ] || fail "alert still shown: $out"
[ "$(jget "$out" '.parties[] | select(.party == "yerevan") | .longest_gap_24h_seconds')" -ge 11160 ] || fail "longest gap: $out"
[ "$(jget "$out" '.parties[] | select(.party == "baku") | .longest_gap_24h_seconds')" = 0 ] || fail "baku's gap: $out"
for w in $WATCHERS; do kill $w 2>/dev/null; wait $w 2>/dev/null; done
WATCHERS=""
# every watched party is shown, however many (it once stopped at 256), and
# after a restart too
for i in $(seq 300); do ctl party add "q$i" --name "Q $i" >/dev/null || fail "party q$i"; done
want=$(db "SELECT count(*) FROM party WHERE observer = 0")
[ "$(jget "$(ctl --json duty)" '.parties | length')" = "$want" ] || fail "duty shows fewer than $want parties"
restart
[ "$(jget "$(ctl --json duty)" '.parties | length')" = "$want" ] || fail "after a restart, duty shows fewer than $want parties"
# named in duty_parties, it is alerted whatever its agreements (at its next gap)
printf '[incidents]\nduty_parties = stepanakert\n' >>"$T/parleyd.conf"
restart
ctl clock advance 20m >/dev/null
[ "$(alerts stepanakert)" = 1 ] || fail "stepanakert, named in duty_parties, was not alerted"
pass
