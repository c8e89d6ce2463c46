# Disk full (ENOSPC) on request paths: the state directory is a small tmpfs
# that is then filled.  Requests fail with a store error, nothing that failed
# is acked or kept, the daemon keeps running, and once space is back it
# serves as before.  Needs root (to mount the tmpfs); otherwise it says
# SKIPPED and exits 77, which the runner counts as skipped, not passed.
. "$(dirname "$0")/lib.sh"
sqlite_only "it fills the SQLite file's disk"
D=$(cd "$(dirname "$0")/../data" && pwd)
mkdir -p "$T/state"
if ! mount -t tmpfs -o size=6m,mode=0700 tmpfs "$T/state" 2>/dev/null; then
	echo "SKIPPED: cannot mount a tmpfs (not root?)"
	exit 77
fi
trap 'if [ -n "$PARLEYD_PID" ]; then kill -TERM "$PARLEYD_PID"; wait "$PARLEYD_PID"; fi; umount "$T/state"; cleanup' EXIT
setup
enrol baku
enrol yerevan
A=$(jget "$(ctl --json agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan)" .id)
expect_rc 0 ctl agreement circulate "$A"
as baku inbox >/dev/null; as yerevan inbox >/dev/null
pid=$PARLEYD_PID
# fill the disk
dd if=/dev/zero of="$T/state/fill" bs=64k 2>/dev/null
df -k "$T/state" | awk 'NR == 2 && $4 > 64 { exit 1 }' || fail "the tmpfs did not fill up"
before=$(db "SELECT count(*) FROM copy" 2>/dev/null || echo ?)
"$BIN/parley" -c "$T/baku/client.conf" sign "$A" --yes >"$T/full.out" 2>&1
rc=$?
[ $rc != 0 ] || fail "a copy was accepted on a full disk: $(cat "$T/full.out")"
grep -qi "store\|nothing was saved" "$T/full.out" || fail "no store error: $(cat "$T/full.out")"
grep -q "accepted" "$T/full.out" && fail "accepted on a full disk"
printf "%s" "on a full disk" | expect_rc 1 ctl notice send all --text -
kill -0 "$pid" || fail "parleyd died on a full disk"
# space comes back: the daemon serves as before, and nothing refused was kept
rm -f "$T/state/fill"
[ "$(db "SELECT count(*) FROM copy")" = "$before" ] || fail "a refused copy was kept"
[ "$(jget "$(ctl --json notice list)" '.messages | length')" = 0 ] || fail "a refused notice was kept"
expect_out "accepted" as baku sign "$A" --yes
expect_out "is released" as yerevan sign "$A" --yes
[ "$PARLEYD_PID" = "$pid" ] || fail "parleyd was restarted"
expect_rc 0 ctl journal verify
db "PRAGMA integrity_check" | grep -qx ok || fail "integrity_check"
stop_daemon
echo ok
