//! Spreadsheets against the programs that write them (`tests/peers/spreadsheet_peer.py`, run
//! in the venv that `tests/run.sh` makes): an xlsx openpyxl writes read as openpyxl reads it
//! (as IterableData does), an xls xlwt writes and an ods odfpy writes read to the same
//! records; sheets, header rows, columns and error cells chosen by options; every adapter
//! alike; a workbook over HTTP; found by its content.

mod common;

use common::{ADAPTERS, Peer, read_with};
use iterable_core::{Date, Value};
use iterable_formats::ReadOptions;
use iterable_tests::range_server::RangeServer;

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
