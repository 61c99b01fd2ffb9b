#!/usr/bin/env bash
# Reading a PostgreSQL table against a plain tokio-postgres loop, psql's \copy and Python's
# psycopg2 (tests/benches/postgres.rs), on a throwaway server on 127.0.0.1 that this script
# starts (tests/postgres-server.sh) and stops. Prints a Markdown table (the README quotes it).
#   bench/postgres.sh                           1,000,000 rows
#   ITERABLE_BENCH_PG_ROWS=200000 bench/postgres.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import psycopg2' 2>/dev/null; then
  "$venv/bin/pip" install --quiet psycopg2-binary
fi
export ITERABLE_BENCH_PYTHON="$PWD/$venv/bin/python"
# Plain TCP, as the peers connect.
test_server_tls=0
source tests/postgres-server.sh
export ITERABLE_BENCH_POSTGRES="$postgres_url"
cargo bench -p iterable-tests --bench postgres
