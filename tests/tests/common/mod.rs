//! What several test binaries share: reading a location with each adapter.

// Each binary uses a part of it.
#![allow(dead_code)]

use iterable_core::Record;
use iterable_formats::ReadOptions;

/// Read options with these options of the format or source set.
pub fn read_options(pairs: &[(&str, &str)]) -> ReadOptions {
    let mut options = ReadOptions::default();
    for (key, value) in pairs {
        options.options.set(*key, *value);
    }
    options
}

/// Write options with these options of the format or sink set.
pub fn write_options(pairs: &[(&str, &str)]) -> iterable_formats::WriteOptions {
    let mut options = iterable_formats::WriteOptions::default();
    for (key, value) in pairs {
        options.options.set(*key, *value);
    }
    options
}

/// Every value as the JSON Lines writer renders it: a compact view to compare.
pub fn as_json(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|record| {
            let mut out = bytes::BytesMut::new();
            iterable_formats::json_text::write_record(record, &mut out).unwrap();
            String::from_utf8(out.to_vec()).unwrap()
        })
        .collect()
}

/// Every record of `location` read with `pairs` as its options (iterable-sync); a failure
/// panics.
pub fn read_sync(location: &str, pairs: &[(&str, &str)]) -> Vec<Record> {
    iterable_sync::open_with(location, &read_options(pairs))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The error reading `location` with `pairs` gives, opening it or later.
pub fn read_error(location: &str, pairs: &[(&str, &str)]) -> iterable_core::Error {
    match iterable_sync::open_with(location, &read_options(pairs)) {
        Ok(reader) => match reader.collect::<Result<Vec<_>, _>>() {
            Ok(records) => panic!("{location} read {} records with {pairs:?}", records.len()),
            Err(error) => error,
        },
        Err(error) => error,
    }
}

/// What both database tests check of the table `people` (id, name, born: rows 1 to 2,500, born
/// 2000-01-01 plus `id` days) that the server's own client made at `url`: every adapter reads
/// its even rows alike, and each writes them into a table of its own (`by_sync`, `by_tokio`,
/// `by_smol`), which `client` (SQL in, rows out) finds the same as the original, of the
/// column types `types` that `column_types` (SQL, `{table}` replaced) gives.
pub fn every_adapter_reads_and_writes_a_table(
    url: &str,
    client: impl Fn(&str, &str) -> String,
    column_types: &str,
    types: &str,
) {
    let even = [("table", "people"), ("filter", "id % 2 = 0")];
    let expected = read_sync(url, &even);
    assert_eq!(expected.len(), 1250);
    let day = iterable_core::Date::from_ymd(2000, 1, 3).unwrap();
    assert_eq!(
        expected[0].get("born"),
        Some(&iterable_core::Value::Date(day))
    );
    for adapter in ["tokio", "smol", "async-std"] {
        let read = read_with(adapter, url, &read_options(&even)).unwrap();
        assert_eq!(read, expected, "{adapter}");
    }
    // Written by each adapter into a table of its own, read back by the client.
    for adapter in ["sync", "tokio", "smol"] {
        let table = format!("by_{adapter}");
        let options = write_options(&[("table", &table)]);
        write_with(adapter, url, &options, &expected).unwrap();
    }
    let original = client(url, "SELECT * FROM people WHERE id % 2 = 0 ORDER BY id");
    for table in ["by_sync", "by_tokio", "by_smol"] {
        let copied = client(url, &format!("SELECT * FROM {table} ORDER BY id"));
        assert_eq!(copied, original, "{table}");
        // The column types came from the records: integers stay integers, dates dates.
        let query = column_types.replace("{table}", table);
        assert_eq!(client(url, &query), types, "{table}");
    }
    let tables = iterable_sync::database_tables(url).unwrap().unwrap();
    assert_eq!(tables, ["by_smol", "by_sync", "by_tokio", "people"]);
}

/// A current-thread tokio runtime with I/O and time.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every record of `location`, read with `adapter` (sync, tokio, smol, async-std).
pub fn read_with(
    adapter: &str,
    location: &str,
    options: &ReadOptions,
) -> iterable_core::Result<Vec<Record>> {
    match adapter {
        "sync" => iterable_sync::open_with(location, options).and_then(|r| r.collect()),
        "tokio" => tokio_runtime().block_on(async {
            let mut reader = iterable_tokio::open_with(location, options).await?;
            reader.read_bulk(usize::MAX).await
        }),
        "smol" => smol::block_on(async {
            let mut reader = iterable_smol::open_with(location, options).await?;
            reader.read_bulk(usize::MAX).await
        }),
        _ => async_std::task::block_on(async {
            let mut reader = iterable_smol::open_with(location, options).await?;
            reader.read_bulk(usize::MAX).await
        }),
    }
}

/// Writes `records` to `location` with `adapter` (sync, tokio, smol, async-std).
pub fn write_with(
    adapter: &str,
    location: &str,
    options: &iterable_formats::WriteOptions,
    records: &[Record],
) -> iterable_core::Result<()> {
    match adapter {
        "sync" => {
            let mut writer = iterable_sync::create_with(location, options)?;
            writer.write_bulk(records)?;
            writer.finish().map(drop)
        }
        "tokio" => tokio_runtime().block_on(async {
            let mut writer = iterable_tokio::create_with(location, options).await?;
            writer.write_bulk(records).await?;
            writer.finish().await.map(drop)
        }),
        "smol" => smol::block_on(async {
            let mut writer = iterable_smol::create_with(location, options).await?;
            writer.write_bulk(records).await?;
            writer.finish().await.map(drop)
        }),
        _ => async_std::task::block_on(async {
            let mut writer = iterable_smol::create_with(location, options).await?;
            writer.write_bulk(records).await?;
            writer.finish().await.map(drop)
        }),
    }
}

/// The adapters every format is read with, by name.
pub const ADAPTERS: [&str; 4] = ["sync", "tokio", "smol", "async-std"];

/// A Python peer (`tests/peers/SCRIPT`) and the files it writes (`SCRIPT write DIR`), made
/// once per test binary.
pub struct Peer {
    script: &'static str,
    dir: std::sync::OnceLock<tempfile::TempDir>,
}

impl Peer {
    /// The peer script `script`, its files not written yet.
    pub const fn new(script: &'static str) -> Peer {
        Peer {
            script,
            dir: std::sync::OnceLock::new(),
        }
    }

    /// The path of the peer's file `name`, the files written on first use.
    pub fn file(&self, name: &str) -> String {
        let dir = self.dir.get_or_init(|| {
            let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
            iterable_tests::run_peer(self.script, &["write", dir.path().to_str().unwrap()]);
            dir
        });
        dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// Each of `files` converted to JSON Lines by iterable holds what the peer reads in it
    /// (`SCRIPT same-as-jsonl FILE JSONL`).
    pub fn reads_as_we_do(&self, files: &[&str]) {
        let out = tempfile::tempdir().unwrap();
        for name in files {
            let jsonl = out.path().join(name).with_extension("jsonl");
            let jsonl = jsonl.to_str().unwrap();
            iterable_sync::convert(&self.file(name), jsonl, &Default::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            iterable_tests::run_peer(self.script, &["same-as-jsonl", &self.file(name), jsonl]);
        }
    }

    /// Each of `files` written again by iterable (in its own format) holds the same values
    /// for the peer (`SCRIPT same-values FILE OURS`).
    pub fn reads_what_we_write(&self, files: &[&str]) {
        let out = tempfile::tempdir().unwrap();
        for name in files {
            let ours = out.path().join(name);
            let ours = ours.to_str().unwrap();
            iterable_sync::convert(&self.file(name), ours, &Default::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            iterable_tests::run_peer(self.script, &["same-values", &self.file(name), ours]);
        }
    }

    /// Every adapter reads the same records from each of `files`, which the sync adapter
    /// reads, and there are some.
    pub fn every_adapter_reads_alike(&self, files: &[&str]) {
        for name in files {
            let path = self.file(name);
            let sync = read_with("sync", &path, &ReadOptions::default()).unwrap();
            assert!(!sync.is_empty(), "{name}");
            for adapter in ADAPTERS {
                let records = read_with(adapter, &path, &ReadOptions::default())
                    .unwrap_or_else(|e| panic!("{adapter} {name}: {e}"));
                assert!(records == sync, "{adapter} {name}: records differ");
            }
        }
    }

    /// Every record of the peer's file `name`, read by the sync adapter.
    pub fn records(&self, name: &str) -> Vec<Record> {
        read_with("sync", &self.file(name), &ReadOptions::default()).unwrap()
    }
}

/// `rows` records as CSV, and the same records as read back.
pub fn csv_rows(rows: usize) -> (Vec<u8>, Vec<Record>) {
    use std::io::Write;
    let mut csv = b"id,name,note\n".to_vec();
    for i in 0..rows {
        writeln!(csv, "{i},name {i},\"a, quoted \"\"note\"\" {}\"", i * 7).unwrap();
    }
    let records = iterable_sync::from_reader(&csv[..], &Default::default())
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (csv, records)
}

/// `bytes` gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Records big enough for several 8 MiB parts (about 120 bytes each as JSON Lines).
pub fn many_records(count: usize) -> Vec<Record> {
    (0..count)
        .map(|i| {
            [
                ("id", iterable_core::Value::Int(i as i64)),
                ("text", iterable_core::Value::from(format!("{i:0>100}"))),
            ]
            .into_iter()
            .collect()
        })
        .collect()
}

/// `records` as JSON Lines.
pub fn jsonl(records: &[Record]) -> Vec<u8> {
    let options = iterable_formats::WriteOptions {
        format: Some(iterable_formats::Format::JSONL),
        ..Default::default()
    };
    let mut writer = iterable_sync::to_writer(Vec::new(), &options).unwrap();
    writer.write_bulk(records).unwrap();
    writer.finish().unwrap()
}
