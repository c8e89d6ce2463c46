#!/bin/bash
# make demo: the May 1994 ceasefire, played on a throw-away PKI.
# Starts parleyd on loopback in a temporary directory, registers baku,
# yerevan and stepanakert, and plays ../shared/scenarios/1994-05-ceasefire.md:
# revision 1 circulated, yerevan's amendment adopted, baku signs again, the
# release comes on stepanakert's copy, and every party verifies its bundle.
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
DATA=$(cd "$(dirname "$0")/../tests/data" && pwd)
D=$(mktemp -d /tmp/parley-demo.XXXXXX)
PID=
export TZ=Europe/Moscow
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$B/##g; s#$D#\$DEMO#g"; "$@"; }
ctl() { run "$B/parleyctl" -s "$D/admin.sock" "$@"; }
as() { p=$1; shift; run "$B/parley" -c "$D/$p/client.conf" "$@"; }
pl() { run "$B/parley" "$@"; }

PORT=$(( (RANDOM % 20000) + 30000 ))
cat > "$D/parleyd.conf" <<CONF
[server]
listen = 127.0.0.1:$PORT
state_dir = $D/state
admin_socket = $D/admin.sock
status_socket = $D/status.sock
[testing]
virtual_clock = yes
CONF

step "Start parleyd on 127.0.0.1:$PORT (state in \$DEMO=$D; the clock is virtual)"
"$B/parleyd" -c "$D/parleyd.conf" 2>"$D/parleyd.log" &
PID=$!
for _ in $(seq 100); do "$B/parleyctl" -s "$D/admin.sock" status >/dev/null 2>&1 && break; sleep 0.05; done
ctl init
PIN=$("$B/parleyctl" -s "$D/admin.sock" --json init | sed 's/.*"server_pin":"\([0-9a-f]*\)".*/\1/')

step "Each party makes its endpoint keys; the mediator pins them and registers the signers"
for p in baku yerevan stepanakert; do
	pl init --dir "$D/$p" --server "127.0.0.1:$PORT" --server-pin "$PIN" \
		--mediator-key "$D/state/mediator.pub"
	ctl party add "$p" --name "$p"
	ctl endpoint add "$p" --cert "$D/$p/endpoint.crt"
	ctl signer add "$p" --key "$D/$p/signer.pub"
done

step "A mediator's circular reaches every endpoint, and the mediator sees the receipts"
echo "The Mediator will circulate a ceasefire text today." >"$D/notice.txt"
ctl notice send all --text "$D/notice.txt"
for p in baku yerevan stepanakert; do as "$p" inbox; done
ctl notice list

step "May 9, 1994, Baku: the mediator circulates revision 1, effective 00:01 May 12"
ctl clock set 1994-05-09T10:00:00+04:00
A=$("$B/parleyctl" -s "$D/admin.sock" --json agreement create --title "Ceasefire agreement" \
	--text "$DATA/ceasefire-1994-rev1.txt" --parties baku,yerevan,stepanakert \
	--effective 1994-05-12T00:01:00+04:00 | sed 's/.*"id":\([0-9]*\).*/\1/')
echo "agreement $A created"
ctl agreement circulate "$A"
as baku inbox
ctl clock set 1994-05-09T18:00:00+04:00
as baku sign "$A" --yes

step "May 9-10: yerevan proposes to drop the Protocol reference; adopted as revision 2"
ctl clock set 1994-05-10T09:00:00+04:00
as yerevan amend "$A" --text "$DATA/ceasefire-1994-rev2.txt" --note "delete the reference to the Protocol of February 18"
ctl amendment list "$A"
ctl amendment forward 1
as baku amendment respond 1 accept --note "accepted by phone"
ctl amendment adopt 1
as baku inbox
as baku sign "$A" --yes

step "May 10, Yerevan: yerevan signs; nobody has seen another's signature yet"
ctl clock set 1994-05-10T16:00:00+04:00
as yerevan sign "$A" --yes
as yerevan status "$A"
ctl agreement show "$A"

step "May 11, Stepanakert: the last identical copy arrives and the agreement is released"
ctl clock set 1994-05-11T15:00:00+04:00
as stepanakert sign "$A" --yes
for p in baku yerevan stepanakert; do as "$p" inbox; done
ctl agreement show "$A"

step "Anyone can verify the record offline with the mediator's public key alone"
ctl agreement export "$A" "$D/bundle"
pl verify "$D/bundle" --mediator-key "$D/state/mediator.pub"
ls "$D/bundle"
ctl journal verify

step "Each delegation prints its record to file; the mediator's console"
mkdir -p "$B/demo"
for p in baku yerevan stepanakert; do
	as "$p" render "$D/$p/bundles/$A" --pdf "$B/demo/record-$p.pdf"
done
"$B/parleyctl" -s "$D/admin.sock" console >"$D/console.out" 2>&1 &
CPID=$!
for i in $(seq 50); do grep -q token= "$D/console.out" && break; sleep 0.1; done
cat "$D/console.out"
echo "(the demo's daemon stops now; run parleyctl console against a daemon of yours to open it)"
kill "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null || true
echo
echo "demo complete: agreement $A in force, every party holds a verified bundle and its PDF in $B/demo/"
