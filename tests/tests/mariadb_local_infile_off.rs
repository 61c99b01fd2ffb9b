//! With the server's `local_infile` off (MySQL 8's default), writes go by `INSERT`s, against
//! the MariaDB `tests/run.sh` starts. Alone in a test binary of its own: the setting is the
//! whole server's, and the other tests' writes would be refused while it is off.

mod common;

use common::{as_json, read_sync, write_options};
use iterable_core::{Record, Value};
use iterable_tests::{mariadb, mariadb_database};

/// Turns `local_infile` back on when dropped, whatever the test did.
struct LocalInfileBackOn(String);

impl Drop for LocalInfileBackOn {
    fn drop(&mut self) {
        mariadb(&self.0, "SET GLOBAL local_infile = 1");
    }
}

#[test]
fn writes_go_by_inserts_where_the_server_refuses_load_data() {
    let url = mariadb_database("iterable_no_local_infile");
    mariadb(&url, "SET GLOBAL local_infile = 0");
    let _back_on = LocalInfileBackOn(url.clone());
    let records: Vec<Record> = ["tab\tand\nline", "\\N", ""]
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let values = [
                ("id", Value::Int(i as i64)),
                ("note", Value::from(text)),
                ("blob", Value::Bytes(text.as_bytes().to_vec().into())),
                ("flag", Value::Bool(i == 0)),
            ];
            values.into_iter().collect()
        })
        .collect();
    let into = |mode: &str| write_options(&[("table", "notes"), ("mode", mode)]);
    common::write_with("sync", &url, &into("create"), &records).unwrap();
    common::write_with("sync", &url, &into("append"), &records).unwrap();
    let back = read_sync(&url, &[("table", "notes")]);
    let twice: Vec<Record> = records.iter().chain(&records).cloned().collect();
    assert_eq!(as_json(&back), as_json(&twice));
}
