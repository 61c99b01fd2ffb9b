//! MariaDB, side by side in one run, each reader and writer in a process of its own, the
//! server on the same 2 cores:
//! - reading a table of 1,000,000 rows x 5 columns (bigint, varchar, double, timestamp,
//!   boolean): iterable's reader (a prepared statement's streamed result set, records of typed
//!   values), a plain mysql_async loop (`exec_iter`, each row's values taken out: floor 0.9x),
//!   the `mariadb` client (`--quick`, to /dev/null) and Python's PyMySQL with a streaming
//!   cursor and `fetchmany` (as IterableData reads: floor 3x rows/s);
//! - writing the same rows from a CSV file into a table of those types: `iterable convert`'s
//!   path (`LOAD DATA LOCAL INFILE` fed from memory, in one transaction), PyMySQL's
//!   `executemany` (multi-row `INSERT`s) and the client's `LOAD DATA LOCAL INFILE` of the
//!   file.
//!
//! `bench/mariadb.sh` starts a throwaway server and runs it (`ITERABLE_BENCH_MYSQL` names a
//! database; `ITERABLE_BENCH_DB_ROWS` sets the rows).

use iterable_tests::{BenchReader, compare, database_bench_csv, mariadb};
use std::path::Path;
use std::time::Instant;

/// Each reader runs this many times, in turn; the fastest run counts.
const RUNS: usize = 3;

const TABLE: &str = "id BIGINT, name VARCHAR(40), score DOUBLE, created TIMESTAMP(6) NULL, \
                     active BOOLEAN";

const PYMYSQL_CONNECT: &str = r#"
import os, sys, time, urllib.parse, pymysql, pymysql.cursors
url = urllib.parse.urlparse(os.environ["ITERABLE_BENCH_MYSQL"])
def connect():
    return pymysql.connect(host=url.hostname, port=url.port, user=url.username,
        password=urllib.parse.unquote(url.password), database=url.path.lstrip("/"),
        cursorclass=pymysql.cursors.SSCursor, local_infile=True)
def report(start, rows):
    secs = time.perf_counter() - start
    rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    print(secs, rows, rss)
"#;

const PYMYSQL_READ: &str = r#"
start = time.perf_counter()
cursor = connect().cursor()
cursor.execute("SELECT * FROM bench")
rows = 0
while True:
    batch = cursor.fetchmany(10000)
    if not batch:
        break
    rows += len(batch)
report(start, rows)
"#;

const PYMYSQL_WRITE: &str = r#"
import csv
connection = connect()
connection.cursor().execute("TRUNCATE bench_in")
start = time.perf_counter()
cursor = connection.cursor()
rows = 0
with open(sys.argv[1], newline="") as f:
    reader = csv.reader(f)
    next(reader)
    batch = []
    for row in reader:
        batch.append(row)
        if len(batch) == 10000:
            cursor.executemany("INSERT INTO bench_in VALUES (%s, %s, %s, %s, %s)", batch)
            rows += len(batch)
            batch = []
    if batch:
        cursor.executemany("INSERT INTO bench_in VALUES (%s, %s, %s, %s, %s)", batch)
        rows += len(batch)
connection.commit()
report(start, rows)
"#;

