//! Spreadsheets against the programs that write them (`tests/peers/spreadsheet_peer.py`, run
//! in the venv that `tests/run.sh` makes): an xlsx openpyxl writes read as openpyxl reads it
//! (as IterableData does), an xls xlwt writes and an ods odfpy writes read to the same
//! records; sheets, header rows, columns and error cells chosen by options; every adapter
//! alike; a workbook over HTTP; found by its content. Workbooks written, as openpyxl finds
//! them (cell types and number formats), read back by iterable, by every adapter alike, and
//! a big sheet written in bounded memory.

mod common;

use common::{ADAPTERS, Peer, read_with, write_with};
use iterable_core::{BigInt, Date, Decimal, Record, Time, TimeUnit, Timestamp, Value};
use iterable_formats::{ReadOptions, WriteOptions};
use iterable_tests::range_server::RangeServer;
use serde_json::json;

static PEER: Peer = Peer::new("spreadsheet_peer.py");

fn with(pairs: &[(&str, &str)]) -> ReadOptions {
    let mut options = ReadOptions::default();
    for (key, value) in pairs {
        options = options.with_option(key, value);
    }
    options
}

#[test]
fn an_xlsx_openpyxl_wrote_reads_as_openpyxl_reads_it() {
    PEER.reads_as_we_do(&["people.xlsx"]);
    let records = PEER.records("people.xlsx");
    // Forty rows, the row of empty cells left out; every column in every record.
    assert_eq!(records.len(), 40);
    assert!(records.iter().all(|r| r.len() == 8));
    assert_eq!(records[0].get("id"), Some(&Value::Int(0)));
    assert_eq!(
        records[0].get("day"),
        Some(&Value::Date(Date::from_ymd(2024, 1, 31).unwrap()))
    );
    assert_eq!(
        records[0].get("at").and_then(Value::typed_text).as_deref(),
        Some("2024-01-31T13:45:00.25")
    );
    assert_eq!(
        records[1]
            .get("clock")
            .and_then(Value::typed_text)
            .as_deref(),
        Some("13:45:01")
    );
    // The error cell (#N/A) is null by default.
    assert_eq!(records[1].get("note"), Some(&Value::Null));
}

#[test]
fn xls_and_ods_read_as_the_same_records() {
    let xls = PEER.records("people.xls");
    let ods = PEER.records("people.ods");
    assert_eq!(xls.len(), 5);
    assert_eq!(xls, ods);
    assert_eq!(xls[2].get("score"), Some(&Value::Float(0.5)));
    assert_eq!(xls[2].get("ok"), Some(&Value::Bool(true)));
    assert_eq!(
        xls[4].get("day"),
        Some(&Value::Date(Date::from_ymd(2024, 2, 4).unwrap()))
    );
    PEER.every_adapter_reads_alike(&["people.xlsx", "people.xls", "people.ods"]);
}

