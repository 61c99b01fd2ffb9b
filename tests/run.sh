#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs the system tools the compression tests
# compare against (gzip, bzip2, xz, zstd, lz4, brotli, pigz, zip) when they are missing, and
# the Python peers (tests/peers/requirements.txt: pyarrow, msgpack, cbor2, pymongo, fastavro; in a venv under target/test-venv), then runs every test of the
# workspace. The servers the tests need (S3, HTTP) start inside them, on 127.0.0.1, but for
# PostgreSQL: this script installs it when missing (Debian's postgresql), starts a throwaway
# cluster on 127.0.0.1 for the run (ITERABLE_TEST_POSTGRES names it) and stops it at the end.
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
if ! "$venv/bin/python" -c "import pyarrow, msgpack, cbor2, bson, fastavro, cramjam, openpyxl, xlwt, odf, dbf" >/dev/null 2>&1; then
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

# A throwaway PostgreSQL cluster on 127.0.0.1, without durability (it is deleted at the end).
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || ! command -v psql >/dev/null 2>&1; then
  echo "installing PostgreSQL for the database tests"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pg_dir=$(mktemp -d /tmp/iterable-pg.XXXXXX)
pg_as=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  chown postgres "$pg_dir"
  pg_as=(runuser -u postgres --)
fi
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >"$pg_dir/initdb.log" 2>&1
"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
stop_postgres() {
  "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
export ITERABLE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres"

cargo test --workspace --all-features "$@"
