# The embargo property test under fault injection (reliability issue): the
# random steps of t_embargo_property.sh (tests/integration/embargo.sh) while
# parleyd is killed at every named fault point (PARLEYD_CRASH_AT=POINT:N,
# three rounds, hit counts spread so the kills land early and late) and from
# outside between and within steps, and restarted.  After every step and
# every restart: no endpoint has received, in any byte, a signature of
# another party before its release, nor the hashes or record entries of
# another party's signing; releases happen exactly when every copy
# is in, once; the store is intact.  At the end every bundle reached every
# member endpoint and verifies offline.  Prints the kills by point.
EMB_KILLS=1
EMB_SEEDS=${EMBARGO_SEEDS:-11 29 41 53 67}
EMB_STEPS=${EMBARGO_STEPS:-30}
. "$(dirname "$0")/embargo.sh"
emb_run
