#!/usr/bin/env bash
# Makes the TLS fixtures of test/fixtures/tls/ (committed; rerun only to change them) with openssl (Debian has it):
#   ca.pem                     a self-signed test CA ("rtms-client test CA"; its key is thrown away)
#   server.pem / server.key    a server certificate that CA issued, for 127.0.0.1, ::1, localhost and rtms.test
#                              (rtms.test: a name only the tests' proxy resolves, to test the allow-list through it)
#   other-ca.pem               a second, unrelated self-signed CA (the negative case: it did not issue server.pem)
# Everything is valid for 100 years, so the suite never starts failing on a date. These keys protect nothing: they
# exist only so loopback tests can run a wss:// simulator. Never trust ca.pem outside the tests.
set -euo pipefail
cd "$(dirname "$0")/../test/fixtures/tls"
command -v openssl >/dev/null || { echo "openssl is missing: apt-get install -y openssl" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DAYS=36500

# The test CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$DAYS" \
  -subj "/CN=rtms-client test CA" -keyout "$TMP/ca.key" -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# The server certificate, issued by the test CA.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
  -keyout server.key -out "$TMP/server.csr" 2>/dev/null
cat > "$TMP/server.ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:rtms.test
EXT
openssl x509 -req -in "$TMP/server.csr" -CA ca.pem -CAkey "$TMP/ca.key" -CAcreateserial -CAserial "$TMP/ca.srl" \
  -days "$DAYS" -extfile "$TMP/server.ext" -out server.pem 2>/dev/null

# An unrelated CA (its key is thrown away).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$DAYS" \
  -subj "/CN=rtms-client unrelated test CA" -keyout "$TMP/other-ca.key" -out other-ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

openssl verify -CAfile ca.pem server.pem
if openssl verify -CAfile other-ca.pem server.pem >/dev/null 2>&1; then echo "other-ca.pem must not verify server.pem" >&2; exit 1; fi
echo "test/fixtures/tls: ca.pem server.pem server.key other-ca.pem"
