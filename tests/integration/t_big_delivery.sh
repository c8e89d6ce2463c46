# The largest delivery always fits (daemon/config.h, CONFIG_DELIVERY_MAX).
# A delivery is pushed as one frame; one that does not fit max_frame or
# max_queued_output can never be sent, and the endpoint that is owed it is
# dropped, reconnects, meets it first again, for ever, with every later
# delivery stuck behind it.  So:
#   - parleyd -n, start-up and SIGHUP refuse a max_frame or a
#     max_queued_output below what the largest delivery needs, naming the
#     option, its line, the least value and why;
#   - with the smallest configuration accepted (max_frame = 1048576,
#     max_queued_output = 2097152, decode_budget = 1048576, which the
#     request creating it must get through), an agreement at the limits (a text of
#     512 KiB, the longest accepted, with a full calendar of 200 measures,
#     among BIG_PARTIES parties, 64 at most) is circulated, signed,
#     released, and its bundle is delivered to, and verified by, every
#     party's endpoint; and a notice sent after it is delivered too;
#   - a delivery that does not fit all the same (written into the store by
#     hand: parleyd makes none) is passed over, pending, with a warning in
#     the log and one Error frame to its endpoint, which then gets the
#     deliveries after it: nothing loops, nothing is blocked.
. "$(dirname "$0")/lib.sh"
sqlite_only "it inserts a delivery into the SQLite file"
NPARTIES=${BIG_PARTIES:-64}
TEXT_MAX=524288		# daemon/engine.c
setup

# ---- inconsistent configurations are refused, with a clear message
check() { "$BIN/parleyd" -n -c "$1"; }
bad_conf() { # NAME SECTION LINE
	write_conf
	sed "/^\[$2\]/a $3" "$T/parleyd.conf" >"$T/$1.conf"
}
bad_conf frame8k server "max_frame = 8192"
line=$(grep -n '^max_frame = 8192$' "$T/frame8k.conf" | cut -d: -f1)
expect_rc 1 check "$T/frame8k.conf"
grep -qF "$T/frame8k.conf:$line: max_frame: 8192 is below the minimum 1048576: the largest delivery, a release bundle, must fit in one frame" \
	"$T/last.out" || fail "max_frame = 8192: $(cat "$T/last.out")"
bad_conf queue64k limits "max_queued_output = 65536"
line=$(grep -n '^max_queued_output = 65536$' "$T/queue64k.conf" | cut -d: -f1)
expect_rc 1 check "$T/queue64k.conf"
grep -qF "$T/queue64k.conf:$line: max_queued_output: 65536 is below the minimum 2097152: deliveries are pushed until half is queued, each up to 1 MiB" \
	"$T/last.out" || fail "max_queued_output = 65536: $(cat "$T/last.out")"
# one byte short of each minimum, and the two minimums together
bad_conf frame1 server "max_frame = 1048575"
expect_rc 1 check "$T/frame1.conf"
grep -q "max_frame: 1048575 is below the minimum 1048576" "$T/last.out" || fail "$(cat "$T/last.out")"
bad_conf queue1 limits "max_queued_output = 2097151"
expect_rc 1 check "$T/queue1.conf"
grep -q "max_queued_output: 2097151 is below the minimum 2097152" "$T/last.out" || fail "$(cat "$T/last.out")"
write_conf
sed -i -e '/^\[server\]/a max_frame = 1048576' -e '/^\[limits\]/a max_queued_output = 2097152' \
	-e '/^\[limits\]/a decode_budget = 1048576' "$T/parleyd.conf"
expect_out "^configuration OK$" check "$T/parleyd.conf"
# start-up refuses the same, with the same message
"$BIN/parleyd" -c "$T/frame8k.conf" >"$T/start.out" 2>&1 && fail "parleyd started with max_frame = 8192"
grep -q "max_frame: 8192 is below the minimum 1048576" "$T/start.out" || fail "start-up: $(cat "$T/start.out")"
# and so does a reload, which keeps the running configuration
cp "$T/parleyd.conf" "$T/smallest.conf"
cp "$T/queue64k.conf" "$T/parleyd.conf"
kill -HUP "$PARLEYD_PID"
i=0
until grep -q "max_queued_output: 65536 is below the minimum 2097152.*keeping the running configuration" \
	"$T/parleyd.log"; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "the reload was not refused: $(grep reload "$T/parleyd.log")"
	sleep 0.05
done

# ---- the smallest configuration carries the largest agreement
cp "$T/smallest.conf" "$T/parleyd.conf"
restart
codes=$(seq -f 'p%02g' 1 "$NPARTIES")
parties=$(echo $codes | tr ' ' ,)
for p in $codes; do enrol "$p"; done
# one byte more than the longest text is refused at creation, changing nothing
head -c $((TEXT_MAX + 1)) /dev/zero | tr '\0' 'x' >"$T/text"
expect_rc 2 ctl agreement create --title "Too long" --text "$T/text" --parties "$parties"
grep -qE "(longer|larger) than $TEXT_MAX bytes" "$T/last.out" || fail "text over TEXT_MAX: $(cat "$T/last.out")"
[ "$(db "SELECT count(*) FROM agreement")" = 0 ] || fail "a refused agreement was stored"
head -c $TEXT_MAX /dev/zero | tr '\0' 'x' >"$T/text"
out=$(ctl --json agreement create --title "The longest agreement" --text "$T/text" --parties "$parties") ||
	fail "create: $out"
