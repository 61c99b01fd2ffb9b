//! Reading a table of 3,000,000 rows (a timestamp, two int64 columns, two short strings),
//! written by pyarrow as Parquet, as an Arrow IPC file and as ORC, side by side in one run, each reader
//! in a process of its own so that its peak memory is its own: iterable's reader (records,
//! typed values), arrow-rs (for ORC: orc-rust's `ArrowReader`) reading `RecordBatch`es and
//! turning them into rows by hand (floor 1.0x), and pyarrow's `iter_batches` + `to_pylist`
//! (what IterableData does).
//!
//! `cargo bench -p iterable-tests --bench columnar` (also in `bench/run.sh`, which makes the
//! venv with pyarrow); `ITERABLE_BENCH_PARQUET_ROWS` sets the rows (default 3,000,000).

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
    let rows: usize = std::env::var("ITERABLE_BENCH_PARQUET_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000_000);
    let parquet = write_file(&python, rows);
    let mb = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    println!(
        "A Parquet file of {rows} rows ({:.0} MB, snappy, written by pyarrow); best of {RUNS}, each reader in a process of its own\n",
        mb(&parquet)
    );
    compare(
        &[
            (
                "iterable-sync reader (records of typed values)",
                &parquet,
                BenchReader::Child("iterable"),
            ),
            (
                "arrow-rs `RecordBatch`es, turned into rows by hand",
                &parquet,
                BenchReader::Child("arrow-rs"),
            ),
            (
                "pyarrow `iter_batches` + `to_pylist` (as IterableData reads)",
                &parquet,
                BenchReader::Python(&python, PYARROW_PARQUET),
            ),
        ],
        rows,
        RUNS,
    );
    let arrow = parquet.with_extension("arrow");
    to_arrow(&python, &parquet, &arrow);
    println!(
        "\nThe same rows as an Arrow IPC file ({:.0} MB, uncompressed, batches of 64Ki rows, written by pyarrow)\n",
        mb(&arrow)
    );
    compare(
        &[
            (
                "iterable-sync reader (records of typed values)",
                &arrow,
                BenchReader::Child("iterable"),
            ),
            (
                "arrow-rs IPC `FileReader` batches, turned into rows by hand",
                &arrow,
                BenchReader::Child("arrow-ipc"),
            ),
            (
                "pyarrow `ipc.open_file` batches + `to_pylist`",
                &arrow,
                BenchReader::Python(&python, PYARROW_IPC),
            ),
        ],
        rows,
        RUNS,
    );
    let orc = parquet.with_extension("orc");
    to_orc(&python, &parquet, &orc);
    println!(
        "\nThe same rows as an ORC file ({:.0} MB, zstd, written by pyarrow)\n",
        mb(&orc)
    );
    compare(
        &[
            (
                "iterable-sync reader (records of typed values)",
                &orc,
                BenchReader::Child("iterable"),
            ),
            (
                "orc-rust `ArrowReader` batches, turned into rows by hand",
                &orc,
                BenchReader::Child("orc-rust"),
            ),
            (
                "pyarrow `orc.ORCFile` stripes + `to_pylist`",
                &orc,
                BenchReader::Python(&python, PYARROW_ORC),
            ),
        ],
        rows,
        RUNS,
    );
}