#[test]
fn sheets_headers_columns_and_error_cells_are_chosen() {
    let xlsx = PEER.file("people.xlsx");
    let notes = read_with("sync", &xlsx, &with(&[("sheet", "notes")])).unwrap();
    assert_eq!(
        notes[0].names().collect::<Vec<_>>(),
        ["a", "column_2", "a_2", "column_4"]
    );
    let titled = read_with("sync", &xlsx, &with(&[("sheet", "3"), ("header", "3")])).unwrap();
    assert_eq!(titled.len(), 1);
    assert_eq!(
        titled[0].names().collect::<Vec<_>>(),
        ["x", "column_2", "z"]
    );
    let bare = read_with(
        "sync",
        &xlsx,
        &with(&[("sheet", "titled"), ("header", "false")]),
    )
    .unwrap();
    assert_eq!(bare.len(), 3);
    assert_eq!(bare[0].get("column_1"), Some(&Value::from("Report")));
    let columns = read_with("sync", &xlsx, &with(&[("columns", "name,id")])).unwrap();
    assert_eq!(columns[3].names().collect::<Vec<_>>(), ["name", "id"]);
    assert_eq!(columns[3].get("id"), Some(&Value::Int(3)));
    // An error cell asked to be an error: recoverable, naming the cell; the others read.
    let mut reader = iterable_sync::open_with(&xlsx, &with(&[("cell_errors", "error")])).unwrap();
    let outcomes: Vec<_> = reader.by_ref().collect();
    let error = outcomes[1].as_ref().unwrap_err();
    assert!(error.to_string().contains("cell H3: #N/A"), "{error}");
    assert!(error.is_recoverable());
    for (options, expected) in [
        (
            with(&[("sheet", "nope")]),
            "the sheets: people, notes, titled",
        ),
        (with(&[("sheet", "0")]), "numbered from 1"),
        (with(&[("columns", "nope")]), "it has id, name"),
        (with(&[("header", "top")]), "a row number from 1, or false"),
    ] {
        let error = read_with("sync", &xlsx, &options).unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn a_sheet_too_sparse_to_lay_out_is_an_error() {
    // Two cells at the corners: calamine would make a grid of 17 billion cells.
    let error = read_with(
        "sync",
        &PEER.file("far-apart.xlsx"),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        error.kind(),
        iterable_core::ErrorKind::LimitExceeded,
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("2 cells in a used range of 1048576 rows by 16384 columns"),
        "{error}"
    );
}

#[test]
fn workbooks_are_found_by_content_and_read_over_http() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("people.xlsx", "xlsx"),
        ("people.xls", "xls"),
        ("people.ods", "ods"),
    ] {
        let bare = dir.path().join(format!("bare-{format}"));
        std::fs::copy(PEER.file(name), &bare).unwrap();
        let mut reader = iterable_sync::open(bare.to_str().unwrap()).unwrap();
        let records: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
        assert_eq!(reader.detection().format.info().name, format);
        assert_eq!(records, PEER.records(name), "{name}");
    }
    let server = RangeServer::start();
    server.put(
        "/people.xlsx",
        &std::fs::read(PEER.file("people.xlsx")).unwrap(),
    );
    for adapter in ADAPTERS {
        let records = read_with(
            adapter,
            &server.url("/people.xlsx"),
            &ReadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert_eq!(records, PEER.records("people.xlsx"), "{adapter}");
    }
}

fn dump(path: &std::path::Path) -> serde_json::Value {
    let out = iterable_tests::peer_output("spreadsheet_peer.py", &["dump", path.to_str().unwrap()]);
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_written_workbook_is_what_openpyxl_finds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.xlsx");
    let first: Record = [
        ("id", Value::Int(1)),
        ("name", Value::from("Ada & <Grace> \u{1}_x0041_")),
        ("score", Value::Float(1.5)),
        ("ok", Value::Bool(true)),
        ("day", Value::Date(Date::from_ymd(2024, 1, 31).unwrap())),
        (
            "at",
            Value::Timestamp(Timestamp::new(
                1_706_708_700_250,
                TimeUnit::Millisecond,
                None,
            )),
        ),
        ("clock", Value::Time(Time::new(49_500, TimeUnit::Second))),
        ("price", Value::Decimal(Decimal::new(150, 5, 2))),
        ("tags", Value::Array(vec![Value::Int(1), Value::from("x")])),
        ("photo", Value::Bytes(vec![1, 0, 255].into())),
        ("big", Value::Int(1 << 60)),
    ]
    .into_iter()
    .collect();
    let second: Record = [
        ("id", Value::Int(2)),
        ("name", Value::Null),
        ("score", Value::Float(f64::NAN)),
        ("day", Value::Date(Date::from_ymd(1899, 1, 1).unwrap())),
        (
            "big",
            Value::BigInt(BigInt::parse("18446744073709551616").unwrap()),
        ),
    ]
    .into_iter()
    .collect();
    let options = WriteOptions::default().with_option("sheet", "people");
    write_with("sync", path.to_str().unwrap(), &options, &[first, second]).unwrap();
    let dump = dump(&path);
    assert_eq!(dump["sheets"], json!(["people"]));
    let header: Vec<&str> = dump["rows"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[1].as_str().unwrap())
        .collect();
    assert_eq!(
        header,
        [
            "id", "name", "score", "ok", "day", "at", "clock", "price", "tags", "photo", "big"
        ]
    );
    assert_eq!(
        dump["rows"][1],
        json!([
            ["int", 1, "General"],
            // openpyxl leaves Excel's escapes of characters XML cannot hold as they are.
            ["str", "Ada & <Grace> _x0001__x005F_x0041_", "General"],
            ["float", 1.5, "General"],
            ["bool", true, "General"],
            ["datetime", "2024-01-31T00:00:00", "yyyy-mm-dd"],
            [
                "datetime",
                "2024-01-31T13:45:00.250000",
                "yyyy-mm-dd hh:mm:ss"
            ],
            ["time", "13:45:00", "hh:mm:ss"],
            ["float", 1.5, "General"],
            ["str", "[1,\"x\"]", "General"],
            ["str", "AQD/", "General"],
            ["str", "1152921504606846976", "General"]
        ])
    );
    // Null an empty cell; what Excel cannot hold as a number or a date, as its text.
    assert_eq!(
        dump["rows"][2],
        json!([
            ["int", 2, "General"],
            null,
            ["str", "NaN", "General"],
            null,
            ["str", "1899-01-01", "General"],
            null,
            null,
            null,
            null,
            null,
            ["str", "18446744073709551616", "General"]
        ])
    );
    // Read back by iterable, typed.
    let back = read_with("sync", path.to_str().unwrap(), &ReadOptions::default()).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(
        back[0].get("day"),
        Some(&Value::Date(Date::from_ymd(2024, 1, 31).unwrap()))
    );
    assert_eq!(
        back[0].get("at").and_then(Value::typed_text).as_deref(),
        Some("2024-01-31T13:45:00.25")
    );
    // calamine reads Excel's escapes, as Excel does.
    assert_eq!(
        back[0].get("name"),
        Some(&Value::from("Ada & <Grace> \u{1}_x0041_"))
    );
}

#[test]
fn writing_errors_name_the_record_and_keep_nothing_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.xlsx");
    let path = path.to_str().unwrap();
    let one = |name: &str, value: Value| -> Record { [(name, value)].into_iter().collect() };
    let options = WriteOptions::default().with_option("infer_rows", "1");
    let error = write_with(
        "sync",
        path,
        &options,
        &[
            one("a", Value::Int(1)),
            one("a", Value::Int(2)),
            one("b", Value::Int(3)),
        ],
    )
    .unwrap_err();
    assert_eq!(error.position().record, Some(3), "{error}");
    assert!(
        error
            .to_string()
            .contains("field \"b\" is not among the columns"),
        "{error}"
    );
    assert!(!std::path::Path::new(path).exists());
    let long = one("a", Value::from("x".repeat(32_768)));
    let error = write_with("sync", path, &WriteOptions::default(), &[long]).unwrap_err();
    assert!(error.to_string().contains("a cell holds 32767"), "{error}");
    let error = write_with(
        "sync",
        path,
        &WriteOptions::default().with_option("sheet", "a/b"),
        &[one("a", Value::Int(1))],
    )
    .unwrap_err();
    assert!(error.to_string().contains("a sheet's name"), "{error}");
    // A record that fails, given to the encoder directly, leaves the output whole.
    let format = iterable_formats::Format::from_name("xlsx").unwrap();
    let mut encoder = format
        .encoder(&iterable_formats::FormatOptions::default().with("infer_rows", "1"))
        .unwrap();
    let mut out = bytes::BytesMut::new();
    encoder.encode(&one("a", Value::Int(1)), &mut out).unwrap();
    assert!(encoder.encode(&one("b", Value::Int(2)), &mut out).is_err());
    encoder.encode(&one("a", Value::Int(3)), &mut out).unwrap();
    encoder.finish(&mut out).unwrap();
    std::fs::write(path, &out).unwrap();
    let back = read_with("sync", path, &ReadOptions::default()).unwrap();
    assert_eq!(back, [one("a", Value::Int(1)), one("a", Value::Int(3))]);
}

