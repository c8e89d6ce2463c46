# Embargo property test (invariants 1, 2, 4): random interleavings, from fixed
# seeds, of sign / withdraw / amend+adopt / reconnect among 3-5 parties.
# After every step each party's every received payload byte is checked: no
# party holds another party's signature before release; the release happens
# exactly when every party first holds a valid copy of the current revision,
# and only once.
. "$(dirname "$0")/lib.sh"
setup
D=$(cd "$(dirname "$0")/../data" && pwd)
ALL="p1 p2 p3 p4 p5"
for p in $ALL; do enrol $p; done
ctl clock set 1995-02-01T00:00:00+04:00 >/dev/null
STEPS=${EMBARGO_STEPS:-30}
db() { sqlite3 "$T/state/parley.db" "$1"; }

check_embargo() { # A PARTIES RELEASED
	for p in $2; do
		"$BIN/ptool" dump "$T/$p/client.conf" "$T/$p.$seed.dump" >/dev/null || fail "dump $p"
		[ "$3" = 1 ] && continue
		for q in $2; do
			[ "$p" = "$q" ] && continue
			for s in $(db "SELECT lower(hex(c.signature)) FROM copy c JOIN party x ON x.id = c.party_id WHERE x.code = '$q' AND c.agreement_id = $1"); do
				grep -q "$s" "$T/$p.$seed.dump" && fail "seed $seed step $i: $p holds a signature of $q before release"
			done
		done
	done
}

for seed in 11 23 37 41 53 67; do
	RANDOM=$seed
	# $RANDOM only in this shell: bash reseeds it in subshells
	n=$(( 3 + RANDOM % 3 ))
	read -ra arr <<<"$ALL"
	parties="${arr[*]:0:$n}"
	A=$(jget "$(ctl --json agreement create --title "seed $seed" --text "$D/ceasefire-1994-rev1.txt" \
		--parties "$(echo $parties | tr ' ' ,)")" .id)
	ctl agreement circulate "$A" >/dev/null || fail "circulate"
	declare -A signed=()
	released=0; rev=1
	for i in $(seq $STEPS); do
		r=$RANDOM; p=${arr[$(( r % n ))]}
		r=$(( RANDOM % 10 ))
		# amendments only in the first half, so that releases happen too
		[ $r = 7 ] && [ $i -gt $((STEPS / 2)) ] && r=8
		case $r in
		0|1|2|3|4|5)	# sign
			if [ $released = 1 ]; then
				expect_rc 1 as $p sign "$A" --yes
			else
				expect_rc 0 as $p sign "$A" --yes
				signed[$p]=1
				all=1; for q in $parties; do [ "${signed[$q]:-0}" = 1 ] || all=0; done
				if [ $all = 1 ]; then
					grep -q "every party has signed: agreement" "$T/last.out" || fail "seed $seed step $i: no release when all had signed"
					released=1
				else
					grep -q "every party has signed: agreement" "$T/last.out" && fail "seed $seed step $i: released early"
				fi
			fi ;;
		6)	# withdraw
			if [ $released = 0 ] && [ "${signed[$p]:-0}" = 1 ]; then
				expect_rc 0 as $p withdraw "$A"; signed[$p]=0
			else
				expect_rc 1 as $p withdraw "$A"
			fi ;;
		7)	# amendment proposed by p and adopted: every signature superseded
			if [ $released = 1 ]; then
				expect_rc 1 as $p amend "$A" --text "$D/ceasefire-1994-rev2.txt"
			else
				{ cat "$D/ceasefire-1994-rev1.txt"; echo "5. Amendment $seed.$i."; } > "$T/am.txt"
				am=$(jget "$(as $p --json amend "$A" --text "$T/am.txt")" .id)
				expect_rc 0 ctl amendment adopt "$am"
				rev=$((rev + 1)); signed=()
			fi ;;
		*)	# a party reconnects and drains its deliveries
			"$BIN/ptool" dump "$T/$p/client.conf" "$T/$p.$seed.dump" >/dev/null || fail "dump" ;;
		esac
		state=$(jget "$(ctl --json agreement show "$A")" .state)
		want=circulating; [ $released = 1 ] && want=in_force
		[ "$state" = "$want" ] || fail "seed $seed step $i: state $state, model says $want"
		check_embargo "$A" "$parties" $released
	done
	rels=$(db "SELECT count(*) FROM message WHERE kind = 'release' AND agreement_id = $A")
	[ "$rels" = $(( released * n )) ] || fail "seed $seed: $rels release messages for $n parties"
	echo "seed $seed: $n parties, $STEPS steps, revision $rev, released=$released"
	unset signed
done
pass