/// `parquet`'s table as an Arrow IPC file, written by pyarrow, unless it is there already.
fn to_arrow(python: &str, parquet: &Path, arrow: &Path) {
    if arrow.exists() {
        return;
    }
    const SCRIPT: &str = "
import sys, pyarrow as pa, pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
with pa.ipc.new_file(sys.argv[2], table.schema) as writer:
    for batch in table.to_batches(max_chunksize=65536):
        writer.write_batch(batch)
";
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(parquet)
        .arg(arrow)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `parquet`'s table as an ORC file (zstd), written by pyarrow, unless it is there already.
fn to_orc(python: &str, parquet: &Path, orc: &Path) {
    if orc.exists() {
        return;
    }
    const SCRIPT: &str = "
import sys, pyarrow.orc as orc, pyarrow.parquet as pq
orc.write_table(pq.read_table(sys.argv[1]), sys.argv[2], compression='zstd')
";
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(parquet)
        .arg(orc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bench's file in `target/bench-data`, written by pyarrow unless it is there already.
fn write_file(python: &str, rows: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("rows-{rows}.parquet"));
    if path.exists() {
        return path;
    }
    const SCRIPT: &str = "
import sys, pyarrow as pa, pyarrow.parquet as pq
rows, path = int(sys.argv[1]), sys.argv[2]
names = pa.array(['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'])
cities = pa.array(['Oslo', 'Zurich', 'Sao Paulo', 'Kyiv', 'Osaka', 'Lagos'])
ids = pa.array(range(rows), pa.int64())
table = pa.table({
    'at': pa.array([1700000000000000 + i * 1000003 for i in range(rows)], pa.timestamp('us')),
    'id': ids,
    'amount': pa.array([(i * 7919) % 1000003 for i in range(rows)], pa.int64()),
    'name': names.take(pa.array([i % 8 for i in range(rows)])),
    'city': cities.take(pa.array([(i // 3) % 6 for i in range(rows)])),
})
pq.write_table(table, path)
";
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(rows.to_string())
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e} (bench/run.sh makes a venv with pyarrow)"));
    assert!(
        out.status.success(),
        "writing the file with pyarrow: {} (bench/run.sh makes a venv with pyarrow)",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// A row as a program would build it by hand from Arrow arrays: the column names shared, a
/// value per column.
#[allow(dead_code)] // The values are built to be measured, not read.
enum Cell {
    Null,
    Int(i64),
    Timestamp(i64),
    Text(String),
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
        "orc-rust" => {
            let file = std::fs::File::open(path).unwrap();
            let reader = orc_rust::ArrowReaderBuilder::try_new(file).unwrap().build();
            use arrow_array::RecordBatchReader;
            by_hand(reader.schema(), reader.map(Result::unwrap))
        }
        "arrow-ipc" => {
            let file = std::fs::File::open(path).unwrap();
            let reader = arrow_ipc::reader::FileReader::try_new_buffered(file, None).unwrap();
            by_hand(reader.schema(), reader.map(Result::unwrap))
        }
        _ => {
            let file = std::fs::File::open(path).unwrap();
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .unwrap()
                    .build()
                    .unwrap();
            use arrow_array::RecordBatchReader;
            by_hand(reader.schema(), reader.map(Result::unwrap))
        }
    };
    iterable_tests::report(start, rows);
}

/// arrow-rs's batches turned into rows by hand: each column downcast once per batch, each
/// value copied into its row.
fn by_hand(
    schema: arrow_schema::SchemaRef,
    batches: impl Iterator<Item = arrow_array::RecordBatch>,
) -> usize {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int64Type, TimestampMicrosecondType, TimestampNanosecondType};
    use arrow_schema::{DataType, TimeUnit};
    let names: std::sync::Arc<[String]> =
        schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut n = 0;
    for batch in batches {
        let columns: Vec<Column> = batch
            .columns()
            .iter()
            .map(|column| match column.data_type() {
                DataType::Int64 => Column::Int(column.as_primitive::<Int64Type>()),
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    Column::Timestamp(column.as_primitive::<TimestampMicrosecondType>())
                }
                DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                    Column::TimestampNanos(column.as_primitive::<TimestampNanosecondType>())
                }
                DataType::Utf8 => Column::Text(column.as_string::<i32>()),
                other => panic!("no column for {other}"),
            })
            .collect();
        for row in 0..batch.num_rows() {
            let cells: Vec<Cell> = columns.iter().map(|c| c.cell(row)).collect();
            std::hint::black_box((names.clone(), cells));
            n += 1;
        }
    }
    n
}

/// A batch's column, downcast once.
enum Column<'a> {
    Int(&'a arrow_array::Int64Array),
    Timestamp(&'a arrow_array::TimestampMicrosecondArray),
    TimestampNanos(&'a arrow_array::TimestampNanosecondArray),
    Text(&'a arrow_array::StringArray),
}

impl Column<'_> {
    fn cell(&self, row: usize) -> Cell {
        use arrow_array::Array;
        match self {
            Column::Int(a) if a.is_valid(row) => Cell::Int(a.value(row)),
            Column::Timestamp(a) if a.is_valid(row) => Cell::Timestamp(a.value(row)),
            Column::TimestampNanos(a) if a.is_valid(row) => Cell::Timestamp(a.value(row)),
            Column::Text(a) if a.is_valid(row) => Cell::Text(a.value(row).to_owned()),
            _ => Cell::Null,
        }
    }
}

/// pyarrow reading a Parquet file as IterableData does: batches, each turned into dicts.
const PYARROW_PARQUET: &str = "
import resource, sys, time
import pyarrow.parquet as pq
start = time.perf_counter()
n = 0
for batch in pq.ParquetFile(sys.argv[1]).iter_batches():
    for row in batch.to_pylist():
        n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

/// pyarrow reading an Arrow IPC file the same way.
const PYARROW_IPC: &str = "
import resource, sys, time
import pyarrow as pa
start = time.perf_counter()
n = 0
with pa.ipc.open_file(sys.argv[1]) as reader:
    for i in range(reader.num_record_batches):
        for row in reader.get_batch(i).to_pylist():
            n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

/// pyarrow reading an ORC file the same way, a stripe at a time.
const PYARROW_ORC: &str = "
import resource, sys, time
import pyarrow.orc as orc
start = time.perf_counter()
n = 0
file = orc.ORCFile(sys.argv[1])
for i in range(file.nstripes):
    for row in file.read_stripe(i).to_pylist():
        n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";
