# Embargo property test (invariants 1, 2, 4): random interleavings, from
# fixed seeds, of sign (every third with a reservation) / non-identical
# copy / withdraw / decline with a reason / amend+adopt / several signing at once / clock steps / reads
# among 3-5 parties (one with
# two endpoints, an observer, parties outside the agreement).  After every
# step every byte each endpoint has received is searched for the other
# parties' signatures (raw and hex): none before release, none ever outside
# the released set; nor, before release (unless the agreement discloses
# progress), the hashes of their signatures or refused copies or the
# record's entries of their signing and declining, nor the reasons they
# gave for declining, nor the reservations written on their copies (after
# release only those of the released copies).  The release happens exactly when
# every party first holds a valid copy of the current revision, and only
# once.  The engine is
# tests/integration/embargo.sh; t_embargo_kills.sh runs it under kills.
EMB_KILLS=0
EMB_SEEDS=${EMBARGO_SEEDS:-11 23 37 41 53 67}
EMB_STEPS=${EMBARGO_STEPS:-30}
. "$(dirname "$0")/embargo.sh"
emb_run
