//! Helpers shared by the integration tests under `tests/tests` and the benchmarks under
//! `tests/benches`.

// The README's examples compile and run as doc tests here.
#[doc = include_str!("../../README.md")]
mod readme {}

pub mod azurite;
pub mod range_server;
pub mod s3_server;

use bytes::Bytes;
use iterable_core::{
    DecodeDriver, Decoder, ErrorKind, ErrorPolicy, FieldsCache, ParsedBatch, Position,
    RangeDecoder, RangeStep, Record, Step,
};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// One thing a decoder produced: a record, or an error reduced to what must not depend on
/// how the input was cut.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A record.
    Record(Record),
    /// An error.
    Error {
        /// Its kind.
        kind: ErrorKind,
        /// Its position.
        position: Position,
        /// Its message.
        message: String,
        /// Whether decoding went on after it.
        recoverable: bool,
    },
}

impl Outcome {
    /// An error, reduced.
    pub fn from_error(e: &iterable_core::Error) -> Outcome {
        Outcome::Error {
            kind: e.kind(),
            position: e.position(),
            message: e.message().to_owned(),
            recoverable: e.is_recoverable(),
        }
    }

    /// The record, if this is one.
    pub fn record(&self) -> Option<&Record> {
        match self {
            Outcome::Record(r) => Some(r),
            Outcome::Error { .. } => None,
        }
    }
}

/// The outcomes the decoding helpers collect at most: a tiny input may claim a billion rows
/// (an Arrow batch of nulls needs no bytes for them), which a reader streams but a comparison
/// would hold (the fuzz targets stop at the same count).
pub const MOST_OUTCOMES: usize = 20_000;

/// Feeds `input` to `decoder` cut at `cuts` (offsets, in any order, out-of-range ones
/// ignored) and returns everything it produced (at most [`MOST_OUTCOMES`] records), going on
/// after recoverable errors.
pub fn decode_in_chunks<D: Decoder>(decoder: D, input: &[u8], cuts: &[usize]) -> Vec<Outcome> {
    let mut state = DecodeDriver::new(decoder, ErrorPolicy::Fail);
    let mut chunks = cut(input, cuts).into_iter();
    let mut out = Vec::new();
    loop {
        match state.step() {
            Ok(Step::Record(_)) if out.len() >= MOST_OUTCOMES => return out,
            Ok(Step::Record(r)) => out.push(Outcome::Record(r)),
            Ok(Step::NeedInput) => match chunks.next() {
                Some(chunk) => state.push(chunk),
                None => state.end_input(),
            },
            Ok(Step::End) => return out,
            Err(e) => {
                let fatal = !e.is_recoverable();
                out.push(Outcome::from_error(&e));
                if fatal {
                    return out;
                }
            }
        }
    }
}

/// What [`decode_in_chunks`] returns, the way a reader that reads ahead gets it: `input` read
/// in the pieces between `cuts` through [`DecodeDriver::read_into`], parsed into batches of at
/// most `batch` records ([`Decoder::decode_into`]), which are then built.
pub fn parse_in_chunks<D: Decoder>(
    decoder: D,
    input: &[u8],
    cuts: &[usize],
    batch: usize,
) -> Vec<Outcome> {
    let mut state = DecodeDriver::new(decoder, ErrorPolicy::Fail);
    let mut chunks = cut(input, cuts).into_iter();
    let mut piece: &[u8] = &[];
    let mut read = |buf: &mut [u8]| {
        if piece.is_empty() {
            piece = chunks.next().unwrap_or_default();
        }
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        piece = &piece[n..];
        Ok(n)
    };
    let mut parsed = ParsedBatch::default();
    let mut names = FieldsCache::default();
    let mut out = Vec::new();
    loop {
        let ended = state.read_into(&mut read, &mut parsed, batch, usize::MAX);
        while let Some(next) = parsed.next_record(&mut names) {
            match next {
                Ok(_) if out.len() >= MOST_OUTCOMES => return out,
                Ok(record) => out.push(Outcome::Record(record)),
                Err(e) => {
                    let fatal = !e.is_recoverable();
                    out.push(Outcome::from_error(&e));
                    if fatal {
                        return out;
                    }
                }
            }
        }
        parsed.clear();
        if ended {
            return out;
        }
    }
}

/// `input` cut at `cuts` into non-empty pieces (one empty piece for an empty input).
fn cut<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < input.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.push(input.len());
    let mut pieces = Vec::with_capacity(cuts.len());
    let mut start = 0;
    for cut in cuts {
        pieces.push(&input[start..cut]);
        start = cut;
    }
    pieces
}

