# Slow (about 30 s; not in make check): a byte of a journal entry changed in
# the SQLite file by a plain write, behind SQLite's back (PRAGMA
# data_version does not move), while parleyd runs on a store larger than
# its page cache.  parleyd's scrub of the record's tree (journal_scrub)
# finds the changed block within one pass and says so; the party's next
# connection then stops loudly, and so does one after a restart.
#   BIN=build bash tests/slow/t_journal_rawedit.sh
# (Written by the review of the tree kept for consistency proofs.)
. "$(dirname "$0")/../integration/lib.sh"
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
for p in baku yerevan; do enrol $p; done
A=$(jget "$(ctl --json agreement create --title T --text "$D/ceasefire-1994-rev1.txt" --parties baku,yerevan)" .id)
ctl agreement circulate "$A" >/dev/null
sign_all "$A" baku yerevan
stop_daemon	# the WAL goes into the file
"$BIN/journal-fill" "$T/state" 300000 baku >/dev/null || fail "journal-fill"
start_daemon
expect_rc 0 as baku status "$A"
expect_rc 0 as baku status "$A"
python3 - "$T/state/parley.db" <<'PY' || fail "raw edit"
import sys, os
p = sys.argv[1]
old, new = b"kind: draft\n", b"kind: drafT\n"
if os.path.exists(p + "-wal") and old in open(p + "-wal", "rb").read():
    sys.exit("the draft entry's page is in the WAL")
b = open(p, "rb").read()
assert b.count(old) == 1, b.count(old)
with open(p, "r+b") as fh:
    fh.seek(b.index(old)); fh.write(new)
PY
[ "$(db "SELECT count(*) FROM journal WHERE CAST(entry AS TEXT) LIKE '%kind: drafT%'")" = 1 ] ||
	fail "another connection does not see the edit"
for _ in $(seq 900); do grep -q "changed behind SQLite" "$T/parleyd.log" && break; sleep 0.1; done
grep -q "changed behind SQLite" "$T/parleyd.log" || fail "the scrub did not find the change in 90 s"
expect_rc 1 as baku status "$A"
grep -q "THE MEDIATOR'S RECORD IS INCONSISTENT" "$T/last.out" || fail "no loud error: $(cat "$T/last.out")"
restart
expect_rc 1 as baku status "$A"
grep -q "THE MEDIATOR'S RECORD IS INCONSISTENT" "$T/last.out" || fail "no loud error after a restart"
pass