fn main() {
    let url = std::env::var("ITERABLE_BENCH_MYSQL")
        .expect("ITERABLE_BENCH_MYSQL: bench/mariadb.sh starts a server and sets it");
    if let Ok(child) = std::env::var("ITERABLE_BENCH_CHILD") {
        let file = std::env::var("ITERABLE_BENCH_FILE").unwrap();
        return run_child(&child, &url, Path::new(&file));
    }
    let rows: usize = std::env::var("ITERABLE_BENCH_DB_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let csv = database_bench_csv(rows);
    mariadb(
        &url,
        &format!(
            "DROP TABLE IF EXISTS bench, bench_in; CREATE TABLE bench ({TABLE}); \
             CREATE TABLE bench_in ({TABLE}); SET time_zone = '+00:00'; \
             LOAD DATA LOCAL INFILE '{}' INTO TABLE bench FIELDS TERMINATED BY ',' \
             IGNORE 1 LINES; ANALYZE TABLE bench",
            csv.display()
        ),
    );
    let python = std::env::var("ITERABLE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let read = format!("{PYMYSQL_CONNECT}{PYMYSQL_READ}");
    let write = format!("{PYMYSQL_CONNECT}{PYMYSQL_WRITE}");
    println!(
        "Reading a MariaDB table of {rows} rows x 5 columns (bigint, varchar, double, timestamp, boolean), the server on the same 2 cores; best of {RUNS}, each reader in a process of its own\n"
    );
    compare(
        &[
            (
                "iterable-sync reader (streamed result set, records of typed values)",
                &csv,
                BenchReader::Child("iterable"),
            ),
            (
                "mysql_async `exec_iter`, each row's values taken out",
                &csv,
                BenchReader::Child("mysql_async"),
            ),
            (
                "`mariadb --quick -e 'SELECT * FROM bench' > /dev/null`",
                &csv,
                BenchReader::Child("client"),
            ),
            (
                "PyMySQL, streaming cursor, `fetchmany(10000)` (as IterableData reads)",
                &csv,
                BenchReader::Python(&python, &read),
            ),
        ],
        rows,
        RUNS,
    );
    println!(
        "\nWriting the same {rows} rows from a CSV file ({} MB) into a table of those types; best of {RUNS}\n",
        std::fs::metadata(&csv).unwrap().len() / 1_000_000
    );
    compare(
        &[
            (
                "`iterable_sync::convert` (`LOAD DATA LOCAL INFILE` fed from memory, one transaction)",
                &csv,
                BenchReader::Child("write-iterable"),
            ),
            (
                "PyMySQL `executemany`, 10,000 rows a call (multi-row INSERTs)",
                &csv,
                BenchReader::Python(&python, &write),
            ),
            (
                "`LOAD DATA LOCAL INFILE` by the `mariadb` client",
                &csv,
                BenchReader::Child("write-load-data"),
            ),
        ],
        rows,
        RUNS,
    );
}

fn run_child(reader: &str, url: &str, csv: &Path) {
    let count = |table: &str| -> usize {
        mariadb(url, &format!("SELECT count(*) FROM {table}"))
            .trim()
            .parse()
            .unwrap()
    };
    if reader.starts_with("write-") {
        mariadb(url, "TRUNCATE bench_in");
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
        "mysql_async" => mysql_async_loop(url),
        "client" => {
            client(url, &["--quick", "-N", "-B", "-e", "SELECT * FROM bench"]);
            count("bench")
        }
        "write-iterable" => {
            let mut options = iterable_sync::ConvertOptions::default();
            options.write.options.set("table", "bench_in");
            iterable_sync::convert(csv.to_str().unwrap(), url, &options)
                .unwrap()
                .records as usize
        }
        "write-load-data" => {
            let load = format!(
                "SET time_zone = '+00:00'; LOAD DATA LOCAL INFILE '{}' INTO TABLE bench_in \
                 FIELDS TERMINATED BY ',' IGNORE 1 LINES",
                csv.display()
            );
            client(url, &["--local-infile=1", "-e", &load]);
            count("bench_in")
        }
        other => panic!("no reader {other}"),
    };
    // The counts after the client's runs are not part of their time: they are cheap.
    iterable_tests::report(start, records);
    if reader.starts_with("write-") {
        assert_eq!(count("bench_in"), records, "{reader}");
    }
}

/// Runs the `mariadb` client on the database at `url` with `args`, its output to /dev/null.
fn client(url: &str, args: &[&str]) {
    let status = iterable_tests::MariadbUrl::parse(url)
        .client()
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

fn mysql_async_loop(url: &str) -> usize {
    use mysql_async::prelude::Queryable;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut conn = mysql_async::Conn::from_url(url).await.unwrap();
        let mut result = conn.exec_iter("SELECT * FROM bench", ()).await.unwrap();
        let mut n = 0;
        while let Some(mut row) = result.next().await.unwrap() {
            let id: Option<i64> = row.take(0);
            let name: Option<String> = row.take(1);
            let score: Option<f64> = row.take(2);
            let created: Option<mysql_async::Value> = row.take(3);
            let active: Option<i64> = row.take(4);
            std::hint::black_box((id, name, score, created, active));
            n += 1;
        }
        n
    })
}