a=$(jget "$out" .id)
# a calendar at its limits: 200 measures, descriptions of 300 bytes
desc=$(head -c 300 /dev/zero | tr '\0' 'd')
for i in $(seq 1 200); do echo "X+${i}d | all | $desc | -"; done >"$T/calendar"
expect_rc 0 ctl timeline set "$a" "$T/calendar"
expect_rc 0 ctl agreement circulate "$a"
# a party's amendment carries the longest text in too (decode_budget);
# proposed, it waits for the mediator and does not hold up the signing
head -c $TEXT_MAX /dev/zero | tr '\0' 'z' >"$T/text2"
expect_rc 0 as p01 amend "$a" --text "$T/text2" --note "the longest amendment"
[ "$(db "SELECT length(text) FROM amendment WHERE agreement_id = $a")" = $TEXT_MAX ] ||
	fail "the longest amendment was not stored"
sign_all "$a" $codes
[ "$(jget "$(ctl --json agreement show "$a")" .state)" = in_force ] || fail "not released"
bundle=$(db "SELECT length(p.body) FROM message m JOIN payload p ON p.id = m.payload_id
	WHERE m.kind = 'release' AND m.agreement_id = $a LIMIT 1")
[ "$bundle" -gt $((TEXT_MAX + 200 * 300)) ] || fail "the release bundle is only $bundle bytes"
printf "%s" "after the longest release" | expect_rc 0 ctl notice send all --text -
for p in $codes; do
	out=$(as "$p" --json inbox) || fail "$p inbox: $out"
	[ "$(jget "$out" "[.deliveries[] | select(.kind == \"release\" and .agreement == $a and .verified)] | length")" = 1 ] ||
		fail "$p did not receive a verified bundle of $a: $(printf '%s' "$out" | head -c 600)"
	[ "$(jget "$out" '[.deliveries[] | select(.text == "after the longest release")] | length')" = 1 ] ||
		fail "$p did not receive the notice after the release: $(printf '%s' "$out" | head -c 600)"
done
pending=$(db "SELECT count(*) FROM delivery WHERE acked_at IS NULL")
[ "$pending" = 0 ] || fail "$pending deliveries still pending"
out=$(ctl --json agreement show "$a")
[ "$(jget "$out" '[.parties[] | select(.receipt == null)] | length')" = 0 ] ||
	fail "a party has no receipt for the bundle: $out"
grep -E "cannot pack|not reading|passed over" "$T/parleyd.log" && fail "a delivery did not fit"
echo "big_delivery: release bundle of $bundle bytes ($NPARTIES parties, a $TEXT_MAX-byte text," \
	"200 measures) delivered to every endpoint with max_frame 1048576, max_queued_output 2097152"

# ---- a delivery too long to send anyway is passed over, not looped on
stop_daemon
# Payload { notice { text } } whose frame is over max_frame: a text of
# 1 MiB + 100 bytes (both lengths take 3-byte varints).
bytes() { # the varint of $1, as raw bytes
	local v=$1 out=""
	while [ "$v" -ge 128 ]; do out+=$(printf '\\x%02x' $(( (v & 127) | 128 ))); v=$((v >> 7)); done
	printf "$out$(printf '\\x%02x' "$v")"
}
n=$((1048576 + 100))
{ printf '\x0a'; bytes $((n + 4)); printf '\x0a'; bytes $n; head -c $n /dev/zero | tr '\0' y; } >"$T/big.pb"
[ "$(stat -c %s "$T/big.pb")" = $((n + 8)) ] || fail "big.pb is $(stat -c %s "$T/big.pb") bytes"
ep=$(endpoint_id p01)
db "INSERT INTO payload(body) VALUES (readfile('$T/big.pb'));
	INSERT INTO message(kind, party_id, summary, payload_id, created_at)
	VALUES ('notice', (SELECT id FROM party WHERE code = 'p01'), 'too long', last_insert_rowid(), 0);
	INSERT INTO delivery(message_id, endpoint_id) VALUES (last_insert_rowid(), $ep);"
big=$(db "SELECT max(id) FROM delivery")
start_daemon
printf "%s" "after the one too long" | expect_rc 0 ctl notice send p01 --text -
# told once, clearly; the connection was not dropped without a word
expect_rc 1 as p01 inbox
grep -q "delivery $big ([0-9]* bytes) is too large for this server to send" "$T/last.out" ||
	fail "the endpoint was not told: $(cat "$T/last.out")"
grep -q "delivery $big for endpoint $ep of p01 is a [0-9]*-byte frame, more than max_frame" \
	"$T/parleyd.log" || fail "no warning naming delivery $big in the log"
grep -E "cannot pack|not reading" "$T/parleyd.log" && fail "the endpoint was dropped"
# then the deliveries after it arrive, and it is not told again
out=$(as p01 --json inbox) || fail "p01 blocked after the delivery too long: $out"
[ "$(jget "$out" '[.deliveries[] | select(.text == "after the one too long")] | length')" = 1 ] ||
	fail "the notice after the one too long did not arrive: $out"
out=$(as p01 --json inbox) || fail "p01 told again: $out"
[ "$(jget "$out" .count)" = 0 ] || fail "p01 inbox: $out"
# it stays pending, for the mediator to see
[ "$(db "SELECT acked_at IS NULL FROM delivery WHERE id = $big")" = 1 ] || fail "delivery $big was acked"
pass