/// Decodes `input` with a decoder by ranges, serving the ranges it asks for from memory, and
/// returns everything it produced; an error ends it (a file read by ranges has no next record
/// to go on with) but for a recoverable one (a workbook's error cell), as does a range
/// beyond the input.
pub fn decode_ranges(mut decoder: Box<dyn RangeDecoder>, input: &[u8]) -> Vec<Outcome> {
    let mut out = Vec::new();
    loop {
        match decoder.step() {
            Ok(RangeStep::Record(_)) if out.len() >= MOST_OUTCOMES => return out,
            Ok(RangeStep::Record(record)) => out.push(Outcome::Record(record)),
            Ok(RangeStep::End) => return out,
            Ok(RangeStep::Need(ranges)) => {
                if ranges
                    .iter()
                    .any(|r| r.end > input.len() as u64 || r.start > r.end)
                {
                    out.push(Outcome::Error {
                        kind: ErrorKind::Parse,
                        position: Position::default(),
                        message: format!("asks for {ranges:?} of {} bytes", input.len()),
                        recoverable: false,
                    });
                    return out;
                }
                let data = ranges
                    .iter()
                    .map(|r| Bytes::copy_from_slice(&input[r.start as usize..r.end as usize]))
                    .collect();
                if let Err(error) = decoder.push(ranges, data) {
                    out.push(Outcome::from_error(&error));
                    return out;
                }
            }
            Err(error) => {
                out.push(Outcome::from_error(&error));
                if !error.is_recoverable() {
                    return out;
                }
            }
        }
    }
}

/// The Python with the peers the tests compare against (pyarrow): `ITERABLE_TEST_PYTHON`,
/// else `target/test-venv/bin/python`, which `tests/run.sh` makes.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ITERABLE_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: tests/run.sh makes it (a venv with pyarrow), or set ITERABLE_TEST_PYTHON",
        venv.display()
    );
    venv
}

/// Runs the peer script `tests/peers/NAME` with `args`; panics with its error output when it
/// fails (a check that did not hold).
pub fn run_peer(name: &str, args: &[&str]) {
    peer_output(name, args);
}

/// What the peer script `tests/peers/NAME` prints on stdout when run with `args`; a failure
/// panics with its output.
pub fn peer_output(name: &str, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join(name);
    let output = std::process::Command::new(python())
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{name} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the peer prints UTF-8")
}

/// `input` cut every `size` bytes, as owned chunks for a byte stream.
pub fn chunks_of(input: &[u8], size: usize) -> Vec<Bytes> {
    input
        .chunks(size.max(1))
        .map(Bytes::copy_from_slice)
        .collect()
}

/// The path of a bundled sample, `data/NAME`.
pub fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The rows the benchmarks generate: `ITERABLE_BENCH_ROWS`, else 1,000,000.
pub fn bench_rows() -> usize {
    std::env::var("ITERABLE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// [`bench_data`] for [`bench_rows`] rows, in `target/bench-data`: the CSV and the JSON Lines.
pub fn bench_files() -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).expect("target/bench-data");
    bench_data(&dir, bench_rows())
}

