# Client failover with an impostor listed first (found by a review):
# client.conf lists a TLS server with another key (a certificate of no
# pin) before the real parleyd.  The client must refuse it during the
# handshake, before it sends its own certificate (TLS 1.3 client
# authentication: it follows the server's Finished), so the impostor
# never learns which endpoint, of which party, called; no Hello, request
# or copy reaches it; the mismatch is reported and the real daemon used.
set -u
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "no openssl"; exit 77; }
setup
enrol baku
D=$(cd "$(dirname "$0")/../data" && pwd)
IPORT=$(( PORT + 7 ))
openssl req -x509 -newkey ed25519 -keyout "$T/imp.key" -out "$T/imp.crt" -days 1 \
	-subj /CN=impostor -nodes >/dev/null 2>&1 || fail "impostor key"
# -verify 1: ask for a client certificate (as parleyd does) and print it
# stdin held open (a FIFO nobody writes) so that s_server waits for its
# one connection; it exits after it
mkfifo "$T/imp.in"
exec 7<>"$T/imp.in"
timeout 25 openssl s_server -accept "127.0.0.1:$IPORT" -cert "$T/imp.crt" \
	-key "$T/imp.key" -verify 1 -tls1_3 -naccept 1 <"$T/imp.in" >"$T/imp.out" 2>&1 &
IMP=$!
for i in $(seq 1 100); do grep -q ":$(printf %04X $IPORT) " /proc/net/tcp && break; sleep 0.05; done
sed -i "s|^server = .*|server = 127.0.0.1:$IPORT, 127.0.0.1:$PORT|" "$T/baku/client.conf"
as baku inbox >"$T/out" 2>&1 || fail "the real parleyd was not reached: $(cat "$T/out")"
grep -q "pin" "$T/out" || fail "no pin mismatch reported: $(cat "$T/out")"
wait "$IMP"	# its one connection is over (bounded by timeout 25)
exec 7>&-
CN=$(openssl x509 -in "$T/baku/endpoint.crt" -noout -subject | sed 's/.*CN *= *//')
if grep -q "client certificate\|subject=.*$CN\|depth=0" "$T/imp.out"; then
	fail "the impostor (no pinned certificate) received baku's client certificate ($CN)"
fi
pass