#[test]
fn every_adapter_writes_a_big_sheet_alike() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Record> = (0..30_000)
        .map(|i| {
            [
                ("id", Value::Int(i)),
                ("name", Value::from(format!("name {i}"))),
                ("score", Value::Float(i as f64 + 0.25)),
            ]
            .into_iter()
            .collect()
        })
        .collect();
    let mut sizes = Vec::new();
    for adapter in ADAPTERS {
        let path = dir.path().join(format!("{adapter}.xlsx"));
        let path = path.to_str().unwrap();
        write_with(adapter, path, &WriteOptions::default(), &records)
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        let back = read_with("sync", path, &ReadOptions::default()).unwrap();
        assert!(back == records, "{adapter}");
        sizes.push(std::fs::metadata(path).unwrap().len());
    }
    assert!(sizes.windows(2).all(|w| w[0] == w[1]), "{sizes:?}");
    // openpyxl reads it to the same rows (as IterableData would).
    let jsonl = dir.path().join("sync.jsonl");
    let jsonl = jsonl.to_str().unwrap();
    write_with("sync", jsonl, &WriteOptions::default(), &records).unwrap();
    iterable_tests::run_peer(
        "spreadsheet_peer.py",
        &[
            "same-as-jsonl",
            dir.path().join("sync.xlsx").to_str().unwrap(),
            jsonl,
        ],
    );
}

#[test]
fn a_sheet_over_http_fetches_only_the_parts_it_needs() {
    let path = PEER.file("two-sheets.xlsx");
    let bytes = std::fs::read(&path).unwrap();
    let server = RangeServer::start();
    server.put("/two.xlsx", &bytes);
    for adapter in ADAPTERS {
        for (sheet, rows) in [("small", 10), ("big", 20_000), ("2", 20_000)] {
            let before = server.body_bytes();
            let options = with(&[("sheet", sheet)]);
            let records = read_with(adapter, &server.url("/two.xlsx"), &options)
                .unwrap_or_else(|e| panic!("{adapter} {sheet}: {e}"));
            assert_eq!(records.len(), rows, "{adapter} {sheet}");
            assert!(records == read_with("sync", &path, &options).unwrap());
            let fetched = server.body_bytes() - before;
            if sheet == "small" {
                // The zip's ends, its directory and the workbook's parts: not the big sheet.
                assert!(
                    fetched * 4 < bytes.len() as u64,
                    "{adapter}: {fetched} of {} bytes",
                    bytes.len()
                );
            }
        }
    }
}

#[test]
fn a_header_excel_cannot_hold_is_an_error_before_anything_is_written() {
    use iterable_core::Encoder;
    let format = iterable_formats::Format::from_name("xlsx").unwrap();
    let options = iterable_formats::FormatOptions::default().with("infer_rows", "1");
    let mut encoder = format.encoder(&options).unwrap();
    let mut out = bytes::BytesMut::new();
    let long = "n".repeat(32_768);
    let record: Record = [(long.as_str(), Value::Int(1))].into_iter().collect();
    let error = encoder.encode(&record, &mut out).unwrap_err();
    assert!(error.to_string().contains("the field name"), "{error}");
    assert!(out.is_empty());
}
