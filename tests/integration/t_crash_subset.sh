# Crash safety, the make check subset (issue 7, section 1): tests/crash/run.sh
# with every named fault point at hits 1 and 2 (16 kills) and CRASH_KILLS
# (default 100) kills at random moments.  The count adapts to the build's
# speed (under ASan everything is ~3x slower): past CRASH_SOFT_LIMIT seconds
# (default 180) the random kills stop early, but never before 100 kills in
# all; CRASH_TIME_LIMIT (default 280, under run-integration.sh's 300) fails
# a run that cannot reach 100.  `make crash-test` is the full version
# (1,000 random kills, every point at hits 1 2 3 5 8).
# With the record in PostgreSQL (make check-pg) 50 random kills: each
# restart makes the working copy anew, and the SQLite run has the 100.
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${PARLEY_TEST_PG:-}" ]; then
	CRASH_KILLS=${CRASH_KILLS:-50}
	export CRASH_MIN_KILLS=60
fi
CRASH_HITS=${CRASH_HITS:-1 2} CRASH_MIN_KILLS=${CRASH_MIN_KILLS:-100} CRASH_SOFT_LIMIT=${CRASH_SOFT_LIMIT:-180} \
	CRASH_TIME_LIMIT=${CRASH_TIME_LIMIT:-280} exec bash "$here/../crash/run.sh" "${CRASH_KILLS:-100}"
