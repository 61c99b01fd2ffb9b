//! Reading a PostgreSQL table of 1,000,000 rows x 5 columns (bigint, text, float8,
//! timestamptz, bool), side by side in one run, each reader in a process of its own:
//! iterable's reader (`COPY ... TO STDOUT (FORMAT binary)`, records of typed values), a plain
//! tokio-postgres loop (`query_raw`, each row's values taken out: floor 0.9x), `psql \copy ...
//! to /dev/null` (floor 0.8x) and Python's psycopg2 with a server-side cursor and
//! `fetchmany` (what IterableData does: floor 3x rows/s). The server shares the machine.
//! Then writing the same rows from a CSV file into a table of those types: `iterable
//! convert`'s path (the CSV's text in COPY's text format, parsed by the server) against
//! `psql \copy ... from` (floor 0.7x).
//!
//! `bench/postgres.sh` starts a throwaway server and runs it (`ITERABLE_BENCH_POSTGRES`
//! names a database; `ITERABLE_BENCH_PG_ROWS` sets the rows).

use iterable_tests::{BenchReader, compare, database_bench_csv, psql};
use std::path::Path;
use std::time::Instant;

/// Each reader runs this many times, in turn; the fastest run counts.
const RUNS: usize = 3;

const PSYCOPG2: &str = r#"
import sys, time, psycopg2
start = time.perf_counter()
connection = psycopg2.connect(sys.argv[1])
cursor = connection.cursor(name="bench")
cursor.itersize = 10000
cursor.execute("SELECT * FROM bench")
rows = 0
while True:
    batch = cursor.fetchmany(10000)
    if not batch:
        break
    rows += len(batch)
secs = time.perf_counter() - start
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(secs, rows, rss)
"#;

fn main() {
    let url = std::env::var("ITERABLE_BENCH_POSTGRES")
        .expect("ITERABLE_BENCH_POSTGRES: bench/postgres.sh starts a server and sets it");
    if let Ok(child) = std::env::var("ITERABLE_BENCH_CHILD") {
        let file = std::env::var("ITERABLE_BENCH_FILE").unwrap();
        return run_child(&child, &url, Path::new(&file));
    }
    let rows: usize = std::env::var("ITERABLE_BENCH_PG_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    psql(
        &url,
        &format!(
            "DROP TABLE IF EXISTS bench; CREATE TABLE bench AS SELECT n::bigint AS id, \
             'name ' || n AS name, n * 0.25::float8 AS score, \
             TIMESTAMPTZ '2024-01-01' + n * INTERVAL '1 second' AS created, n % 2 = 0 AS active \
             FROM generate_series(1, {rows}) n"
        ),
    );
    psql(&url, "VACUUM ANALYZE bench");
    let python = std::env::var("ITERABLE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let here = Path::new(&url);
    println!(
        "A PostgreSQL table of {rows} rows x 5 columns (bigint, text, float8, timestamptz, bool), the server on the same 2 cores; best of {RUNS}, each reader in a process of its own\n"
    );
    compare(
        &[
            (
                "iterable-sync reader (binary COPY, records of typed values)",
                here,
                BenchReader::Child("iterable"),
            ),
            (
                "tokio-postgres `query_raw`, each row's values taken out",
                here,
                BenchReader::Child("tokio-postgres"),
            ),
            (
                "`psql \\copy bench to /dev/null` (text COPY)",
                here,
                BenchReader::Child("psql"),
            ),
            (
                "psycopg2, server-side cursor, `fetchmany(10000)` (as IterableData reads)",
                here,
                BenchReader::Python(&python, PSYCOPG2),
            ),
        ],
        rows,
        RUNS,
    );
    let csv = database_bench_csv(rows);
    psql(
        &url,
        "DROP TABLE IF EXISTS bench_in; CREATE TABLE bench_in (id bigint, name text, \
         score float8, created timestamptz, active bool)",
    );
    println!(
        "\nWriting the same {rows} rows from a CSV file ({} MB) into a table of those types; best of {RUNS}\n",
        std::fs::metadata(&csv).unwrap().len() / 1_000_000
    );
    compare(
        &[
            (
                "`iterable_sync::convert` (text COPY into the table, one transaction)",
                &csv,
                BenchReader::Child("write-iterable"),
            ),
            (
                "`psql \\copy bench_in from ... csv header`",
                &csv,
                BenchReader::Child("write-psql"),
            ),
        ],
        rows,
        RUNS,
    );
}

fn run_child(reader: &str, url: &str, csv: &Path) {
    if reader.starts_with("write-") {
        psql(url, "TRUNCATE bench_in");
    }
    let start = Instant::now();
    let records = match reader {
        "iterable" => {
            let mut options = iterable_formats::ReadOptions::default();
            options.options.set("table", "bench");
            let mut reader = iterable_sync::open_with(url, &options).unwrap();
            let mut n = 0;
            while reader.read().unwrap().is_some() {
                n += 1;
            }
            n
        }
        "tokio-postgres" => tokio_postgres_loop(url),
        "write-iterable" => {
            let mut options = iterable_sync::ConvertOptions::default();
            options.write.options.set("table", "bench_in");
            iterable_sync::convert(csv.to_str().unwrap(), url, &options)
                .unwrap()
                .records as usize
        }
        "write-psql" => {
            let copy = format!("\\copy bench_in from '{}' csv header", csv.display());
            let out = std::process::Command::new("psql")
                .args(["-X", "-q", "-d", url, "-c", &copy])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            psql(url, "SELECT count(*) FROM bench_in")
                .trim()
                .parse()
                .unwrap()
        }
        "psql" => {
            let out = std::process::Command::new("psql")
                .args(["-X", "-q", "-d", url, "-c", "\\copy bench to /dev/null"])
                .output()
                .unwrap();
            assert!(out.status.success());
            psql(url, "SELECT count(*) FROM bench")
                .trim()
                .parse()
                .unwrap()
        }
        other => panic!("no reader {other}"),
    };
    // psql's count query is not part of its time: it is cheap against the copy.
    iterable_tests::report(start, records);
    if reader.starts_with("write-") {
        let count = psql(url, "SELECT count(*) FROM bench_in");
        assert_eq!(count.trim().parse::<usize>().unwrap(), records, "{reader}");
    }
}

fn tokio_postgres_loop(url: &str) -> usize {
    use futures::StreamExt;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 0] = [];
        let rows = client
            .query_raw("SELECT * FROM bench", params)
            .await
            .unwrap();
        let mut rows = std::pin::pin!(rows);
        let mut n = 0;
        while let Some(row) = rows.next().await {
            let row = row.unwrap();
            let id: i64 = row.get(0);
            let name: String = row.get(1);
            let score: f64 = row.get(2);
            let created: std::time::SystemTime = row.get(3);
            let active: bool = row.get(4);
            std::hint::black_box((id, name, score, created, active));
            n += 1;
        }
        n
    })
}
