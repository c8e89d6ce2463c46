#!/bin/bash
# Run every tests/integration/t_*.sh against the binaries in $1 (build/).
# Most of a test's time is spent waiting on parleyd, timeouts and restarts,
# so they run JOBS at a time (default 2: CI's cores); each has its own
# directory, port and daemon.  The tests that bound wall time (timeouts
# firing within a window) run after, one at a time, so that no other test
# loads the machine under them.  Prints one line per test as it ends and
# a closing "N passed, N failed" line.  Needs bash 4.3 (wait -n).
B=${1:-build}
JOBS=${JOBS:-2}
ALONE="t_limits t_orderly_ends t_flood_liveness"
# With the record in PostgreSQL (PARLEY_TEST_PG, make check-pg): tests of
# what does not touch the store (TLS, admission, the verifiers, rendering,
# the fuzz corpora, installation) already ran with SQLite: skipped, said.
STORE_FREE="t_bundle_tamper t_flood_liveness t_tls_matrix t_render t_fuzz_replay t_install t_admission t_console t_bench_smoke"
LONG="t_crash_subset t_alloc_fail t_embargo_property t_embargo_kills"
cd "$(dirname "$0")/.." || exit 2
O=$(mktemp -d /tmp/parley-integration.XXXXXX) || exit 2
# Interrupted, stop the tests still running (each in its own process group
# under timeout) before their directory goes.
stop() {
	local p
	for p in $(jobs -p); do pkill -TERM -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	wait
	exit 130
}
trap stop INT TERM
trap 'rm -rf "$O"' EXIT

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }
# One test: its output, then its exit code and seconds in NAME.rc.
run_one() {
	local t=$1 name start rc
	name=$(basename "$t" .sh)
	start=$(date +%s)
	if [ -n "${PARLEY_TEST_PG:-}" ] && in_list "$name" "$STORE_FREE"; then
		echo "does not touch the store: run with SQLite only" >"$O/$name.out"
		echo "77 0" >"$O/$name.rc"
		return
	fi
	BIN=$B timeout 300 bash "$t" >"$O/$name.out" 2>&1
	rc=$?
	echo "$rc $(( $(date +%s) - start ))" >"$O/$name.rc.tmp"
	mv "$O/$name.rc.tmp" "$O/$name.rc"
}

# Report every test that has ended and was not reported yet.
pass=0; fail=0; skip=0
report() {
	local f name rc secs
	for f in "$O"/*.rc; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .rc)
		read -r rc secs <"$f"
		if [ "$rc" = 0 ]; then
			pass=$((pass + 1)); echo "PASS $name (${secs}s)"
		elif [ "$rc" = 77 ]; then
			skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$O/$name.out")"
		else
			fail=$((fail + 1)); echo "FAIL $name"
			sed 's/^/    /' "$O/$name.out" | tail -n 60
		fi
		rm -f "$f" "$O/$name.out"
	done
}

# The longest first, so that the last to start are short ones.
tests=""
for n in $LONG; do
	[ -e "tests/integration/$n.sh" ] && tests="$tests tests/integration/$n.sh"
done
for t in tests/integration/t_*.sh; do
	n=$(basename "$t" .sh)
	in_list "$n" "$LONG $ALONE" || tests="$tests $t"
done
running=0
for t in $tests; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
		report
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait
report
for n in $ALONE; do
	[ -e "tests/integration/$n.sh" ] || continue
	# in the background: a trap runs at once during wait, not after
	# a command in the foreground ends
	run_one "tests/integration/$n.sh" &
	wait $!
	report
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
