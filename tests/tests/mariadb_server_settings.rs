//! Writes under server settings other than the test server's defaults, against the MariaDB
//! `tests/run.sh` starts: `local_infile` off (MySQL 8's default), a short `net_read_timeout`,
//! a small `max_allowed_packet`. In a test binary of their own, one test at a time: the
//! settings are the whole server's, and would fail the other tests' writes.

mod common;

use common::{as_json, read_sync, write_options};
use iterable_core::{Record, Value};
use iterable_tests::{mariadb, mariadb_database};
use std::sync::Mutex;

/// Held by each test while it changes the server's settings.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A global setting changed for a test, and set back to what it was when dropped, whatever
/// the test did.
struct Setting {
    url: String,
    name: &'static str,
    was: String,
}

impl Setting {
    fn set(url: &str, name: &'static str, value: &str) -> Setting {
        let was = mariadb(url, &format!("SELECT @@GLOBAL.{name}"));
        mariadb(url, &format!("SET GLOBAL {name} = {value}"));
        Setting {
            url: url.to_owned(),
            name,
            was: was.trim().to_owned(),
        }
    }
}

impl Drop for Setting {
    fn drop(&mut self) {
        mariadb(
            &self.url,
            &format!("SET GLOBAL {} = {}", self.name, self.was),
        );
    }
}

fn record(id: i64, note: &str) -> Record {
    let values = [
        ("id", Value::Int(id)),
        ("note", Value::from(note)),
        ("raw", Value::Bytes(note.as_bytes().to_vec().into())),
        ("flag", Value::Bool(id % 2 == 0)),
    ];
    values.into_iter().collect()
}

#[test]
fn writes_go_by_inserts_where_the_server_refuses_load_data() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let url = mariadb_database("iterable_no_local_infile");
    let _off = Setting::set(&url, "local_infile", "0");
    let records: Vec<Record> = ["tab\tand\nline", "\\N", ""]
        .into_iter()
        .enumerate()
        .map(|(i, text)| record(i as i64, text))
        .collect();
    let into = |mode: &str| write_options(&[("table", "notes"), ("mode", mode)]);
    common::write_with("sync", &url, &into("create"), &records).unwrap();
    common::write_with("sync", &url, &into("append"), &records).unwrap();
    let back = read_sync(&url, &[("table", "notes")]);
    let twice: Vec<Record> = records.iter().chain(&records).cloned().collect();
    assert_eq!(as_json(&back), as_json(&twice));
}

#[test]
fn a_load_waits_for_rows_that_come_slowly() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let url = mariadb_database("iterable_slow_rows");
    let _short = Setting::set(&url, "net_read_timeout", "1");
    // Rows enough for parts to reach the server, then a pause longer than the server's
    // wait for a load's next lines, then more.
    let first: Vec<Record> = (0..100_000).map(|i| record(i, "before")).collect();
    let mut writer =
        iterable_sync::create_with(&url, &write_options(&[("table", "slow")])).unwrap();
    writer.write_bulk(&first).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    writer.write(&record(100_000, "after")).unwrap();
    writer.finish().unwrap();
    assert_eq!(
        mariadb(&url, "SELECT count(*), max(id) FROM slow"),
        "100001\t100000\n"
    );
}

#[test]
fn long_rows_go_within_a_small_max_allowed_packet() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let url = mariadb_database("iterable_small_packets");
    let _small = Setting::set(&url, "max_allowed_packet", "1048576");
    // Short rows, then rows of 900 KB among them: lines of more than a packet together.
    let long = "x".repeat(900_000);
    let records: Vec<Record> = (0..30_000)
        .map(|i| match i % 10_000 {
            5_000 => record(i, &long),
            _ => record(i, "short"),
        })
        .collect();
    for mode in ["create", "append"] {
        let options = write_options(&[("table", "long_rows"), ("mode", mode)]);
        common::write_with("sync", &url, &options, &records).unwrap();
    }
    assert_eq!(
        mariadb(
            &url,
            "SELECT count(*), sum(length(note) = 900000), sum(raw = CAST(note AS BINARY)) FROM long_rows"
        ),
        "60000\t6\t60000\n"
    );
}
