//! MariaDB (and so MySQL's protocol) as a source and a sink, against the real server
//! `tests/run.sh` starts on 127.0.0.1: tables that the `mariadb` client made read with typed
//! values, through every adapter and the command; tables written and read back by the client;
//! writes that fail leave nothing behind.

mod common;

use common::{as_json, read_error, read_options, read_sync, write_options};
use iterable_core::{Record, Value};
use iterable_tests::{mariadb, mariadb_database};

const TYPED_TABLE: &str = "
    CREATE TABLE typed (
        id BIGINT PRIMARY KEY, tiny TINYINT, flag TINYINT(1), small SMALLINT UNSIGNED,
        medium MEDIUMINT, normal INT, big BIGINT UNSIGNED, r FLOAT, d DOUBLE,
        price DECIMAL(10, 2), name VARCHAR(20), fixed CHAR(3), note TEXT, doc JSON, blob_col BLOB,
        bin VARBINARY(4), bit1 BIT(1), bits BIT(12), day DATE, at TIME(2), happened DATETIME(2),
        instant TIMESTAMP(2) NULL, y YEAR, feeling ENUM('sad', 'happy'), tags SET('a', 'b', 'c')
    );
    SET time_zone = '+02:00', sql_mode = '';
    INSERT INTO typed VALUES
      (1, -2, 1, 65535, -8388608, 3, 18446744073709551615, 1.5, 2.25, 1234.50, 'Ada é', 'x',
       'it''s long', '{\"a\": [1, null, {\"b\": \"c\"}]}', X'00FF', X'0102', b'1', b'101',
       '1969-07-20', '13:45:00.25', '2024-01-31 13:45:00.25', '2024-01-31 13:45:00.25', 2024,
       'happy', 'a,c'),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, '0000-00-00', NULL, NULL, NULL, NULL, NULL, NULL);
";

