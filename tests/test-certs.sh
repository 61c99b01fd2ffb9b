# Sourced by the test servers' scripts: `make_test_certs DIR USER` makes DIR (belonging to
# USER when run as root, for the server that reads it) and writes into it, with openssl, a test
# certificate authority (DIR/ca.crt), a server certificate it signed for the name `localhost`
# only (not 127.0.0.1: the tests connect to both, to see host names checked or not) with its
# key (DIR/server.crt, DIR/server.key), a client certificate it signed for the user
# `iterable_cert` (DIR/client.crt, DIR/client.key), and a second authority that signed nothing
# (DIR/other-ca.crt).
if ! command -v openssl >/dev/null 2>&1; then
  echo "installing openssl for the test servers' certificates"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openssl >/dev/null
fi

make_test_certs() {
  local dir=$1 user=$2
  mkdir -p "$dir"
  local ca_extensions=(-addext "basicConstraints=critical,CA:TRUE"
    -addext "keyUsage=critical,keyCertSign,cRLSign")
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=iterable test CA" "${ca_extensions[@]}" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=iterable other CA" "${ca_extensions[@]}" \
    -keyout "$dir/other-ca.key" -out "$dir/other-ca.crt" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost" >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 30 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=iterable_cert" -keyout "$dir/client.key" -out "$dir/client.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=clientAuth" >"$dir/client.ext"
  openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 30 -extfile "$dir/client.ext" -out "$dir/client.crt" 2>/dev/null
  chmod 600 "$dir/server.key" "$dir/client.key"
  [ "$(id -u)" -ne 0 ] || chown -R "$user" "$dir"
}
