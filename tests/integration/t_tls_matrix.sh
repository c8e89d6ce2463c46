# TLS negative matrix (issue 7, section 5), each case against the real
# parleyd with openssl s_client or the parley client:
#   TLS 1.2                        refused at the handshake (protocol_version alert)
#   no client certificate          refused (certificate_required alert), logged
#   unregistered pin               refused after the handshake with an error
#                                  frame naming the pin, logged
#   expired / not-yet-valid cert   ACCEPTED: trust is by pin and pins ignore
#                                  validity dates (README "Notes"; the mediator
#                                  revokes a key with `endpoint remove`)
#   resumption                     no session ticket is ever issued; a ticket
#                                  from elsewhere gets a full handshake ("New")
#   early data (0-RTT)             never accepted, never reaches a session
#   only ffdhe groups offered      refused at the handshake (no common group);
#                                  [tls] groups can name no ffdhe group
#   [tls] groups = P-256           an X25519-only client is refused, a P-256
#                                  one gets through (reload applies it)
# Failures before TLS is done are logged one a minute at most (gate.h);
# their details are at debug level, hence -v.
PARLEYD_FLAGS=-v
. "$(dirname "$0")/lib.sh"
setup
enrol a
C=(-connect "127.0.0.1:$PORT" -cert "$T/a/endpoint.crt" -key "$T/a/endpoint.key")
# s_client, its stdin held open for a second so that it reads what the
# server sends after the handshake (alerts, tickets)
sclient() { (sleep 1) | timeout 15 openssl s_client "$@" >"$T/last.out" 2>&1; }
logged() { # PATTERN: parleyd logs it (bounded wait: it may log after the client exits)
	local i=0
	until grep -qE -- "$1" "$T/parleyd.log"; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "parleyd.log lacks /$1/"
		sleep 0.05
	done
}

# ---- TLS 1.2
sclient "${C[@]}" -tls1_2 && fail "TLS 1.2: s_client succeeded: $(cat "$T/last.out")"
grep -q "alert protocol version" "$T/last.out" || fail "TLS 1.2 not refused with protocol_version: $(cat "$T/last.out")"
grep -q "Cipher is (NONE)" "$T/last.out" || fail "TLS 1.2: a cipher was negotiated"
logged "TLS error: .*unsupported protocol"

# ---- TLS 1.3 without a client certificate
sclient -connect "127.0.0.1:$PORT" -tls1_3
grep -q "alert certificate required" "$T/last.out" || fail "no client certificate: not refused: $(cat "$T/last.out")"
logged "TLS error: .*peer did not return a certificate"
before=$(snapshot)

# ---- a client offering only finite-field groups: no common group, no key
# exchange (one ffdhe8192 handshake cost the server ~150 ms of CPU)
sclient "${C[@]}" -tls1_3 -groups ffdhe2048:ffdhe8192 && fail "ffdhe only: s_client succeeded: $(cat "$T/last.out")"
grep -q "Cipher is (NONE)" "$T/last.out" || fail "ffdhe only: a cipher was negotiated"
logged "TLS error: .*no suitable key share"
# the same client with X25519 among its groups gets through
sclient "${C[@]}" -tls1_3 -groups ffdhe2048:X25519
grep -q "Server Temp Key: X25519" "$T/last.out" || fail "X25519 not chosen: $(cat "$T/last.out")"
# and the configuration refuses ffdhe outright
printf '[tls]\ngroups = X25519:ffdhe8192\n' >"$T/ffdhe.conf"
out=$("$BIN/parleyd" -n -c "$T/ffdhe.conf") && fail "parleyd -n accepted an ffdhe group"
case $out in *"ffdhe8192 is refused"*) ;; *) fail "ffdhe group: $out" ;; esac
# [tls] groups on reload: P-256 only
sed -i '/^\[limits\]/i [tls]\ngroups = P-256' "$T/parleyd.conf"
kill -HUP "$PARLEYD_PID"; logged "reloaded"
sclient "${C[@]}" -tls1_3 -groups X25519 && fail "X25519-only client accepted with groups = P-256"
sclient "${C[@]}" -tls1_3 -groups X25519:P-256
grep -q "Server Temp Key: ECDH, prime256v1" "$T/last.out" || fail "P-256 not chosen: $(cat "$T/last.out")"