#[test]
fn tables_the_client_made_read_as_typed_values() {
    let url = mariadb_database("iterable_read_typed");
    mariadb(&url, TYPED_TABLE);
    let records = read_sync(&url, &[("table", "typed")]);
    assert_eq!(
        as_json(&records),
        [
            concat!(
                r#"{"id":1,"tiny":-2,"flag":1,"small":65535,"medium":-8388608,"normal":3,"#,
                r#""big":18446744073709551615,"r":1.5,"d":2.25,"price":1234.50,"name":"Ada é","#,
                r#""fixed":"x","note":"it's long","doc":{"a":[1,null,{"b":"c"}]},"#,
                r#""blob_col":"AP8=","bin":"AQI=","bit1":true,"bits":5,"day":"1969-07-20","#,
                r#""at":"13:45:00.25","happened":"2024-01-31T13:45:00.25","#,
                r#""instant":"2024-01-31T11:45:00.25Z","y":2024,"feeling":"happy","tags":"a,c"}"#
            ),
            concat!(
                r#"{"id":2,"tiny":null,"flag":null,"small":null,"medium":null,"normal":null,"#,
                r#""big":null,"r":null,"d":null,"price":null,"name":null,"fixed":null,"#,
                r#""note":null,"doc":null,"blob_col":null,"bin":null,"bit1":null,"bits":null,"#,
                r#""day":null,"at":null,"happened":null,"instant":null,"y":null,"#,
                r#""feeling":null,"tags":null}"#
            )
        ]
    );
    assert_eq!(
        records[0].get("price"),
        Some(&Value::Decimal(iterable_core::Decimal::new(123450, 6, 2)))
    );

    // Columns and a filter; a query.
    let some = read_sync(
        &url,
        &[
            ("table", "iterable_read_typed.typed"),
            ("columns", "name, id"),
            ("filter", "id < 2"),
        ],
    );
    assert_eq!(as_json(&some), [r#"{"name":"Ada é","id":1}"#]);
    let queried = read_sync(
        &url,
        &[("query", "SELECT id * 10 AS n FROM typed ORDER BY id;")],
    );
    assert_eq!(as_json(&queried), [r#"{"n":10}"#, r#"{"n":20}"#]);

    // A TIME that is no time of day is an error naming the row and the column.
    mariadb(
        &url,
        "CREATE TABLE spans (t TIME); INSERT INTO spans VALUES ('10:00:00'), ('-01:30:00')",
    );
    let error = read_error(&url, &[("table", "spans")]);
    let text = error.to_string();
    assert!(
        text.contains("record 2") && text.contains("\"t\"") && text.contains("-1:30:00"),
        "{text}"
    );
}

#[test]
fn every_adapter_reads_and_writes_alike() {
    let url = mariadb_database("iterable_adapters");
    mariadb(
        &url,
        "CREATE TABLE people (id INT, name TEXT, born DATE);
         SET max_recursive_iterations = 10000;
         INSERT INTO people WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
           SELECT i, CONCAT('person ', i), DATE '2000-01-01' + INTERVAL i DAY FROM n;",
    );
    common::every_adapter_reads_and_writes_a_table(
        &url,
        mariadb,
        "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION",
        "bigint\nlongtext\ndate\n",
    );
}

#[test]
fn typed_values_round_trip_through_a_table() {
    let url = mariadb_database("iterable_round_trip");
    mariadb(&url, TYPED_TABLE);
    // The table read, written to a new one (types from the records), read back the same.
    let columns = "id,tiny,big,r,d,price,name,note,doc,blob_col,bit1,day,at,happened,feeling";
    let records = read_sync(
        &url,
        &[
            ("table", "typed"),
            ("filter", "id = 1"),
            ("columns", columns),
        ],
    );
    let mut writer = iterable_sync::create_with(
        &url,
        &write_options(&[("table", "copied"), ("mode", "create")]),
    )
    .unwrap();
    writer.write_bulk(&records).unwrap();
    writer.finish().unwrap();
    let back = read_sync(&url, &[("table", "copied")]);
    assert_eq!(as_json(&back), as_json(&records));
    // The server finds them equal to the original's.
    assert_eq!(
        mariadb(
            &url,
            "SELECT count(*) FROM copied c JOIN typed t ON t.id = c.id AND c.price = t.price \
             AND JSON_EQUALS(c.doc, t.doc) AND c.blob_col = t.blob_col AND c.day = t.day \
             AND c.at = t.at AND c.happened = t.happened AND c.big = t.big AND c.bit1 = t.bit1"
        ),
        "1\n"
    );
    // A timestamp with a time zone is kept in UTC, and read back without one.
    let instants = read_sync(
        &url,
        &[
            ("table", "typed"),
            ("filter", "id = 1"),
            ("columns", "instant"),
        ],
    );
    let mut writer =
        iterable_sync::create_with(&url, &write_options(&[("table", "instants")])).unwrap();
    writer.write_bulk(&instants).unwrap();
    writer.finish().unwrap();
    assert_eq!(
        as_json(&read_sync(&url, &[("table", "instants")])),
        [r#"{"instant":"2024-01-31T11:45:00.25"}"#]
    );
}

#[test]
fn writes_append_replace_upsert_into_existing_tables() {
    let url = mariadb_database("iterable_modes");
    mariadb(
        &url,
        "CREATE TABLE scores (id INT PRIMARY KEY, score DECIMAL(5,1), note VARCHAR(10))",
    );
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("scores.csv");
    std::fs::write(&csv, "id,score,note\n1,2.5,first\n2,10,second\n").unwrap();
    let csv = csv.to_str().unwrap();
    let convert = |pairs: &[(&str, &str)]| {
        let options = iterable_sync::ConvertOptions {
            write: write_options(pairs),
            ..Default::default()
        };
        iterable_sync::convert(csv, &url, &options)
    };
    // The CSV's text goes into the integer and decimal columns, converted by the server.
    convert(&[("table", "scores")]).unwrap();
    assert_eq!(
        mariadb(&url, "SELECT * FROM scores ORDER BY id"),
        "1\t2.5\tfirst\n2\t10.0\tsecond\n"
    );
    // A key already there: append fails, and leaves the table as it was.
    let error = convert(&[("table", "scores"), ("mode", "append")]).unwrap_err();
    assert!(error.to_string().contains("Duplicate entry"), "{error}");
    assert_eq!(mariadb(&url, "SELECT count(*) FROM scores"), "2\n");
    // Upsert updates them.
    std::fs::write(csv, "id,score,note\n2,7,updated\n3,1,third\n").unwrap();
    convert(&[("table", "scores"), ("mode", "upsert"), ("key", "id")]).unwrap();
    assert_eq!(
        mariadb(&url, "SELECT * FROM scores ORDER BY id"),
        "1\t2.5\tfirst\n2\t7.0\tupdated\n3\t1.0\tthird\n"
    );
    // An upsert needs a key the table enforces.
    let error = convert(&[("table", "scores"), ("mode", "upsert"), ("key", "note")]).unwrap_err();
    assert!(error.to_string().contains("unique index"), "{error}");
    // Create refuses a table that is there; replace swaps in a new one.
    let error = convert(&[("table", "scores"), ("mode", "create")]).unwrap_err();
    assert!(error.to_string().contains("exists already"), "{error}");
    convert(&[("table", "scores"), ("mode", "replace")]).unwrap();
    assert_eq!(
        mariadb(&url, "SELECT * FROM scores ORDER BY id"),
        "2\t7\tupdated\n3\t1\tthird\n"
    );
    assert_eq!(
        mariadb(&url, "SHOW TABLES"),
        "scores\n",
        "no table of the swap left"
    );
    // A value the column cannot take fails the whole write, changed neither silently nor
    // in part.
    std::fs::write(csv, "id,score,note\n4,1,fine\n5,1,much too long a note\n").unwrap();
    mariadb(
        &url,
        "DROP TABLE scores; CREATE TABLE scores (id INT, score INT, note VARCHAR(10))",
    );
    let error = convert(&[("table", "scores")]).unwrap_err();
    assert!(
        error.to_string().contains("column 'note' at row 2"),
        "{error}"
    );
    assert_eq!(mariadb(&url, "SELECT count(*) FROM scores"), "0\n");
    std::fs::write(csv, "id,score,note\n4,1.5,rounded\n").unwrap();
    let error = convert(&[("table", "scores")]).unwrap_err();
    assert!(error.to_string().contains("would be rounded"), "{error}");
    assert_eq!(mariadb(&url, "SELECT count(*) FROM scores"), "0\n");
    // A failed replace leaves the old table as it was.
    mariadb(&url, "INSERT INTO scores VALUES (9, 9, 'kept')");
    let records: Vec<Record> = vec![
        [("id", Value::Int(1)), ("score", Value::Float(1.0))]
            .into_iter()
            .collect(),
        [("id", Value::Int(2)), ("score", Value::Float(f64::NAN))]
            .into_iter()
            .collect(),
    ];
    let mut writer = iterable_sync::create_with(
        &url,
        &write_options(&[("table", "scores"), ("mode", "replace")]),
    )
    .unwrap();
    writer.write_bulk(&records).unwrap();
    let Err(error) = writer.finish() else {
        panic!("a NaN was written");
    };
    assert!(error.to_string().contains("record 2"), "{error}");
    assert_eq!(mariadb(&url, "SELECT * FROM scores"), "9\t9\tkept\n");
    assert_eq!(mariadb(&url, "SHOW TABLES"), "scores\n");
    // A field the table lacks is named.
    std::fs::write(csv, "id,extra\n1,x\n").unwrap();
    let error = convert(&[("table", "scores")]).unwrap_err();
    assert!(error.to_string().contains("no column \"extra\""), "{error}");
    // Options the sink does not know are listed.
    let error = convert(&[("table", "scores"), ("colour", "red")]).unwrap_err();
    assert!(
        error.to_string().contains("known: table, mode, key"),
        "{error}"
    );
}

#[test]
fn a_failed_write_leaves_no_table_and_no_rows() {
    let url = mariadb_database("iterable_failures");
    let record = |id: i64| -> Record { [("id", Value::Int(id))].into_iter().collect() };
    let tables = || mariadb(&url, "SHOW TABLES");
    // Rows enough to reach the server (in parts of 1 MiB), then a record with a field the
    // first ones did not have: an error, and nothing written.
    let mut writer =
        iterable_sync::create_with(&url, &write_options(&[("table", "t"), ("infer_rows", "2")]))
            .unwrap();
    let many: Vec<Record> = (0..300_000).map(record).collect();
    writer.write_bulk(&many).unwrap();
    let late: Record = [("id", Value::Int(3)), ("late", Value::Int(1))]
        .into_iter()
        .collect();
    let error = writer.write(&late).unwrap_err();
    assert!(error.to_string().contains("\"late\""), "{error}");
    drop(writer);
    wait_for_sessions_to_end(&url);
    assert_eq!(tables(), "");
    // Dropped before finish, after rows went to the server: rolled back, the table it made
    // dropped.
    common::tokio_runtime().block_on(async {
        let mut writer = iterable_tokio::create_with(&url, &write_options(&[("table", "t")]))
            .await
            .unwrap();
        let many: Vec<Record> = (0..300_000).map(record).collect();
        writer.write_bulk(&many).await.unwrap();
        drop(writer);
    });
    wait_for_sessions_to_end(&url);
    assert_eq!(tables(), "");
    // Into a table that is there: rows sent, then a record that fails; the table keeps only
    // what it had.
    mariadb(
        &url,
        "CREATE TABLE kept (id BIGINT); INSERT INTO kept VALUES (-1)",
    );
    let mut writer =
        iterable_sync::create_with(&url, &write_options(&[("table", "kept")])).unwrap();
    let many: Vec<Record> = (0..300_000).map(record).collect();
    writer.write_bulk(&many).unwrap();
    let error = writer.write(&late).unwrap_err();
    assert!(error.to_string().contains("\"late\""), "{error}");
    drop(writer);
    wait_for_sessions_to_end(&url);
    assert_eq!(
        mariadb(&url, "SELECT count(*), min(id) FROM kept"),
        "1\t-1\n"
    );
}

/// Waits until no other session is connected to the test's database (a dropped reader's or
/// writer's connection closes in the background), so that what it left can be seen.
fn wait_for_sessions_to_end(url: &str) {
    for _ in 0..200 {
        let others = mariadb(
            url,
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() \
             AND ID <> CONNECTION_ID()",
        );
        if others == "0\n" {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("a writer's session is still connected to {url}");
}

#[test]
fn errors_name_the_location_but_never_the_password() {
    let url = mariadb_database("iterable_errors");
    let password = iterable_tests::MariadbUrl::parse(&url).password;
    let error = read_error(&format!("{url}_missing"), &[("table", "x")]);
    let text = error.to_string();
    assert!(
        text.contains("Unknown database") && text.contains("127.0.0.1"),
        "{text}"
    );
    assert!(!text.contains(&password), "{text}");
    let wrong = url.replacen(&password, "wrong-password", 1);
    let error = read_error(&wrong, &[("table", "x")]);
    assert!(error.to_string().contains("Access denied"), "{error}");
    assert!(!error.to_string().contains("wrong-password"), "{error}");
    let error = read_error(&url, &[("table", "nope")]);
    assert!(error.to_string().contains("nope' doesn't exist"), "{error}");
    assert!(!error.to_string().contains(&password));
    let error = read_error(&url, &[]);
    assert!(error.to_string().contains("-o table=NAME"), "{error}");
    // A query the server cuts short with a warning (its recursion limit) is an error after
    // the rows it sent, not a silent end.
    let recursive = "WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s \
                     WHERE n < 5000) SELECT n FROM s";
    let error = read_error(&url, &[("query", recursive)]);
    assert!(
        error.to_string().contains("max_recursive_iterations"),
        "{error}"
    );
    let error = read_error(&url, &[("tabel", "x")]);
    assert!(
        error
            .to_string()
            .contains("known: table, query, columns, filter"),
        "{error}"
    );
}

#[test]
fn convert_many_reads_a_postgres_and_a_mariadb_table_at_once() {
    let maria = mariadb_database("iterable_many_maria");
    mariadb(
        &maria,
        "CREATE TABLE people (id INT, name TEXT); INSERT INTO people VALUES (1, 'Ada'), (2, 'Grace')",
    );
    let postgres = iterable_tests::postgres_database("iterable_many_pg");
    iterable_tests::psql(
        &postgres,
        "CREATE TABLE people (id integer, name text); INSERT INTO people VALUES (3, 'Edsger')",
    );
    let options = iterable_sync::ConvertOptions {
        read: read_options(&[("table", "people")]),
        write: iterable_formats::WriteOptions {
            format: Some(iterable_formats::Format::JSONL),
            ..Default::default()
        },
        ..Default::default()
    };
    let inputs = [maria.clone(), postgres.clone()];
    let check = |converted: Vec<iterable_sync::Converted>, out: &std::path::Path| {
        assert_eq!(converted.len(), 2);
        for done in &converted {
            assert!(done.result.is_ok(), "{}: {:?}", done.input, done.result);
            assert!(!done.input.contains('@'), "{}", done.input);
        }
        assert_eq!(
            std::fs::read_to_string(out.join("iterable_many_maria.jsonl")).unwrap(),
            "{\"id\":1,\"name\":\"Ada\"}\n{\"id\":2,\"name\":\"Grace\"}\n"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("iterable_many_pg.jsonl")).unwrap(),
            "{\"id\":3,\"name\":\"Edsger\"}\n"
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sync");
    check(
        iterable_sync::convert_many(&inputs, &out, &options).unwrap(),
        &out,
    );
    let out = dir.path().join("tokio");
    let converted = common::tokio_runtime()
        .block_on(iterable_tokio::convert_many(&inputs, &out, &options))
        .unwrap();
    check(converted, &out);
}

#[test]
fn a_reader_dropped_early_stops_the_query() {
    let url = mariadb_database("iterable_early_stop");
    // A billion rows, which the server streams as they are asked for: read one, then drop
    // the reader. The query is stopped, not read to its end (which would take minutes).
    let mut reader = iterable_sync::open_with(
        &url,
        &read_options(&[("query", "SELECT seq FROM seq_1_to_1000000000")]),
    )
    .unwrap();
    let first = reader.next().unwrap().unwrap();
    // (BIGINT UNSIGNED reads as a decimal.)
    assert_eq!(as_json(&[first]), [r#"{"seq":1}"#]);
    drop(reader);
    wait_for_sessions_to_end(&url);
}

#[test]
fn text_with_nul_round_trips_and_a_referenced_table_is_not_replaced() {
    let url = mariadb_database("iterable_nul_and_keys");
    let records: Vec<Record> = vec![
        [("id", Value::Int(1)), ("note", Value::from("a\0b 'q'"))]
            .into_iter()
            .collect(),
    ];
    common::write_with(
        "sync",
        &url,
        &write_options(&[("table", "notes")]),
        &records,
    )
    .unwrap();
    assert_eq!(read_sync(&url, &[("table", "notes")]), records);
    assert_eq!(
        mariadb(&url, "SELECT HEX(note) FROM notes"),
        "61006220277127\n"
    );
    // A table a foreign key refers to cannot be replaced: it is left as it was.
    mariadb(
        &url,
        "CREATE TABLE parent (id BIGINT PRIMARY KEY, note TEXT); INSERT INTO parent VALUES (1, 'kept');
         CREATE TABLE child (parent BIGINT, FOREIGN KEY (parent) REFERENCES parent (id));
         INSERT INTO child VALUES (1)",
    );
    let replace = write_options(&[("table", "parent"), ("mode", "replace")]);
    let error = common::write_with("sync", &url, &replace, &records).unwrap_err();
    assert!(
        error.to_string().contains("cannot replace parent"),
        "{error}"
    );
    assert_eq!(mariadb(&url, "SELECT * FROM parent"), "1\tkept\n");
    assert_eq!(mariadb(&url, "SHOW TABLES"), "child\nnotes\nparent\n");
    assert_eq!(
        mariadb(
            &url,
            "SELECT REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE()"
        ),
        "parent\n"
    );
}

/// Whether the connection that runs it is encrypted (1) or not (0).
const ENCRYPTED: &str = "SELECT variable_value <> '' AS tls FROM information_schema.session_status \
                         WHERE variable_name = 'Ssl_cipher'";

#[test]
fn tls_as_the_url_or_the_server_asks() {
    let encrypted = |url: &str| as_json(&read_sync(url, &[("query", ENCRYPTED)]));
    let refused = |url: &str| read_error(url, &[("query", ENCRYPTED)]).to_string();
    let url = mariadb_database("iterable_tls");
    let certs = std::env::var("ITERABLE_TEST_MYSQL_TLS")
        .expect("tests/run.sh starts the MariaDB server with TLS");
    let (ca, other_ca) = (format!("{certs}/ca.crt"), format!("{certs}/other-ca.crt"));
    let (yes, no) = (vec![r#"{"tls":1}"#], vec![r#"{"tls":0}"#]);
    // By default TLS whenever the server has it, as MySQL's client (ssl-mode=PREFERRED).
    assert_eq!(encrypted(&url), yes);
    assert_eq!(encrypted(&format!("{url}?ssl-mode=DISABLED")), no);
    assert_eq!(encrypted(&format!("{url}?ssl-mode=required")), yes);
    // The server's certificate is for localhost, not 127.0.0.1.
    let localhost = url.replacen("127.0.0.1", "localhost", 1);
    let verified = format!("{localhost}?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}");
    assert_eq!(encrypted(&verified), yes);
    assert_eq!(encrypted(&format!("{localhost}?ssl-ca={ca}")), yes);
    let error = refused(&format!("{url}?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"));
    assert!(
        error.contains("not valid for name \"127.0.0.1\""),
        "{error}"
    );
    // mysql_async 0.37.1 checks the name in VERIFY_CA too (blackbeam/mysql_async#404): when
    // this fails, a release has the fix; then VERIFY_CA reads here, and the docs of
    // iterable_sources::mysql say so.
    let error = refused(&format!("{url}?ssl-mode=VERIFY_CA&ssl-ca={ca}"));
    assert!(error.contains("not valid for name"), "{error}");
    // Signed by an authority not trusted: refused.
    for mode in ["VERIFY_CA", "VERIFY_IDENTITY", "REQUIRED"] {
        let error = refused(&format!("{localhost}?ssl-mode={mode}&ssl-ca={other_ca}"));
        assert!(
            error.contains("invalid peer certificate"),
            "{mode}: {error}"
        );
    }
    let error = refused(&format!("{url}?ssl-mode=VERIFY"));
    assert!(error.contains("none of DISABLED, PREFERRED"), "{error}");
    // A user the server lets in by TLS only.
    mariadb(
        &url,
        "CREATE USER IF NOT EXISTS 'iterable_tls'@'127.0.0.1' IDENTIFIED BY 'tls' REQUIRE SSL",
    );
    let address = url.split_once('@').unwrap().1.rsplit_once('/').unwrap().0;
    let tls_only = format!("mysql://iterable_tls:tls@{address}/");
    assert_eq!(encrypted(&tls_only), yes);
    let error = refused(&format!("{tls_only}?ssl-mode=DISABLED"));
    assert!(error.contains("Access denied"), "{error}");
    // A user the server lets in by its client certificate only.
    mariadb(
        &url,
        "CREATE USER IF NOT EXISTS 'iterable_cert'@'127.0.0.1' REQUIRE SUBJECT '/CN=iterable_cert'",
    );
    let certified = format!("mysql://iterable_cert@{address}/");
    let identity = format!("ssl-cert={certs}/client.crt&ssl-key={certs}/client.key");
    let who = [("query", "SELECT current_user() AS who")];
    let records = read_sync(&format!("{certified}?{identity}"), &who);
    assert_eq!(as_json(&records), [r#"{"who":"iterable_cert@127.0.0.1"}"#]);
    let error = read_error(&certified, &who).to_string();
    assert!(error.contains("Access denied"), "{error}");
    let error = read_error(&format!("{certified}?ssl-cert={certs}/client.crt"), &who);
    assert!(
        error.to_string().contains("ssl-cert and ssl-key together"),
        "{error}"
    );
}

/// How many `LOAD DATA` statements the server has run since it started.
fn loads_so_far(url: &str) -> u64 {
    let count = mariadb(
        url,
        "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS \
         WHERE VARIABLE_NAME = 'COM_LOAD'",
    );
    count.trim().parse().unwrap()
}

#[test]
fn rows_go_by_load_data_with_every_character_and_byte_kept() {
    let url = mariadb_database("iterable_load_data");
    let before = loads_so_far(&url);
    // What LOAD DATA's lines would take for their own: tabs, line ends, backslashes, its
    // null `\N`, NUL; and the empty string, and `NULL` as text.
    let texts = [
        "tab\there",
        "line\nbreak\r\n",
        "back\\slash \\N \\t",
        "\\N",
        "NULL",
        "",
        "nul\0byte",
        "é 'q' \"d\"",
    ];
    let every_byte: Vec<u8> = (0..=255).collect();
    let records: Vec<Record> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let bytes = match i {
                0 => every_byte.clone(),
                _ => text.as_bytes().to_vec(),
            };
            let doc: Record = [("k", Value::from(*text))].into_iter().collect();
            let values = [
                ("id", Value::Int(i as i64)),
                ("note", Value::from(*text)),
                ("raw", Value::Bytes(bytes.into())),
                ("flag", Value::Bool(i % 2 == 0)),
                ("doc", Value::Object(doc.into())),
                ("maybe", Value::Null),
            ];
            values.into_iter().collect()
        })
        .collect();
    let into = |table: &str, mode: &str| write_options(&[("table", table), ("mode", mode)]);
    common::write_with("sync", &url, &into("texts", "create"), &records).unwrap();
    assert_eq!(
        as_json(&read_sync(&url, &[("table", "texts")])),
        as_json(&records)
    );
    assert_eq!(
        mariadb(&url, "SELECT HEX(raw) FROM texts WHERE id = 0"),
        format!("{}\n", hex(&every_byte))
    );
    assert!(
        loads_so_far(&url) > before,
        "the rows went by INSERTs, not LOAD DATA"
    );
    // Into a table that is there: booleans into BIT(1) and TINYINT(1), the same rows again
    // appended.
    mariadb(
        &url,
        "CREATE TABLE flags (id INT PRIMARY KEY, flag BIT(1), tiny TINYINT(1), note TEXT)",
    );
    let flags: Vec<Record> = records
        .iter()
        .map(|r| {
            let values = [
                ("id", r.get("id").unwrap().clone()),
                ("flag", r.get("flag").unwrap().clone()),
                ("tiny", r.get("flag").unwrap().clone()),
                ("note", r.get("note").unwrap().clone()),
            ];
            values.into_iter().collect()
        })
        .collect();
    common::write_with("sync", &url, &into("flags", "append"), &flags).unwrap();
    assert_eq!(
        mariadb(
            &url,
            "SELECT id, flag + 0, tiny FROM flags WHERE id < 2 ORDER BY id"
        ),
        "0\t1\t1\n1\t0\t0\n"
    );
    assert_eq!(
        mariadb(
            &url,
            "SELECT count(*) FROM flags f JOIN texts t USING (id) WHERE BINARY f.note = t.note"
        ),
        "8\n"
    );
    // A duplicate key, which LOAD DATA LOCAL would skip with a warning, fails the write.
    let error =
        common::write_with("sync", &url, &into("flags", "append"), &flags[..1]).unwrap_err();
    assert!(error.to_string().contains("Duplicate entry"), "{error}");
    assert_eq!(mariadb(&url, "SELECT count(*) FROM flags"), "8\n");
    // An upsert into a new table: a key's later row wins (LOAD DATA's REPLACE into the
    // staging table).
    let keyed: Vec<Record> = [(1, "a"), (2, "b"), (1, "c")]
        .into_iter()
        .map(|(id, note)| {
            [("id", Value::Int(id)), ("note", Value::from(note))]
                .into_iter()
                .collect()
        })
        .collect();
    let upsert = write_options(&[("table", "latest"), ("mode", "upsert"), ("key", "id")]);
    common::write_with("sync", &url, &upsert, &keyed).unwrap();
    assert_eq!(
        mariadb(&url, "SELECT * FROM latest ORDER BY id"),
        "1\tc\n2\tb\n"
    );
    // A table without transactions (MyISAM) keeps the rows before a failure, but never a
    // value changed to fit (LOAD DATA LOCAL would cut it and go on): such tables take
    // INSERTs.
    mariadb(&url, "CREATE TABLE plain (note VARCHAR(3)) ENGINE = MyISAM");
    let notes: Vec<Record> = ["ok", "much too long"]
        .into_iter()
        .map(|s| [("note", Value::from(s))].into_iter().collect())
        .collect();
    let error = common::write_with("sync", &url, &into("plain", "append"), &notes).unwrap_err();
    assert!(error.to_string().contains("column 'note'"), "{error}");
    assert_eq!(mariadb(&url, "SELECT * FROM plain"), "ok\n");
    // A one-column table of empty strings: each an empty line.
    let empties: Vec<Record> = ["", "x", ""]
        .into_iter()
        .map(|s| [("s", Value::from(s))].into_iter().collect())
        .collect();
    common::write_with("sync", &url, &into("empties", "create"), &empties).unwrap();
    assert_eq!(read_sync(&url, &[("table", "empties")]), empties);
}

/// `bytes` in hex, as MariaDB's `HEX()` shows them.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
