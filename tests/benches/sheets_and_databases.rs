//! Reading a workbook and a database, side by side in one run, each reader in a process of
//! its own so that its peak memory is its own:
//!
//! - an XLSX sheet of 100,000 rows x 8 columns written by openpyxl: iterable's reader
//!   (records of typed values), calamine's own loop (the sheet's range, each row's cells
//!   copied out: floor 0.9x) and openpyxl's read-only `iter_rows(values_only=True)` (what
//!   IterableData does: floor 10x rows/s);
//! - an SQLite table of 1,000,000 rows x 5 columns written by Python's sqlite3: iterable's
//!   reader, a plain rusqlite loop over `SELECT *` (each row's values copied out: floor
//!   0.9x) and Python's sqlite3 cursor (what IterableData does).
//!
//! `cargo bench -p iterable-tests --bench sheets_and_databases` (also in `bench/run.sh`, which
//! makes the venv with openpyxl); `ITERABLE_BENCH_SHEET_ROWS` and `ITERABLE_BENCH_SQLITE_ROWS`
//! set the rows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use iterable_tests::{BenchReader, compare};

/// Each reader runs this many times, in turn; the fastest run counts.
const RUNS: usize = 5;

fn main() {
    if let Ok(child) = std::env::var("ITERABLE_BENCH_CHILD") {
        let path = std::env::var("ITERABLE_BENCH_FILE").unwrap();
        return run_child(&child, Path::new(&path));
    }
    let python = std::env::var("ITERABLE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let rows = |var: &str, default: usize| -> usize {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mb = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;

    let sheet_rows = rows("ITERABLE_BENCH_SHEET_ROWS", 100_000);
    let xlsx = write_file(
        &python,
        WRITE_XLSX,
        &format!("sheet-{sheet_rows}.xlsx"),
        sheet_rows,
    );
    println!(
        "An XLSX sheet of {sheet_rows} rows x 8 columns ({:.1} MB, written by openpyxl); best of {RUNS}, each reader in a process of its own\n",
        mb(&xlsx)
    );
    compare(
        &[
            (
                "iterable-sync reader (records of typed values)",
                &xlsx,
                BenchReader::Child("iterable"),
            ),
            (
                "calamine `worksheet_range`, each row's cells copied out",
                &xlsx,
                BenchReader::Child("calamine"),
            ),
            (
                "openpyxl read-only `iter_rows(values_only=True)` (as IterableData reads)",
                &xlsx,
                BenchReader::Python(&python, OPENPYXL),
            ),
        ],
        sheet_rows,
        RUNS,
    );

    let sqlite_rows = rows("ITERABLE_BENCH_SQLITE_ROWS", 1_000_000);
    let db = write_file(
        &python,
        WRITE_SQLITE,
        &format!("rows-{sqlite_rows}.sqlite"),
        sqlite_rows,
    );
    println!(
        "\nAn SQLite table of {sqlite_rows} rows x 5 columns ({:.0} MB, written by Python's sqlite3)\n",
        mb(&db)
    );
    compare(
        &[
            (
                "iterable-sync reader (records)",
                &db,
                BenchReader::Child("iterable"),
            ),
            (
                "rusqlite `SELECT *`, each row's values copied out",
                &db,
                BenchReader::Child("rusqlite"),
            ),
            (
                "Python's sqlite3 cursor (as IterableData reads)",
                &db,
                BenchReader::Python(&python, PYTHON_SQLITE),
            ),
        ],
        sqlite_rows,
        RUNS,
    );
}

/// openpyxl writes the sheet: an integer, a string, a float, a date-time, a boolean, a
/// string, an integer, a string.
const WRITE_XLSX: &str = "
import sys, datetime, openpyxl
rows, path = int(sys.argv[1]), sys.argv[2]
book = openpyxl.Workbook(write_only=True)
sheet = book.create_sheet('data')
sheet.append(['id', 'name', 'amount', 'at', 'active', 'city', 'score', 'note'])
names = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken']
cities = ['Oslo', 'Zurich', 'Sao Paulo', 'Kyiv', 'Osaka', 'Lagos']
start = datetime.datetime(2024, 1, 1)
for i in range(rows):
    sheet.append([i, names[i % 8], (i * 7919) % 100003 / 100, start + datetime.timedelta(minutes=i),
                  i % 3 == 0, cities[(i // 3) % 6], (i * 31) % 1000, f'note {i % 97}'])
book.save(path)
";

/// Python's sqlite3 writes the table.
const WRITE_SQLITE: &str = "
import sys, sqlite3
rows, path = int(sys.argv[1]), sys.argv[2]
db = sqlite3.connect(path)
db.execute('CREATE TABLE data (id INTEGER PRIMARY KEY, name TEXT, amount REAL, city TEXT, at TEXT)')
names = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken']
cities = ['Oslo', 'Zurich', 'Sao Paulo', 'Kyiv', 'Osaka', 'Lagos']
db.executemany('INSERT INTO data VALUES (?, ?, ?, ?, ?)',
               ((i, names[i % 8], (i * 7919) % 100003 / 100, cities[(i // 3) % 6],
                 f'2024-01-{i % 28 + 1:02d}T10:00:00') for i in range(rows)))
db.commit()
db.close()
";

const OPENPYXL: &str = "
import sys, time, resource, openpyxl
start = time.perf_counter()
book = openpyxl.load_workbook(sys.argv[1], read_only=True)
rows = book.worksheets[0].iter_rows(values_only=True)
names = next(rows)
n = 0
for row in rows:
    record = dict(zip(names, row))
    n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

const PYTHON_SQLITE: &str = "
import sys, time, resource, sqlite3
start = time.perf_counter()
db = sqlite3.connect(sys.argv[1])
cursor = db.execute('SELECT * FROM data')
names = [d[0] for d in cursor.description]
n = 0
for row in cursor:
    record = dict(zip(names, row))
    n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

/// The bench's file `name` in `target/bench-data`, written by `script` unless it is there
/// already.
fn write_file(python: &str, script: &str, name: &str, rows: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    if path.exists() {
        return path;
    }
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(rows.to_string())
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e} (bench/run.sh makes a venv with openpyxl)"));
    assert!(
        out.status.success(),
        "writing {name}: {} (bench/run.sh makes a venv with openpyxl)",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// A child's run: prints seconds, rows and its peak RSS (KiB).
fn run_child(reader: &str, path: &Path) {
    let start = Instant::now();
    let rows = match reader {
        "iterable" => {
            let mut n = 0;
            for record in iterable_sync::open(path.to_str().unwrap()).unwrap() {
                std::hint::black_box(record.unwrap());
                n += 1;
            }
            n
        }
        "calamine" => {
            use calamine::Reader;
            let mut book = calamine::open_workbook_auto(path).unwrap();
            let first = book.sheet_names()[0].clone();
            let range = book.worksheet_range(&first).unwrap();
            let mut rows = range.rows();
            let names: std::sync::Arc<[String]> =
                rows.next().unwrap().iter().map(|c| c.to_string()).collect();
            let mut n = 0;
            for row in rows {
                std::hint::black_box((names.clone(), row.to_vec()));
                n += 1;
            }
            n
        }
        _ => {
            let db = rusqlite::Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .unwrap();
            let mut statement = db.prepare("SELECT * FROM data").unwrap();
            let names: std::sync::Arc<[String]> =
                statement.column_names().map(str::to_owned).collect();
            let width = names.len();
            let mut rows = statement.query([]).unwrap();
            let mut n = 0;
            while let Some(row) = rows.next().unwrap() {
                let values: Vec<rusqlite::types::Value> =
                    (0..width).map(|i| row.get(i).unwrap()).collect();
                std::hint::black_box((names.clone(), values));
                n += 1;
            }
            n
        }
    };
    iterable_tests::report(start, rows);
}