# ---- unregistered pin
new_endpoint stranger
pin=$(openssl x509 -in "$T/stranger/endpoint.crt" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
expect_rc 3 "$BIN/parley" -c "$T/stranger/client.conf" inbox
grep -q "certificate pin $pin is not registered" "$T/last.out" || fail "unregistered pin: $(cat "$T/last.out")"
logged "refused certificate with unregistered pin $pin"
# raw s_client too: the error frame (it names the pin) arrives after the handshake
sclient -connect "127.0.0.1:$PORT" -tls1_3 -cert "$T/stranger/endpoint.crt" -key "$T/stranger/endpoint.key"
grep -q "$pin" "$T/last.out" || fail "s_client with an unregistered certificate did not get an error frame naming $pin"
[ "$(snapshot)" = "$before" ] || fail "refused handshakes changed the store"

# ---- expired and not-yet-valid endpoint certificates: accepted (pins ignore dates)
# `openssl ca -selfsign` is the OpenSSL 3.0 way to give a certificate
# explicit dates (req/x509 gained -not_before/-not_after only in 3.4).
mkdir -p "$T/ca/db"; touch "$T/ca/db/index.txt"; echo 01 >"$T/ca/db/serial"
cat >"$T/ca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $T/ca/db/index.txt
serial = $T/ca/db/serial
new_certs_dir = $T/ca/db
default_md = default
policy = p
unique_subject = no
[p]
commonName = supplied
CNF
dated_cert() { # DIR START END: DIR's endpoint key, certified for START..END
	openssl req -new -key "$1/endpoint.key" -subj "/CN=$(basename "$1")" -out "$T/ca/req.pem" 2>/dev/null &&
	openssl ca -batch -config "$T/ca/ca.cnf" -selfsign -keyfile "$1/endpoint.key" -in "$T/ca/req.pem" \
		-startdate "$2" -enddate "$3" -notext -out "$1/endpoint.crt" >/dev/null 2>&1 ||
		fail "cannot make a certificate dated $2..$3"
}
ctl party add old --name "Expired certificate" >/dev/null || fail "party add old"
ctl party add early --name "Future certificate" >/dev/null || fail "party add early"
new_endpoint old; new_endpoint early
dated_cert "$T/old" 20200101000000Z 20210101000000Z
dated_cert "$T/early" 20990101000000Z 20991231000000Z
openssl x509 -in "$T/old/endpoint.crt" -noout -checkend 0 >/dev/null && fail "the old certificate is not expired"
expect_rc 0 ctl endpoint add old --cert "$T/old/endpoint.crt"
expect_rc 0 ctl endpoint add early --cert "$T/early/endpoint.crt"
expect_rc 0 as old inbox
expect_rc 0 as early inbox
logged "endpoint [0-9]+ of old connected"
logged "endpoint [0-9]+ of early connected"
echo "tls: expired (2020-2021) and not-yet-valid (2099) endpoint certificates accepted by pin, as documented"

# ---- resumption: no ticket is ever issued ...
sclient "${C[@]}" -tls1_3 -sess_out "$T/sess-parleyd.pem"
grep -q "New, TLSv1.3" "$T/last.out" || fail "handshake failed: $(cat "$T/last.out")"
grep -qi "New Session Ticket\|TLS session ticket" "$T/last.out" && fail "parleyd issued a session ticket: $(cat "$T/last.out")"
[ -s "$T/sess-parleyd.pem" ] && fail "s_client got a resumable session from parleyd"
logged "endpoint [0-9]+ of a connected"
# ... and a ticket from another TLS 1.3 server with the same certificate and
# key (openssl s_server, tickets and 0-RTT on) gets a full handshake.
P2=$((PORT + 1))
timeout 15 openssl s_server -accept "127.0.0.1:$P2" -cert "$T/state/server.crt" -key "$T/state/server.key" \
	-tls1_3 -early_data -num_tickets 2 -naccept 2 -quiet >"$T/s_server.out" 2>&1 &
srv=$!
i=0; until sclient -connect "127.0.0.1:$P2" -tls1_3 -sess_out "$T/sess.pem" && [ -s "$T/sess.pem" ]; do
	i=$((i + 1)); [ $i -gt 20 ] && fail "no session from openssl s_server: $(cat "$T/last.out")"
	sleep 0.2
done
sclient "${C[@]}" -tls1_3 -sess_in "$T/sess.pem"
grep -q "Reused, TLSv1.3" "$T/last.out" && fail "parleyd resumed a session"
grep -q "New, TLSv1.3" "$T/last.out" || fail "no full handshake after a resumption attempt: $(cat "$T/last.out")"

# ---- early data: a whole Hello frame sent as 0-RTT is never accepted
printf '\0\0\0\x04\x08\x01\x12\x00' >"$T/early.bin"
sclient "${C[@]}" -tls1_3 -sess_in "$T/sess.pem" -early_data "$T/early.bin"
grep -q "Early data was accepted" "$T/last.out" && fail "parleyd accepted early data"
grep -qE "Early data was (rejected|not sent)" "$T/last.out" || fail "early data: $(cat "$T/last.out")"
kill $srv 2>/dev/null; wait $srv 2>/dev/null
grep -qE "bad frame|first frame must be hello|protocol version [0-9]+ refused" "$T/parleyd.log" &&
	fail "early data reached a session"
pass
