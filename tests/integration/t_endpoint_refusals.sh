# Pinning: an unregistered certificate is refused with an error naming its
# pin; a removed endpoint is refused on its next connection; TLS 1.2 and a
# client without a certificate are refused at the handshake; a client that
# pins a different server refuses to talk.
# TLS errors before authentication are logged whole once a minute (gate.h);
# -v logs each at debug level.
PARLEYD_FLAGS=-v
. "$(dirname "$0")/lib.sh"
setup
enrol baku
new_endpoint stranger
pin=$(openssl x509 -in "$T/stranger/endpoint.crt" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
expect_rc 3 "$BIN/parley" -c "$T/stranger/client.conf" inbox
grep -q "$pin" "$T/last.out" || fail "refusal does not name the pin $pin"
grep -q "not registered" "$T/last.out" || fail "refusal does not say why"
grep -q "unregistered pin $pin" "$T/parleyd.log" || fail "refusal not logged"

# registered: works; removed: refused next time
expect_rc 0 as baku inbox
eid=$(jget "$(ctl --json endpoint list baku)" '.endpoints[0].id')
expect_rc 0 ctl endpoint remove "$eid"
expect_rc 3 as baku inbox
grep -q "not registered" "$T/last.out" || fail "removed endpoint not refused"
expect_rc 1 ctl endpoint remove "$eid"
# re-adding the same certificate works again (a new endpoint row)
expect_rc 0 ctl endpoint add baku --cert "$T/baku/endpoint.crt"
expect_rc 0 as baku inbox

# TLS 1.2 is refused
if echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -cert "$T/baku/endpoint.crt" \
	-key "$T/baku/endpoint.key" >"$T/s12.out" 2>&1; then
	grep -q "Cipher is (NONE)\|no peer certificate" "$T/s12.out" || { cat "$T/s12.out"; fail "TLS 1.2 handshake succeeded"; }
fi
grep -qiE "alert|error|no protocols" "$T/s12.out" || fail "TLS 1.2 not refused: $(cat "$T/s12.out")"
# no client certificate: refused by the server
# (TLS 1.3 lets the client finish first; the server's refusal shows in its log)
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 >"$T/nocert.out" 2>&1
i=0
until grep -q "peer did not return a certificate" "$T/parleyd.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "a client without certificate was not refused"
	sleep 0.05
done

# the client refuses a server whose pin differs from client.conf's
sed -i "s/^server_pin = .*/server_pin = $(printf '0%.0s' $(seq 64))/" "$T/baku/client.conf"
expect_rc 3 as baku inbox
grep -q "refusing to talk" "$T/last.out" || fail "client accepted a wrong server pin"

# unreadable or wrong files are usage errors that change nothing
before=$(snapshot)
expect_rc 2 ctl endpoint add baku --cert /nonexistent.pem
expect_rc 2 ctl endpoint add baku --cert "$T/parleyd.conf"
expect_rc 2 ctl signer add baku --key "$T/baku/endpoint.crt"
expect_rc 1 ctl endpoint add nobody --cert "$T/stranger/endpoint.crt"
expect_rc 1 ctl party add baku --name again
expect_rc 2 ctl party add "Bad Code" --name x
expect_rc 2 ctl party add ok
[ "$(snapshot)" = "$before" ] || fail "bad input changed the store"
pass
