#!/bin/sh
# An [alerts] exec program for parleyd: mails each event to the mediator
# with sendmail(8).  parleyd runs it once per event of its record, with the
# event as one JSON object on standard input:
#   {"seq":41,"time":"1995-02-06T07:00:00Z","kind":"incident-filed",
#    "agreement":2,"party":"baku","note":"incident 3: baku reports ..."}
# Exit status 0 means the event was handed over; anything else makes
# parleyd try again later (so a mail server that is down loses nothing).
#
# Install: copy to /usr/local/lib/parley/alert-mail.sh, chmod 755, set
#   [alerts]
#   exec = /usr/local/lib/parley/alert-mail.sh
# in parleyd.conf and reload (systemctl reload parleyd).  Set MAILTO below.
#
# Under the hardened parleyd.service the program runs with parleyd's
# sandbox: sendmail must be able to write its queue, so add a drop-in with
#   ReadWritePaths=/var/spool/postfix      (or your MTA's queue directory)
# and, if the MTA needs a socket family or privileges the unit takes away
# (RestrictAddressFamilies=, NoNewPrivileges=yes makes setgid postdrop
# fail), use an MTA that submits over SMTP to localhost (msmtp, dma) instead.
set -eu
MAILTO=${PARLEY_ALERT_MAILTO:-mediator@localhost}
SENDMAIL=${PARLEY_SENDMAIL:-/usr/sbin/sendmail}
event=$(cat)
kind=$(printf '%s' "$event" | sed -n 's/.*"kind":"\([a-z-]*\)".*/\1/p')
# Routine, not news: every parley connection countersigns the record, and
# acknowledgements follow every delivery.  Handed over by not mailing them.
case $kind in
countersigned | ack) exit 0 ;;
esac
{
	printf 'To: %s\n' "$MAILTO"
	printf 'Subject: parley: %s\n' "${kind:-event}"
	printf 'Content-Type: text/plain; charset=UTF-8\n\n'
	printf '%s\n' "$event"
} | "$SENDMAIL" -t
