#!/usr/bin/env bash
# Reading throughput of iterable against the csv crate, serde_json and the Python library
# iterabledata, side by side in one run; convert_many in parallel; JSON arrays against
# serde_json and Python; Parquet and Arrow IPC against arrow-rs and pyarrow; XML against quick-xml, lxml and
# iterabledata, line protocol against its parser, MessagePack against rmpv and msgpack, CBOR against ciborium and cbor2, BSON against the bson crate and pymongo, Avro against apache-avro and fastavro; XLSX against calamine and openpyxl, SQLite against rusqlite and sqlite3; codecs; S3 against an
# in-process server. Prints
# Markdown tables (the README quotes them).
#   bench/run.sh                      1,000,000 rows
#   ITERABLE_BENCH_ROWS=200000 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if command -v python3 >/dev/null 2>&1; then
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import iterable, pyarrow, lxml, msgpack, cbor2, bson, fastavro, openpyxl' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet iterabledata pyarrow lxml msgpack cbor2 pymongo fastavro openpyxl
  fi
  export ITERABLE_BENCH_PYTHON="$PWD/$venv/bin/python"
fi
cargo bench -p iterable-tests --bench throughput
cargo bench -p iterable-tests --bench conversions
cargo bench -p iterable-tests --bench json_array
cargo bench -p iterable-tests --bench columnar
cargo bench -p iterable-tests --bench formats
cargo bench -p iterable-tests --bench sheets_and_databases
cargo bench -p iterable-tests --bench codecs
cargo bench -p iterable-tests --bench s3
bench/postgres.sh