/// Writes the same `rows` rows as CSV and as JSON Lines in `dir` for the benchmarks, unless
/// they are there already, and returns their paths.
pub fn bench_data(dir: &Path, rows: usize) -> (PathBuf, PathBuf) {
    let csv = dir.join(format!("rows-{rows}.csv"));
    let jsonl = dir.join(format!("rows-{rows}.jsonl"));
    if csv.exists() && jsonl.exists() {
        return (csv, jsonl);
    }
    const FIRST: [&str; 8] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
    ];
    const LAST: [&str; 8] = [
        "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
    ];
    const CITIES: [(&str, &str); 6] = [
        ("Oslo", "NO"),
        ("Zürich", "CH"),
        ("São Paulo", "BR"),
        ("Kyiv", "UA"),
        ("Ōsaka", "JP"),
        ("Lagos", "NG"),
    ];
    const NOTES: [&str; 4] = [
        "",
        "regular",
        "asked for \"express\" delivery",
        "gift, wrap it",
    ];
    let mut c = BufWriter::new(std::fs::File::create(&csv).unwrap());
    let mut j = BufWriter::new(std::fs::File::create(&jsonl).unwrap());
    writeln!(
        c,
        "id,first_name,last_name,email,city,country,amount,created,active,note"
    )
    .unwrap();
    let mut seed: u64 = 42;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for id in 1..=rows {
        let (first, last) = (FIRST[next() % 8], LAST[next() % 8]);
        let (city, country) = CITIES[next() % 6];
        let amount = format!("{}.{:02}", next() % 100_000, next() % 100);
        let created = format!(
            "20{:02}-{:02}-{:02}",
            15 + next() % 10,
            1 + next() % 12,
            1 + next() % 28
        );
        let active = next() % 2 == 0;
        let note = NOTES[next() % 4];
        let email = format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            last.to_lowercase(),
            id % 1000
        );
        let csv_note = if note.contains([',', '"']) {
            format!("\"{}\"", note.replace('"', "\"\""))
        } else {
            note.to_owned()
        };
        writeln!(
            c,
            "{id},{first},{last},{email},{city},{country},{amount},{created},{active},{csv_note}"
        )
        .unwrap();
        writeln!(
            j,
            "{{\"id\":{id},\"name\":{{\"first\":\"{first}\",\"last\":\"{last}\"}},\"email\":\"{email}\",\"address\":{{\"city\":\"{city}\",\"country\":\"{country}\"}},\"amount\":{amount},\"created\":\"{created}\",\"active\":{active},\"tags\":[\"t{}\",\"t{}\"],\"note\":\"{}\"}}",
            next() % 10,
            next() % 10,
            note.replace('"', "\\\"")
        )
        .unwrap();
    }
    c.flush().unwrap();
    j.flush().unwrap();
    (csv, jsonl)
}

/// A bench's measurement of one run: seconds, records read, peak RSS in KiB.
pub type Measured = (f64, usize, u64);

/// A reader a bench measures, each run in a process of its own.
pub enum BenchReader<'a> {
    /// The bench's own executable, run with `ITERABLE_BENCH_CHILD` set to this name and
    /// `ITERABLE_BENCH_FILE` to the file (its child prints with [`report`]).
    Child(&'a str),
    /// A Python interpreter running this script on the file, which prints as [`report`] does.
    Python(&'a str, &'a str),
}

/// One run of `reader` on `path`.
pub fn measure(path: &Path, reader: &BenchReader<'_>) -> Measured {
    let output = match reader {
        BenchReader::Child(name) => std::process::Command::new(std::env::current_exe().unwrap())
            .env("ITERABLE_BENCH_CHILD", name)
            .env("ITERABLE_BENCH_FILE", path)
            .output(),
        BenchReader::Python(python, script) => std::process::Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(path)
            .output(),
    }
    .expect("a bench's reader runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    let mut next = || {
        parts
            .next()
            .unwrap_or_else(|| panic!("a bench's report: {text:?}"))
    };
    (
        next().parse().unwrap(),
        next().parse().unwrap(),
        next().parse().unwrap(),
    )
}

