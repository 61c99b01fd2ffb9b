#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs the system tools the compression tests
# compare against (gzip, bzip2, xz, zstd, lz4, brotli, pigz, zip) when they are missing, and
# the Python peers (tests/peers/requirements.txt: pyarrow, msgpack, cbor2, pymongo, fastavro, azure-storage-blob...; in a venv under target/test-venv), then runs every test of the
# workspace. The servers the tests need (S3, GCS's XML API, HTTP, and Azurite, which this
# script installs with npm under target/azurite) start inside them, on 127.0.0.1, but for
# the databases: this script installs PostgreSQL and MariaDB when missing (Debian's postgresql
# and mariadb-server), starts a throwaway server of each on 127.0.0.1 for the run
# (ITERABLE_TEST_POSTGRES and ITERABLE_TEST_MYSQL name them; both have TLS, their
# certificates in the directories ITERABLE_TEST_POSTGRES_TLS and ITERABLE_TEST_MYSQL_TLS name)
# and stops them at the end.
# Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pair in gzip:gzip bzip2:bzip2 xz:xz-utils zstd:zstd lz4:lz4 brotli:brotli pigz:pigz zip:zip unzip:unzip; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing the tools the tests compare against: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The peers the format tests compare against, pinned.
venv=target/test-venv
if ! "$venv/bin/python" -c "import pyarrow, msgpack, cbor2, bson, fastavro, cramjam, openpyxl, xlwt, odf, dbf, azure.storage.blob" >/dev/null 2>&1; then
  echo "making $venv with the Python peers (tests/peers/requirements.txt)"
  if ! "$venv/bin/python" -c "" >/dev/null 2>&1 && ! python3 -m venv "$venv" >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/peers/requirements.txt
fi
export ITERABLE_TEST_PYTHON="$PWD/$venv/bin/python"

# Azurite, the Azure Storage emulator the cloud tests start (npm package, pinned), under
# target/azurite; Node.js and npm from Debian when missing.
azurite=target/azurite/node_modules/.bin/azurite-blob
if [ ! -x "$azurite" ]; then
  echo "installing Azurite 3.37.0 under target/azurite"
  if ! command -v npm >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
  fi
  npm install --prefix target/azurite --no-audit --no-fund --silent azurite@3.37.0
fi
export ITERABLE_TEST_AZURITE="$PWD/$azurite"

# A throwaway PostgreSQL cluster on 127.0.0.1 (tests/postgres-server.sh), stopped at the end.
source tests/postgres-server.sh
export ITERABLE_TEST_POSTGRES="$postgres_url" ITERABLE_TEST_POSTGRES_TLS="$postgres_tls"
# And a throwaway MariaDB (tests/mariadb-server.sh), stopped at the end too.
source tests/mariadb-server.sh
export ITERABLE_TEST_MYSQL="$mariadb_url" ITERABLE_TEST_MYSQL_TLS="$mariadb_tls"

# The tests' TLS settings are their own: none of libpq's variables, and a home without
# ~/.postgresql (whose certificates libpq's rules would use); cargo and rustup keep theirs.
unset PGSSLMODE PGSSLROOTCERT PGSSLCERT PGSSLKEY
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
test_home=$(mktemp -d /tmp/iterable-home.XXXXXX)
status=0
HOME="$test_home" cargo test --workspace --all-features "$@" || status=$?
rm -rf "$test_home"
exit $status
