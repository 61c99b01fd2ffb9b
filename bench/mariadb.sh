#!/usr/bin/env bash
# Reading and writing a MariaDB table against a plain mysql_async loop, the mariadb client
# and Python's PyMySQL (tests/benches/mariadb.rs), on a throwaway server on 127.0.0.1 that this
# script starts (tests/mariadb-server.sh) and stops. Prints Markdown tables (the README
# quotes them).
#   bench/mariadb.sh                            1,000,000 rows
#   ITERABLE_BENCH_DB_ROWS=200000 bench/mariadb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import pymysql' 2>/dev/null; then
  "$venv/bin/pip" install --quiet PyMySQL
fi
export ITERABLE_BENCH_PYTHON="$PWD/$venv/bin/python"
# Plain TCP, as the peers connect.
test_server_tls=0
source tests/mariadb-server.sh
export ITERABLE_BENCH_MYSQL="$mariadb_url"
cargo bench -p iterable-tests --bench mariadb