/// Runs each reader (a name, its file, how it runs) `runs` times, in turn, so that the
/// machine's state is shared alike, and prints a Markdown table: a row for each with its
/// fastest run, against the first's. Each must read `rows` records.
pub fn compare(readers: &[(&str, &Path, BenchReader<'_>)], rows: usize, runs: usize) {
    println!("| reader | seconds | rows/s | peak RSS | iterable is |");
    println!("|---|---:|---:|---:|---:|");
    let mut measured: Vec<Vec<Measured>> = vec![Vec::new(); readers.len()];
    for _ in 0..runs {
        for (measured, (_, path, reader)) in measured.iter_mut().zip(readers) {
            measured.push(measure(path, reader));
        }
    }
    let fastest: Vec<Measured> = measured
        .into_iter()
        .map(|runs| {
            runs.into_iter()
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .expect("one run at least")
        })
        .collect();
    let ours = fastest[0].0;
    for ((name, _, _), (secs, records, rss)) in readers.iter().zip(fastest) {
        assert_eq!(records, rows, "{name} read {records} rows");
        println!(
            "| {name} | {secs:.2} | {:.2}M | {:.0} MiB | {:.2}x |",
            records as f64 / secs / 1e6,
            rss as f64 / 1024.0,
            secs / ours
        );
    }
}

/// The fastest of `runs` runs of `reader` on `path`.
pub fn fastest(runs: usize, path: &Path, reader: BenchReader<'_>) -> Measured {
    (0..runs)
        .map(|_| measure(path, &reader))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("one run at least")
}

/// What a bench's child prints: the seconds since `start`, the `records` it read and its peak
/// RSS in KiB.
pub fn report(start: std::time::Instant, records: usize) {
    let secs = start.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    println!("{secs} {records} {rss}");
}

/// The test PostgreSQL server's URL (`ITERABLE_TEST_POSTGRES`, which `tests/run.sh` sets when it
/// starts one), its database replaced by `name`, made anew (dropped first if there).
pub fn postgres_database(name: &str) -> String {
    let server = std::env::var("ITERABLE_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!("ITERABLE_TEST_POSTGRES is unset: tests/run.sh starts a PostgreSQL and sets it")
    });
    psql(
        &server,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    psql(&server, &format!("CREATE DATABASE {name}"));
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// What `psql` prints running `sql` on the database at `url` (unaligned, tuples only, `|`
/// between columns); a failure panics with its error output.
pub fn psql(url: &str, sql: &str) -> String {
    let output = std::process::Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
    assert!(
        output.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("psql prints UTF-8")
}

/// The test MariaDB server's URL (`ITERABLE_TEST_MYSQL`, which `tests/run.sh` sets when it
/// starts one), its database replaced by `name`, made anew (dropped first if there).
pub fn mariadb_database(name: &str) -> String {
    let server = std::env::var("ITERABLE_TEST_MYSQL").unwrap_or_else(|_| {
        panic!("ITERABLE_TEST_MYSQL is unset: tests/run.sh starts a MariaDB and sets it")
    });
    mariadb(
        &server,
        &format!("DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}"),
    );
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// The parts of a test server's `mysql://user:password@host:port/db` URL (no percent-encoding:
/// the test servers' passwords are plain).
#[derive(Debug, Clone)]
pub struct MariadbUrl {
    /// The user.
    pub user: String,
    /// The password.
    pub password: String,
    /// The host.
    pub host: String,
    /// The port.
    pub port: String,
    /// The database, maybe empty.
    pub database: String,
}

impl MariadbUrl {
    /// The parts of `url`.
    pub fn parse(url: &str) -> MariadbUrl {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (credentials, rest) = rest.rsplit_once('@').unwrap_or(("", rest));
        let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
        let (address, database) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = address.split_once(':').unwrap_or((address, "3306"));
        let owned = |s: &str| s.to_owned();
        MariadbUrl {
            user: owned(user),
            password: owned(password),
            host: owned(host),
            port: owned(port),
            database: owned(database),
        }
    }

    /// The `mariadb` client connected to this database, the password in its environment.
    pub fn client(&self) -> std::process::Command {
        let mut client = std::process::Command::new("mariadb");
        client
            .args(["--no-defaults", "-h", &self.host, "-P", &self.port])
            .args(["-u", &self.user])
            .args((!self.database.is_empty()).then_some(&self.database))
            .env("MYSQL_PWD", &self.password);
        client
    }
}

/// What the `mariadb` client prints running `sql` on the database at `url`
/// (`mysql://user:password@host:port/db`; batch mode: no column names, a tab between
/// columns, `NULL` for null); a failure panics with its error output.
pub fn mariadb(url: &str, sql: &str) -> String {
    let output = MariadbUrl::parse(url)
        .client()
        .args(["-N", "-B", "-e", sql])
        .output()
        .unwrap_or_else(|e| panic!("cannot run mariadb: {e}"));
    assert!(
        output.status.success(),
        "mariadb {sql:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("mariadb prints UTF-8")
}

/// A CSV file of `rows` rows of the database benches' table (`id,name,score,created,active`:
/// a bigint, text, a float, a timestamp without zone, 0 or 1), made under
/// `target/bench-data` once; its path.
pub fn database_bench_csv(rows: usize) -> std::path::PathBuf {
    use std::io::Write;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let path = dir.join(format!("database-{rows}.csv"));
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let partial = path.with_extension("partial");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&partial).unwrap());
    writeln!(out, "id,name,score,created,active").unwrap();
    for n in 1..=rows as u64 {
        let (minutes, seconds) = (n / 60 % 60, n % 60);
        let (days, hours) = (n / 86_400, n / 3_600 % 24);
        writeln!(
            out,
            "{n},name {n},{},2024-{:02}-{:02} {hours:02}:{minutes:02}:{seconds:02},{}",
            n as f64 * 0.25,
            1 + days / 28 % 12,
            1 + days % 28,
            n % 2
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);
    std::fs::rename(&partial, &path).unwrap();
    path
}
