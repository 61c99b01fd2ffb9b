//! The `iterable` command end to end, on the bundled samples and on files made here.

use iterable_tests::sample;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn iterable(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(args)
        .output()
        .unwrap()
}

fn iterable_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    text(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn temp_file(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn count_head_and_cat_agree_on_the_sample() {
    let count = iterable(&["count", &sample("sample.csv")]);
    assert!(count.status.success(), "{}", text(&count.stderr));
    assert_eq!(text(&count.stdout), "120\n");

    let head = iterable(&["head", "-n", "3", &sample("sample.csv")]);
    let rows = json_lines(&head.stdout);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["id"], "1");
    assert_eq!(rows[0]["note"], "two\nlines");

    let cat = iterable(&["cat", &sample("sample.jsonl")]);
    let rows = json_lines(&cat.stdout);
    assert_eq!(rows.len(), 40);
    assert!(rows[0]["location"]["lat"].is_f64());
}

#[test]
fn convert_csv_to_jsonl_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("sample.jsonl");
    let csv = dir.path().join("back.csv");
    let out = iterable(&["convert", &sample("sample.csv"), jsonl.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = iterable(&["convert", jsonl.to_str().unwrap(), csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read(&csv).unwrap(),
        std::fs::read(sample("sample.csv")).unwrap()
    );
}

#[test]
fn convert_through_pipes_needs_and_takes_formats() {
    let out = iterable_with_stdin(
        &["convert", "--from", "tsv", "--to", "csv", "-", "-"],
        b"a\tb\n1\t2,3\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a,b\n1,\"2,3\"\n");
    let out = iterable_with_stdin(&["convert", "-", "-"], b"a\n1\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot tell which format to write"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn detect_reports_format_delimiter_and_how() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "export", b"x;y\n1;2\n");
    let out = iterable(&["detect", path.to_str().unwrap()]);
    let shown = text(&out.stdout);
    assert!(shown.contains("format: csv\n"), "{shown}");
    assert!(shown.contains("delimiter: ';'\n"), "{shown}");
    assert!(shown.contains("detected by: content\n"), "{shown}");
    let out = iterable(&["detect", &sample("sample.jsonl")]);
    assert!(
        text(&out.stdout).starts_with("format: jsonl\ndetected by: name\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_input_fails_with_one_line_naming_file_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "bad.jsonl", b"{\"a\":1}\n{\"a\":2}\n{\"a\":\n");
    let out = iterable(&["cat", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json_lines(&out.stdout).len(),
        2,
        "records before the bad one are printed"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("iterable: {}: line 3, byte 20", path.display())),
        "{stderr}"
    );

    let out = iterable(&["count", "--skip-bad", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "2\n");
    assert!(text(&out.stderr).contains("skipped 1 bad records"));
}

#[test]
fn a_failed_convert_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = temp_file(&dir, "in.jsonl", b"{\"a\":1}\n{\"b\":2}\n");
    let output = dir.path().join("out.csv");
    let out = iterable(&["convert", input.to_str().unwrap(), output.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not in the CSV header"),
        "{}",
        text(&out.stderr)
    );
    assert!(!output.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn usage_errors_and_unknown_formats() {
    assert_eq!(iterable(&["frobnicate"]).status.code(), Some(2));
    let out = iterable(&["count", "--format", "numbers", &sample("sample.csv")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unknown format \"numbers\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn convert_a_glob_into_a_folder_with_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for name in ["one.csv", "two.csv"] {
        std::fs::copy(sample("sample.csv"), input.join(name)).unwrap();
    }
    std::fs::write(input.join("broken.csv"), "a\n\"open\n").unwrap();
    let out = dir.path().join("out");
    let pattern = format!("{}/*.csv", input.display());
    let run = iterable(&[
        "convert",
        &pattern,
        out.to_str().unwrap(),
        "--to",
        "jsonl",
        "--jobs",
        "4",
    ]);
    assert_eq!(run.status.code(), Some(1), "one input failed");
    let stderr = text(&run.stderr);
    assert!(stderr.contains("broken.csv: line 2"), "{stderr}");
    assert!(stderr.contains("1 of 3 inputs failed"), "{stderr}");
    let mut outputs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    outputs.sort();
    assert_eq!(outputs, ["one.jsonl", "two.jsonl"]);
    assert_eq!(
        json_lines(&std::fs::read(out.join("two.jsonl")).unwrap()).len(),
        120
    );

    let run = iterable(&[
        "convert",
        &sample("sample.csv"),
        &sample("sample.jsonl"),
        out.to_str().unwrap(),
    ]);
    assert!(
        text(&run.stderr).contains("needs the output format: give --to"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn count_reads_over_http() {
    // A one-shot server on 127.0.0.1 answering one GET with a JSON Lines body.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        use std::io::Read;
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).unwrap();
        let body: String = (0..250).map(|i| format!("{{\"i\":{i}}}\n")).collect();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        socket.write_all(head.as_bytes()).unwrap();
        socket.write_all(body.as_bytes()).unwrap();
    });
    let out = iterable(&["count", &format!("http://{address}/data.jsonl")]);
    server.join().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "250\n");
}

#[test]
fn formats_lists_every_format_with_its_options() {
    let out = iterable(&["formats"]);
    assert!(out.status.success());
    let shown = text(&out.stdout);
    for format in iterable_formats::Format::all() {
        let info = format.info();
        assert!(
            shown.contains(&format!("{}: {}\n", info.name, info.description)),
            "{shown}"
        );
        for option in format.spec().read_options() {
            assert!(shown.contains(&format!("    {}", option.key)), "{shown}");
        }
    }
    assert!(shown.contains("delimiter (default sniffed)"), "{shown}");
    assert!(shown.contains("  gzip: .gz .gzip\n"), "{shown}");
}

#[test]
fn format_options_are_set_with_o_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "export.txt", b"1|a\n2|b\n");
    let path = path.to_str().unwrap();
    let out = iterable(&[
        "cat",
        "--format",
        "csv",
        "-o",
        "delimiter=|",
        "-o",
        "header=false",
        path,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = json_lines(&out.stdout);
    assert_eq!(
        rows[1],
        serde_json::json!({"column_1": "2", "column_2": "b"})
    );

    let out = iterable(&["cat", "--format", "csv", "-o", "delimter=|", path]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("csv has no option \"delimter\""), "{err}");
    assert!(err.contains("known: delimiter, quote"), "{err}");

    let out = iterable(&["cat", "--format", "csv", "-o", "header=maybe", path]);
    assert!(
        text(&out.stderr).contains("header=\"maybe\": expected true or false"),
        "{}",
        text(&out.stderr)
    );

    let target = dir.path().join("out.csv");
    let out = iterable(&[
        "convert",
        path,
        target.to_str().unwrap(),
        "--from",
        "psv",
        "-o",
        "header=false",
        "-O",
        "delimiter=tab",
        "-O",
        "header=false",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "1\ta\n2\tb\n");
    let out = iterable(&[
        "convert",
        path,
        target.to_str().unwrap(),
        "--from",
        "psv",
        "-O",
        "pretty=true",
    ]);
    assert!(
        text(&out.stderr).contains("csv has no option \"pretty\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn content_that_no_format_claims_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut noise = Vec::with_capacity(200_000);
    let mut seed: u32 = 7;
    for _ in 0..200_000 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        noise.push((seed >> 16) as u8);
    }
    let path = temp_file(&dir, "noise", &noise);
    let out = iterable(&["count", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cannot tell the format of noise"), "{err}");
    assert!(err.contains("--format"), "{err}");
}

#[test]
fn parquet_round_trips_and_reads_only_the_columns_asked() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("sample.parquet");
    let parquet = parquet.to_str().unwrap();
    let out = iterable(&[
        "convert",
        &sample("sample.jsonl"),
        parquet,
        "-O",
        "compression=zstd(3)",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let detect = text(&iterable(&["detect", parquet]).stdout);
    assert!(detect.contains("format: parquet"), "{detect}");
    // Nested objects, arrays, floats and nulls come back as they went in.
    let original = json_lines(&iterable(&["cat", &sample("sample.jsonl")]).stdout);
    let back = json_lines(&iterable(&["cat", parquet]).stdout);
    assert_eq!(back, original);
    let first = original[0].as_object().unwrap();
    let names: Vec<&String> = first.keys().collect();
    let (a, b) = (names[names.len() - 1].as_str(), names[0].as_str());
    let out = iterable(&["cat", "-o", &format!("columns={a},{b}"), parquet]).stdout;
    let picked = json_lines(&out);
    assert_eq!(picked.len(), original.len());
    assert_eq!(picked[0].as_object().unwrap().len(), 2);
    assert_eq!(picked[0][a], original[0][a]);
    // In the order asked (serde_json's maps sort their keys: look at the text).
    let line = text(&out).lines().next().unwrap().to_owned();
    assert!(line.starts_with(&format!("{{\"{a}\":")), "{line}");
    let unknown = iterable(&["cat", "-o", "columns=nosuch", parquet]);
    assert!(!unknown.status.success());
    let message = text(&unknown.stderr);
    assert!(
        message.contains("nosuch") && message.contains(b),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[test]
fn binary_formats_round_trip_and_are_found_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample("sample.jsonl");
    let original = json_lines(&iterable(&["cat", &input]).stdout);
    for (name, format, options) in [
        ("sample.arrow", "arrow", "compression=lz4"),
        ("sample.arrows", "arrows", "compression=zstd"),
        ("sample.msgpack", "msgpack", ""),
        ("sample.cbor", "cbor", ""),
        ("sample.bson", "bson", ""),
        ("sample.avro", "avro", "codec=null"),
    ] {
        let path = dir.path().join(name);
        let path = path.to_str().unwrap();
        let mut args = vec!["convert", &input, path];
        if !options.is_empty() {
            args.extend(["-O", options]);
        }
        let out = iterable(&args);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert_eq!(
            json_lines(&iterable(&["cat", path]).stdout),
            original,
            "{name}"
        );
        // Without its extension, the content tells.
        let bare = dir.path().join(format!("bare-{format}"));
        std::fs::copy(path, &bare).unwrap();
        let detect = text(&iterable(&["detect", bare.to_str().unwrap()]).stdout);
        assert!(detect.contains(&format!("format: {format}")), "{detect}");
    }
    let formats = text(&iterable(&["formats"]).stdout);
    for format in ["arrow", "arrows", "msgpack", "cbor", "bson", "avro"] {
        assert!(
            formats
                .lines()
                .any(|l| l.starts_with(&format!("{format}: "))),
            "{formats}"
        );
    }
}

#[test]
fn workbooks_list_their_sheets_and_read_one() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/");
    let xlsx = format!("{data}kit.xlsx");
    let tables = iterable(&["tables", &xlsx]);
    assert!(tables.status.success(), "{}", text(&tables.stderr));
    assert_eq!(text(&tables.stdout), "Sheet\n");
    let ods = format!("{data}kit.ods");
    assert_eq!(text(&iterable(&["tables", &ods]).stdout), "people\n");
    let head = iterable(&["head", "-n", "1", &xlsx, "-o", "columns=id,day"]);
    assert_eq!(text(&head.stdout), "{\"id\":0,\"day\":\"2024-01-31\"}\n");
    let csv = format!("{data}../../data/sample.csv");
    let none = iterable(&["tables", &csv]);
    assert!(!none.status.success());
    assert!(
        text(&none.stderr).contains("csv has no tables"),
        "{}",
        text(&none.stderr)
    );
    let bad = format!("{data}kit-bad.xlsx");
    let skipped = iterable(&["count", "--skip-bad", &bad, "-o", "cell_errors=error"]);
    assert_eq!(text(&skipped.stdout), "5\n", "{}", text(&skipped.stderr));
    let report = text(&skipped.stderr);
    assert!(
        report.contains("line 5: xlsx: cell H5: #DIV/0!"),
        "{report}"
    );
    assert!(report.contains("skipped 1 bad records"), "{report}");
}

#[test]
fn a_database_is_written_added_to_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let csv = temp_file(&dir, "people.csv", b"id,name\n1,Ada\n2,007\n");
    let jsonl = temp_file(&dir, "more.jsonl", b"{\"id\":3,\"score\":1.5}\n");
    let db = dir.path().join("out.db");
    let db = db.to_str().unwrap();
    let first = iterable(&["convert", csv.to_str().unwrap(), db, "-O", "table=people"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let again = iterable(&["convert", csv.to_str().unwrap(), db, "-O", "table=people"]);
    assert!(
        text(&again.stderr).contains("-O mode=append adds to it"),
        "{}",
        text(&again.stderr)
    );
    let more = [
        "convert",
        jsonl.to_str().unwrap(),
        db,
        "-O",
        "table=people",
        "-O",
        "mode=append",
    ];
    assert!(iterable(&more).status.success());
    let other = iterable(&["convert", jsonl.to_str().unwrap(), db, "-O", "table=more"]);
    assert!(other.status.success(), "{}", text(&other.stderr));
    assert_eq!(text(&iterable(&["tables", db]).stdout), "people\nmore\n");
    let people = iterable(&["cat", db, "-o", "table=people"]);
    assert_eq!(
        json_lines(&people.stdout),
        [
            serde_json::json!({"id": "1", "name": "Ada", "score": null}),
            serde_json::json!({"id": "2", "name": "007", "score": null}),
            // Appended to the TEXT column that CSV's text made: SQLite's affinity applies.
            serde_json::json!({"id": "3", "name": null, "score": 1.5}),
        ]
    );
    let unknown = iterable(&["convert", csv.to_str().unwrap(), db, "-O", "tabel=x"]);
    assert!(
        text(&unknown.stderr).contains("table, mode, infer_rows"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn a_dbf_table_is_found_by_content_and_its_bad_records_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/");
    let bare = dir.path().join("bare");
    std::fs::copy(format!("{data}kit.dbf"), &bare).unwrap();
    let detect = text(&iterable(&["detect", bare.to_str().unwrap()]).stdout);
    assert!(detect.contains("format: dbf"), "{detect}");
    let head = iterable(&[
        "head",
        "-n",
        "1",
        bare.to_str().unwrap(),
        "-o",
        "columns=x,name",
    ]);
    assert!(head.status.success(), "{}", text(&head.stderr));
    assert_eq!(text(&head.stdout), "{\"X\":0.00,\"NAME\":\"Ada\"}\n");
    let bad = format!("{data}kit-bad.dbf");
    let skipped = iterable(&["count", "--skip-bad", &bad]);
    assert_eq!(text(&skipped.stdout), "7\n", "{}", text(&skipped.stderr));
    let report = text(&skipped.stderr);
    assert!(
        report.contains("byte 265, record 3: dbf: field \"N\" (N): \"abc\" does not read"),
        "{report}"
    );
}

#[test]
fn orc_is_read_and_found_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let kit = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/kit.orc");
    let bare = dir.path().join("bare");
    std::fs::copy(kit, &bare).unwrap();
    let detect = text(&iterable(&["detect", bare.to_str().unwrap()]).stdout);
    assert!(detect.contains("format: orc"), "{detect}");
    let head = iterable(&["head", "-n", "1", kit, "-o", "columns=str,i8"]);
    assert!(head.status.success(), "{}", text(&head.stderr));
    assert_eq!(text(&head.stdout), "{\"str\":\"a\",\"i8\":1}\n");
    let out = dir.path().join("out.orc");
    let refused = iterable(&["convert", kit, out.to_str().unwrap()]);
    assert!(
        text(&refused.stderr).contains("read only"),
        "{}",
        text(&refused.stderr)
    );
    let formats = text(&iterable(&["formats"]).stdout);
    assert!(formats.contains("orc: Apache ORC"), "{formats}");
}

#[test]
fn avro_is_written_in_a_schema_read_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = temp_file(&dir, "in.csv", b"id,day,price\n1,2024-01-31,9.5\n2,,10\n");
    let schema = temp_file(
        &dir,
        "row.avsc",
        br#"{"type":"record","name":"row","fields":[{"name":"id","type":"int"},
            {"name":"day","type":["null",{"type":"int","logicalType":"date"}]},
            {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}}]}"#,
    );
    let out = dir.path().join("out.avro");
    let out = out.to_str().unwrap();
    let option = format!("schema=@{}", schema.to_str().unwrap());
    let converted = iterable(&["convert", csv.to_str().unwrap(), out, "-O", &option]);
    assert!(converted.status.success(), "{}", text(&converted.stderr));
    assert_eq!(
        text(&iterable(&["cat", out]).stdout),
        "{\"id\":1,\"day\":\"2024-01-31\",\"price\":9.50}\n{\"id\":2,\"day\":null,\"price\":10.00}\n"
    );
    // A schema that is not JSON: the error says how to give a file.
    let bare = iterable(&[
        "convert",
        csv.to_str().unwrap(),
        out,
        "-O",
        "schema=row.avsc",
    ]);
    assert!(!bare.status.success());
    assert!(
        text(&bare.stderr).contains("schema=@FILE"),
        "{}",
        text(&bare.stderr)
    );
    // @@ is a leading @ itself.
    let literal = iterable(&["convert", csv.to_str().unwrap(), out, "-O", "schema=@@x"]);
    assert!(
        text(&literal.stderr).contains("\"@x\" is not a schema"),
        "{}",
        text(&literal.stderr)
    );
    let missing = iterable(&[
        "convert",
        csv.to_str().unwrap(),
        out,
        "-O",
        "schema=@nope.avsc",
    ]);
    assert!(
        text(&missing.stderr).contains("schema=@nope.avsc"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn a_web_log_is_found_by_content_and_its_bad_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = temp_file(
        &dir,
        "access.log",
        b"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.1\" 200 512 \"-\" \"curl/8\"\n\
          half a line\n\
          10.0.0.2 - bob [10/Oct/2000:13:55:37 -0700] \"POST /b HTTP/1.1\" 201 - \"https://x/\" \"ua\"\n",
    );
    let log = log.to_str().unwrap();
    let detect = iterable(&["detect", log]);
    assert!(
        text(&detect.stdout).contains("format: apachelog"),
        "{detect:?}"
    );
    assert!(
        text(&detect.stdout).contains("log_format: 'combined'"),
        "{detect:?}"
    );

    // Stopping at the bad line names it; skipping it says so, and keeps the others.
    let fails = iterable(&["cat", log]);
    assert!(!fails.status.success());
    assert!(
        text(&fails.stderr).contains("line 2, byte 92, record 2: apachelog"),
        "{fails:?}"
    );
    let ltsv = dir.path().join("out.ltsv");
    let converted = iterable(&["convert", "--skip-bad", log, ltsv.to_str().unwrap()]);
    assert!(converted.status.success(), "{converted:?}");
    assert!(text(&converted.stderr).contains("line 2"), "{converted:?}");
    let back = iterable(&["cat", ltsv.to_str().unwrap()]);
    let rows = json_lines(&back.stdout);
    assert_eq!(rows.len(), 2);
    // Typed on the way in, text in LTSV.
    assert_eq!(rows[1]["remote_user"], "bob");
    assert_eq!(rows[1]["time"], "2000-10-10T20:55:37Z");
    assert_eq!(rows[1]["size"], "");
    assert_eq!(rows[0]["status"], "200");
}

#[test]
fn detect_names_the_encoding_and_convert_transcodes() {
    let dir = tempfile::tempdir().unwrap();
    // "имя,город\nЯрослава,Київ\n" in cp1251 ("ї" is 0xBF there).
    let cp1251 =
        b"\xe8\xec\xff,\xe3\xee\xf0\xee\xe4\n\xdf\xf0\xee\xf1\xeb\xe0\xe2\xe0,\xca\xe8\xbf\xe2\n";
    let input = temp_file(&dir, "legacy.csv", cp1251);
    let input = input.to_str().unwrap();
    let detect = iterable(&["detect", input]);
    assert!(
        text(&detect.stdout).contains("encoding: windows-1251 (by content)"),
        "{detect:?}"
    );
    let cat = iterable(&["cat", input]);
    assert_eq!(json_lines(&cat.stdout)[0]["город"], "Київ", "{cat:?}");
    let out = dir.path().join("out.csv");
    let converted = iterable(&[
        "convert",
        input,
        out.to_str().unwrap(),
        "-O",
        "encoding=cp1251",
    ]);
    assert!(converted.status.success(), "{converted:?}");
    assert_eq!(std::fs::read(&out).unwrap(), cp1251);
    let unknown = iterable(&["cat", input, "-o", "encoding=klingon"]);
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("encoding"), "{unknown:?}");
}
