# Issue 22, item 6: alerts outside the terminal.  [alerts] exec runs a
# program once for each event of the record with the event as JSON on its
# standard input.  While it fails, each failure is logged and counted in
# /metrics and the event is tried again (after [alerts] retry, doubling);
# once it succeeds it has received every event, once each, in order, and a
# restart of parleyd repeats none.  The example conf/alert-mail.sh, given a
# stand-in sendmail, mails an event.
. "$(dirname "$0")/lib.sh"
setup
CONF_DIR=$(cd "$(dirname "$0")/../../conf" && pwd)
cat >"$T/alert.sh" <<SH
#!/bin/sh
# fails while $T/down exists, else appends the event to $T/alerts.json
[ -e "$T/down" ] && exit 1
# the sockets it was handed (none: not parleyd's listeners or connections)
for f in /proc/\$\$/fd/*; do readlink \$f; done | grep '^socket:' >>"$T/sockets"
cat >>"$T/alerts.json"
echo >>"$T/alerts.json"
SH
chmod 755 "$T/alert.sh"
touch "$T/down"
printf '[alerts]\nexec = %s\nbacklog = yes\nretry = 1s\n' "$T/alert.sh" >>"$T/parleyd.conf"
restart
for p in baku yerevan; do enrol $p; done
printf '%s\n' "1. The ceasefire holds." >"$T/text"
A=$(jget "$(ctl --json agreement create --title T --text "$T/text" --parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$A"
# failing: logged, counted, nothing told yet
for i in $(seq 100); do grep -q "alerts: .* exited with status 1" "$T/parleyd.log" && break; sleep 0.1; done
grep -q "alerts: $T/alert.sh exited with status 1 on event 0; trying again" "$T/parleyd.log" ||
	fail "a failing alert program is not logged"
failed=$(curl -s --unix-socket "$T/status.sock" http://localhost/metrics | awk '/^parley_alerts_failed_total/ {print $2}')
[ "${failed:-0}" -ge 1 ] || fail "failures not counted in /metrics"
[ -s "$T/alerts.json" ] && fail "an event was told while the program failed"
# it recovers: every event, once, in order
rm "$T/down"
sign_all "$A" baku yerevan
total=$(db "SELECT count(*) FROM journal")
told() { n=$(grep -c '"seq"' "$T/alerts.json" 2>/dev/null); echo "${n:-0}"; }
for i in $(seq 200); do [ "$(told)" -ge "$total" ] && break; sleep 0.1; done
[ -s "$T/sockets" ] && fail "the alert program was handed parleyd's sockets: $(sort -u "$T/sockets")"
[ "$(jq -s '[.[].seq] == [range(0; '"$total"')]' "$T/alerts.json")" = true ] ||
	fail "the program did not receive every event once, in order: $(jq -c -s '[.[].seq]' "$T/alerts.json")"
jq -e -s 'any(.[]; .kind == "released" and .agreement == '"$A"')' "$T/alerts.json" >/dev/null ||
	fail "no release event"
told=$(curl -s --unix-socket "$T/status.sock" http://localhost/metrics | awk '/^parley_alerts_told_total/ {print $2}')
[ "$told" = "$total" ] || fail "told_total $told, events $total"
# a restart repeats nothing; what comes after is told
restart
printf 'after the restart\n' | ctl notice send baku --text - >/dev/null || fail "notice"
total=$(db "SELECT count(*) FROM journal")
for i in $(seq 200); do [ "$(told)" -ge "$total" ] && break; sleep 0.1; done
[ -s "$T/sockets" ] && fail "the alert program was handed parleyd's sockets: $(sort -u "$T/sockets")"
[ "$(jq -s '[.[].seq] == [range(0; '"$total"')]' "$T/alerts.json")" = true ] ||
	fail "a restart repeated or lost an event: $(jq -c -s '[.[].seq]' "$T/alerts.json")"
# the example program mails an event through sendmail
printf '#!/bin/sh\ncat >%s\n' "$T/mail.out" >"$T/sendmail"
chmod 755 "$T/sendmail"
printf '{"seq":1,"kind":"incident-filed","note":"x"}\n' |
	PARLEY_SENDMAIL="$T/sendmail" PARLEY_ALERT_MAILTO=med@example.org sh "$CONF_DIR/alert-mail.sh" ||
	fail "alert-mail.sh failed"
grep -qx "To: med@example.org" "$T/mail.out" && grep -qx "Subject: parley: incident-filed" "$T/mail.out" ||
	fail "alert-mail.sh: $(cat "$T/mail.out")"
# ... and not the routine: a countersignature is handed over unmailed
rm "$T/mail.out"
printf '{"seq":2,"kind":"countersigned","party":"baku"}\n' |
	PARLEY_SENDMAIL="$T/sendmail" sh "$CONF_DIR/alert-mail.sh" || fail "alert-mail.sh failed on a countersignature"
[ -e "$T/mail.out" ] && fail "alert-mail.sh mailed a countersignature"
pass
