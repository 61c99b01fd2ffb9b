//! The format test kit: one line per format in [`cases`] gives it every check below, and a
//! format of the registry without a line fails [`every_format_of_the_registry_has_a_line`].
//!
//! - the records do not depend on how the input is cut (one byte at a time, random cuts, whole),
//!   built or parsed into batches; for a format read by ranges (Parquet), on how many rows
//!   are decoded at a time, nor on a projection of every column;
//! - written and read back, the records are the same (writable formats);
//! - sync, tokio, smol and async-std read the same records and errors from a file;
//! - bad input is an error with the position the case says, after the records before it;
//! - the saved corpus of the format's fuzz target (`fuzz/corpus/NAME/`) decodes without a
//!   panic, and the same whatever the cuts.

use bytes::BytesMut;
use iterable_core::{Decoder, Encoder, Position, Record};
use iterable_formats::{Format, FormatOptions, ReadOptions, WriteOptions};
use iterable_tests::{Outcome, decode_in_chunks, decode_ranges, parse_in_chunks};
use proptest::prelude::*;

/// A format's line in the kit.
struct Case {
    format: Format,
    /// The options its decoder gets (in the kit's direct decoding; readers detect them).
    options: &'static [(&'static str, &'static str)],
    /// The file name it is written to for the readers (its extension names the format).
    file: &'static str,
    /// Good input, with every feature of the format the kit should exercise.
    good: &'static [u8],
    /// Bad input, and where its first error is.
    bad: &'static [u8],
    first_error: Position,
    /// Whether reading goes on after the error (a bad row of a stream), or ends (a broken
    /// page of a file read by ranges).
    recovers: bool,
}

/// One line per format.
fn cases() -> Vec<Case> {
    vec![
        Case {
            format: Format::CSV,
            options: &[("delimiter", ",")],
            file: "kit.csv",
            good: "id,name,note\r\n1,Ada,\"a, b\"\n2,Grace,\"two\nlines\"\n3,Zoë,\n4,\"say \"\"hi\"\"\",x\n".as_bytes(),
            bad: b"a,b\n1,2\n3\n4,5\n",
            first_error: at(8, 3, 2),
            recovers: true,
        },
        Case {
            format: Format::JSONL,
            options: &[],
            file: "kit.jsonl",
            good: "{\"id\":1,\"o\":{\"k\":[1,2.5,\"é\"]},\"n\":null}\n\n{\"id\":18446744073709551616,\"b\":true}\r\n{\"id\":3}".as_bytes(),
            bad: b"{\"a\":1}\n{oops}\n{\"a\":2}\n",
            first_error: at(9, 2, 2), // the byte simd-json stopped at
            recovers: true,
        },
        Case {
            format: Format::JSON,
            options: &[],
            file: "kit.json",
            good: "[\n {\"id\":1,\"o\":{\"k\":[1,2.5,\"]}\\\"\"]}},\n {\"id\":2,\"s\":\"Zoë\"},\n{\"id\":-3e2}\n]\n".as_bytes(),
            bad: b"[{\"a\":1},\n 42,\n{\"a\":2}]",
            first_error: at(11, 2, 2),
            recovers: true,
        },
        Case {
            format: Format::LTSV,
            options: &[],
            file: "kit.ltsv",
            good: "host:127.0.0.1\treq:GET /a:b HTTP/1.1\tstatus:200\t\r\n\nhost:::1\tua:Zoë\tsize:\nempty:\tdots.and-dashes_1:x\n".as_bytes(),
            bad: b"a:1\nb:2\tb:3\na:4\n",
            first_error: at(8, 2, 2),
            recovers: true,
        },
        Case {
            format: Format::APACHELOG,
            options: &[("log_format", "combined")],
            file: "kit.apachelog",
            good: "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"\r\n\n::1 - - [29/Feb/2024:23:59:60 +0000] \"-\" 408 - \"-\" \"a \\\"quoted\\\" agent \\\\ é \\x01\"\nexample.com - - [01/Jan/1970:00:00:00 +0530] \"PROPFIND /a%20b?x=\\\"1\\\" HTTP/1.1\" 207 0 \"-\" \"-\"".as_bytes(),
            bad: b"h - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"-\"\nnot a log line\nh - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"-\"\n",
            first_error: at(76, 2, 2),
            recovers: true,
        },
        Case {
            format: Format::LINEPROTOCOL,
            options: &[],
            file: "kit.lp",
            good: "# a comment\ncpu,host=a\\ b,region=eu\\,west usage=0.5,cores=8i,big=18446744073709551615u,ok=t,note=\"say \\\"hi\\\" \\\\ Zoë\" 1700000000000000000\r\n\nmem free=1 -5\nweird\\ name\\,1 v=-1.5e-7\n".as_bytes(),
            bad: b"a v=1\nb v=\nc v=2\n",
            first_error: at(6, 2, 2),
            recovers: true,
        },
        Case {
            format: Format::GELF,
            options: &[],
            file: "kit.gelf",
            good: "{\"version\":\"1.1\",\"host\":\"web1\",\"short_message\":\"Zoë logged in\",\"full_message\":\"a\\nb\",\"timestamp\":1385053862.3072,\"level\":6,\"_user_id\":42,\"_tags\":[\"a\",{\"k\":null}]}\u{0}{\"version\":\"1.1\",\"host\":\"db\",\"short_message\":\"x\"}\r\n\n{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"y\",\"timestamp\":-5}".as_bytes(),
            bad: b"{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"m\"}\n{\"host\":\"h\"}\n{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"m\"}\n",
            first_error: at(49, 2, 2),
            recovers: true,
        },
        Case {
            format: Format::CEF,
            options: &[],
            file: "kit.cef",
            good: "Sep 19 08:26:10 host CEF:0|Security|threat\\|manager|1.0|100|worm stopped|10|src=10.0.0.1 dst=2.1.2.2 msg=Zoë said \\= hi\\nbye url=http://x/?a=b&c=d cs1Label=a\\\\b\r\n\nCEF:1|V|P|2|sig|n|High|\nCEF:0|V|P|2|sig|n|3|act=blocked a\\\\b".as_bytes(),
            bad: b"CEF:0|a|b|c|d|e|5|x=1\nnot cef\nCEF:0|a|b|c|d|e|5|x=2\n",
            first_error: at(22, 2, 2),
            recovers: true,
        },
        Case {
            format: Format::FIXEDWIDTH,
            options: &[],
            file: "kit.fwf",
            good: "id  name        city\r\n1   Zoë Ærø     Oslo\n\n22  Ada         London town\n333 {\"x\":1}\n".as_bytes(),
            bad: b"id name\n1  \xc3\xa9\n2  \xff\n3  c\n",
            first_error: at(14, 3, 2),
            recovers: true,
        },
        Case {
            format: Format::XML,
            options: &[],
            file: "kit.xml",
            good: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- kit --><catalog xmlns:dc=\"urn:dc\">\n  <book id=\"1\" lang=\"fr\"><dc:title>L&apos;&#201;tranger &amp; <![CDATA[<co>]]></dc:title><tag>a</tag><tag>b</tag><empty/><blank></blank></book>\n  <book>Zoë</book>\n  <book><nested><deep k=\"v\">x</deep></nested></book>\n</catalog>\n".as_bytes(),
            bad: b"<r><a>1</a>\n<a>&nope;</a>\n<a>3</a></r>",
            first_error: at(15, 2, 2),
            recovers: true,
        },
        Case {
            format: Format::INI,
            options: &[],
            file: "kit.ini",
            good: "root_key = top\r\n; a comment\n[server]\nhost = example.com\nport=8080\nalias=a\nalias=b\n\n# another\n[paths]\nhome=C:\\\\Users\\\\Zoë\nnote=a\\;b\n[server]\nhost=second\n".as_bytes(),
            // rust-ini looks for the section's ']' to the end, and says so there.
            bad: b"[ok]\na=1\n[broken\nb=2\n",
            first_error: Position {
                line: Some(5),
                ..Position::default()
            },
            recovers: false,
        },
        Case {
            format: Format::TOML,
            options: &[],
            file: "kit.toml",
            good: "# kit\r\ntitle = \"Zoë \\\"q\\\"\"\nn = 7\nf = -1.5e3\nok = true\n\n[owner]\nname = \"Ada\"\nborn = 1815-12-10\nwoke = 07:32:00.25\nseen = 1979-05-27T07:32:00-08:00\nlocal = 1979-05-27T00:32:00.999999\nutc = 2024-01-31T13:45:00Z\npoint = { x = 1, y = [1, 2] }\n\n[owner.\"dotted.key\"]\nv = [\"a\", \"b\"]\n\n[[port]]\nn = 80\n[port.tls]\non = false\n\n[[port]]\nn = 443\n".as_bytes(),
            bad: b"a = 1\nb = \n",
            first_error: Position {
                byte: Some(10),
                line: Some(2),
                record: None,
            },
            recovers: false,
        },
        Case {
            format: Format::YAML,
            options: &[],
            file: "kit.yaml",
            good: "%YAML 1.2\n---\nname: Zoë\nn: 7\nbig: 18446744073709551616\nf: -1.5e3\ninf: .inf\nok: true\nnothing: ~\nquoted: \"123\"\nmulti: |\n  two\n  lines\nbase: &b {x: 1, y: [a, b]}\nalso: *b\n---\n- {id: 1}\n- id: 2\n  tags: [x, \"y z\"]\n...\n---\nlast: {nested: {deep: [1, {k: v}]}}\n".as_bytes(),
            bad: b"---\na: 1\n---\nb: [1, 2\n",
            first_error: Position {
                byte: Some(22),
                line: Some(5),
                record: Some(2),
            },
            recovers: false,
        },
        // Written by pyarrow (tests/peers/pyarrow_peer.py kit): every type, three row groups;
        // the bad one has the first page of its last row group broken.
        Case {
            format: Format::PARQUET,
            options: &[],
            file: "kit.parquet",
            good: include_bytes!("../data/kit.parquet"),
            bad: include_bytes!("../data/kit-bad.parquet"),
            first_error: Position {
                record: Some(7),
                ..Position::default()
            },
            recovers: false,
        },
        // Written by pyarrow (tests/peers/pyarrow_peer.py kit): every type ORC has, seven
        // stripes of three rows; the bad one has its second stripe's footer broken.
        Case {
            format: Format::from_name("orc").unwrap(),
            options: &[],
            file: "kit.orc",
            good: include_bytes!("../data/kit.orc"),
            bad: include_bytes!("../data/kit-bad.orc"),
            first_error: Position {
                byte: Some(1290),
                record: Some(4),
                ..Position::default()
            },
            recovers: false,
        },
        // Written by openpyxl (spreadsheet_peer.py kit): every type a cell has; the bad one
        // has an error cell in its fifth row, an error with cell_errors=error.
        Case {
            format: Format::from_name("xlsx").unwrap(),
            options: &[("cell_errors", "error")],
            file: "kit.xlsx",
            good: include_bytes!("../data/kit.xlsx"),
            bad: include_bytes!("../data/kit-bad.xlsx"),
            first_error: Position {
                line: Some(5),
                ..Position::default()
            },
            recovers: true,
        },
        // Written by xlwt (spreadsheet_peer.py kit); the bad one has an error cell in its
        // fifth row.
        Case {
            format: Format::from_name("xls").unwrap(),
            options: &[("cell_errors", "error")],
            file: "kit.xls",
            good: include_bytes!("../data/kit.xls"),
            bad: include_bytes!("../data/kit-bad.xls"),
            first_error: Position {
                line: Some(5),
                ..Position::default()
            },
            recovers: true,
        },
        // Written by odfpy (spreadsheet_peer.py kit); the bad one is cut short, and fails
        // whole.
        Case {
            format: Format::from_name("ods").unwrap(),
            options: &[],
            file: "kit.ods",
            good: include_bytes!("../data/kit.ods"),
            bad: include_bytes!("../data/kit-bad.ods"),
            first_error: Position::default(),
            recovers: false,
        },
        // Written by Python's sqlite3 (sqlite_peer.py kit): every storage class, pages of 512
        // bytes; the bad one cut in half, which SQLite finds malformed at once.
        Case {
            format: Format::from_name("sqlite").unwrap(),
            options: &[],
            file: "kit.sqlite",
            good: include_bytes!("../data/kit.sqlite"),
            bad: include_bytes!("../data/kit-bad.sqlite"),
            first_error: Position::default(),
            recovers: false,
        },
        // Written by the dbf package (dbf_peer.py kit): text, numbers with and without
        // decimals, dates, logicals; the bad one has letters in a number of its third record.
        Case {
            format: Format::from_name("dbf").unwrap(),
            options: &[],
            file: "kit.dbf",
            good: include_bytes!("../data/kit.dbf"),
            bad: include_bytes!("../data/kit-bad.dbf"),
            first_error: Position {
                byte: Some(265),
                record: Some(3),
                ..Position::default()
            },
            recovers: true,
        },
        // Written by Python's msgpack (msgpack_peer.py kit): every type, a timestamp and
        // another ext, an integer key; the bad one has a top-level integer between two maps.
        Case {
            format: Format::from_name("msgpack").unwrap(),
            options: &[],
            file: "kit.msgpack",
            good: include_bytes!("../data/kit.msgpack"),
            bad: include_bytes!("../data/kit-bad.msgpack"),
            first_error: Position {
                byte: Some(4),
                record: Some(2),
                ..Position::default()
            },
            recovers: true,
        },
        // Written by Python's cbor2 (cbor_peer.py kit): every type, typed and other tags, a
        // simple value, bignums, a map, an array and strings of indefinite length, an integer
        // key; the bad one has a top-level integer between two maps.
        Case {
            format: Format::from_name("cbor").unwrap(),
            options: &[],
            file: "kit.cbor",
            good: include_bytes!("../data/kit.cbor"),
            bad: include_bytes!("../data/kit-bad.cbor"),
            first_error: Position {
                byte: Some(4),
                record: Some(2),
                ..Position::default()
            },
            recovers: true,
        },
        // Written by pymongo's bson (bson_peer.py kit): every type but the deprecated ones; the
        // bad one has a document whose string claims more than it holds between two good ones.
        Case {
            format: Format::from_name("bson").unwrap(),
            options: &[],
            file: "kit.bson",
            good: include_bytes!("../data/kit.bson"),
            bad: include_bytes!("../data/kit-bad.bson"),
            first_error: Position {
                byte: Some(12),
                record: Some(2),
                ..Position::default()
            },
            recovers: true,
        },
        // Rows written by PostgreSQL (`\\copy (...) TO 'kit.pgcopy' WITH (FORMAT binary)`), the
        // header's extension naming their columns; the bad one has its second row's int8 cut
        // to three bytes.
        Case {
            format: Format::from_name("pgcopy").unwrap(),
            options: &[],
            file: "kit.pgcopy",
            good: include_bytes!("../data/kit.pgcopy"),
            bad: include_bytes!("../data/kit-bad.pgcopy"),
            first_error: Position {
                byte: Some(239),
                record: Some(2),
                ..Position::default()
            },
            recovers: true,
        },
        // Written by fastavro (avro_peer.py kit): every type and logical type, deflate blocks of
        // about one record; the bad one has its second block's data broken.
        Case {
            format: Format::from_name("avro").unwrap(),
            options: &[],
            file: "kit.avro",
            good: include_bytes!("../data/kit.avro"),
            bad: include_bytes!("../data/kit-bad.avro"),
            first_error: Position {
                byte: Some(1742),
                record: Some(2),
                ..Position::default()
            },
            recovers: true,
        },
        // Written by pyarrow (pyarrow_peer.py kit): every type, batches of three rows; the bad
        // file has the message of its third batch, at byte 12696, broken.
        Case {
            format: Format::from_name("arrow").unwrap(),
            options: &[],
            file: "kit.arrow",
            good: include_bytes!("../data/kit.arrow"),
            bad: include_bytes!("../data/kit-bad.arrow"),
            first_error: Position {
                byte: Some(12696),
                record: Some(7),
                ..Position::default()
            },
            recovers: false,
        },
        // The same as a stream; the bad one is cut in its third batch, at byte 12688.
        Case {
            format: Format::from_name("arrows").unwrap(),
            options: &[],
            file: "kit.arrows",
            good: include_bytes!("../data/kit.arrows"),
            bad: include_bytes!("../data/kit-bad.arrows"),
            first_error: Position {
                byte: Some(12688),
                record: Some(7),
                ..Position::default()
            },
            recovers: false,
        },
    ]
}

fn at(byte: u64, line: u64, record: u64) -> Position {
    Position {
        byte: Some(byte),
        line: Some(line),
        record: Some(record),
    }
}

impl Case {
    fn format_options(&self) -> FormatOptions {
        self.options.iter().copied().collect()
    }

    fn decoder(&self) -> Box<dyn Decoder + Send> {
        self.format
            .decoder(&self.format_options(), 1 << 20)
            .unwrap()
    }

    fn by_ranges(&self) -> bool {
        self.format.info().capabilities.random_access
    }

    /// Everything the format's decoder makes of `input` given whole (or, read by ranges, every
    /// range it asks for), with `options` on top of the case's.
    fn decode_with(&self, input: &[u8], options: &[(&str, &str)]) -> Vec<Outcome> {
        let mut all = self.format_options();
        for (key, value) in options {
            all.set(*key, *value);
        }
        match self.by_ranges() {
            true => decode_ranges(
                self.format
                    .ranged_decoder(&all, input.len() as u64)
                    .unwrap(),
                input,
            ),
            false => decode_in_chunks(self.format.decoder(&all, 1 << 20).unwrap(), input, &[]),
        }
    }

    /// The schema a reader finds in `input`; `None` for a format without one.
    fn schema(&self, input: &[u8]) -> Option<iterable_core::Schema> {
        let options = ReadOptions {
            format: Some(self.format),
            ..ReadOptions::default()
        };
        let mut reader = iterable_sync::from_reader(input, &options).unwrap();
        reader.read().unwrap();
        reader.schema().cloned()
    }

    /// Options for decoding a row at a time, where the format lets that be chosen.
    fn one_row_at_a_time(&self) -> FormatOptions {
        let mut options = FormatOptions::default();
        if self
            .format
            .read_options()
            .iter()
            .any(|o| o.key == "batch_size")
        {
            options.set("batch_size", "1");
        }
        options
    }

    fn decode(&self, input: &[u8]) -> Vec<Outcome> {
        self.decode_with(input, &[])
    }

    fn name(&self) -> &'static str {
        self.format.info().name
    }
}

fn records(outcomes: &[Outcome]) -> Vec<Record> {
    outcomes
        .iter()
        .filter_map(Outcome::record)
        .cloned()
        .collect()
}

#[test]
fn every_format_of_the_registry_has_a_line() {
    let covered: Vec<Format> = cases().iter().map(|c| c.format).collect();
    for format in Format::all() {
        assert!(covered.contains(&format), "{format} has no line in the kit");
    }
}

/// `a` and `b` agree, or, when they end in an error, both do and the records before it agree
/// as far as both go (a batch that fails gives none of its rows: a larger one may give fewer).
fn agree_up_to_an_error(a: &[Outcome], b: &[Outcome], what: &str) {
    let failed = |o: &[Outcome]| matches!(o.last(), Some(Outcome::Error { .. }));
    // Compared as text: a NaN is not equal to itself, but prints the same.
    let text = |o: &[Outcome]| format!("{o:?}");
    if !failed(a) && !failed(b) {
        assert_eq!(text(a), text(b), "{what}");
        return;
    }
    assert!(failed(a) && failed(b), "{what}: {a:?} {b:?}");
    let n = (a.len() - 1).min(b.len() - 1);
    assert_eq!(text(&a[..n]), text(&b[..n]), "{what}");
}

/// Rows decoded at a time (where the format lets them be chosen) and a projection of every
/// column change nothing.
fn ranged_records_do_not_depend_on_the_batches(case: &Case) {
    for input in [case.good, case.bad] {
        let whole = case.decode(input);
        // A bad input may fail whole (a workbook or a database, opened at once).
        let fails_whole = input == case.bad && whole.len() == 1;
        assert!(
            records(&whole).len() >= 3 || fails_whole,
            "{}: {whole:?}",
            case.name()
        );
        let batched = case
            .format
            .read_options()
            .iter()
            .any(|o| o.key == "batch_size");
        for batch in ["1", "2", "5", "65536"].into_iter().filter(|_| batched) {
            agree_up_to_an_error(
                &case.decode_with(input, &[("batch_size", batch)]),
                &whole,
                &format!("{}: batch_size {batch}", case.name()),
            );
        }
        let Some(Outcome::Record(first)) = whole.first() else {
            assert!(fails_whole, "{}: no first record", case.name());
            continue;
        };
        let every: Vec<&str> = first.iter().map(|(name, _)| name).collect();
        let every = every.join(",");
        assert_eq!(
            case.decode_with(input, &[("columns", &every)]),
            whole,
            "{}",
            case.name()
        );
    }
}

#[test]
fn records_do_not_depend_on_the_cuts() {
    for case in cases() {
        if case.by_ranges() {
            ranged_records_do_not_depend_on_the_batches(&case);
            continue;
        }
        let whole = decode_in_chunks(case.decoder(), case.good, &[]);
        assert!(records(&whole).len() >= 3, "{}: {whole:?}", case.name());
        assert_eq!(
            records(&whole).len(),
            whole.len(),
            "{}: {whole:?}",
            case.name()
        );
        let every_byte: Vec<usize> = (1..case.good.len()).collect();
        assert_eq!(
            decode_in_chunks(case.decoder(), case.good, &every_byte),
            whole,
            "{}",
            case.name()
        );
        for batch in [1, 2, 512] {
            assert_eq!(
                parse_in_chunks(case.decoder(), case.good, &every_byte, batch),
                whole,
                "{}",
                case.name()
            );
        }
        let bad_whole = decode_in_chunks(case.decoder(), case.bad, &[]);
        let bad_cuts: Vec<usize> = (1..case.bad.len()).collect();
        assert_eq!(
            decode_in_chunks(case.decoder(), case.bad, &bad_cuts),
            bad_whole,
            "{}",
            case.name()
        );
        assert_eq!(
            parse_in_chunks(case.decoder(), case.bad, &bad_cuts, 2),
            bad_whole,
            "{}",
            case.name()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn records_do_not_depend_on_random_cuts(cuts in prop::collection::vec(0usize..200, 0..30), batch in 1usize..5) {
        for case in cases().into_iter().filter(|c| !c.by_ranges()) {
            for input in [case.good, case.bad] {
                let whole = decode_in_chunks(case.decoder(), input, &[]);
                prop_assert_eq!(&decode_in_chunks(case.decoder(), input, &cuts), &whole);
                prop_assert_eq!(&parse_in_chunks(case.decoder(), input, &cuts, batch), &whole);
            }
        }
    }
}

/// Where two lists of records first differ.
fn first_difference(got: &[Record], want: &[Record]) -> String {
    if got.len() != want.len() {
        return format!("{} records, not {}", got.len(), want.len());
    }
    for (index, (a, b)) in got.iter().zip(want).enumerate() {
        let names = |r: &Record| r.iter().map(|(n, _)| n.to_owned()).collect::<Vec<_>>();
        if names(a) != names(b) {
            return format!(
                "record {}: fields {:?}, not {:?}",
                index + 1,
                names(a),
                names(b)
            );
        }
        for ((name, x), (_, y)) in a.iter().zip(b.iter()) {
            if x != y {
                return format!("record {}, field {name}: {x:?}, not {y:?}", index + 1);
            }
        }
    }
    "no difference".into()
}

#[test]
fn written_records_read_back_the_same() {
    for case in cases()
        .into_iter()
        .filter(|c| c.format.info().capabilities.write)
    {
        let read = records(&case.decode(case.good));
        let mut encoder = case.format.encoder(&FormatOptions::default()).unwrap();
        // A typed format gets the schema it was read with, as `convert` passes it on.
        if let Some(schema) = case.schema(case.good) {
            encoder.set_schema(&schema).unwrap();
        }
        let mut out = BytesMut::new();
        for record in &read {
            encoder.encode(record, &mut out).unwrap();
        }
        encoder.finish(&mut out).unwrap();
        let again = records(&case.decode(&out));
        assert_eq!(
            again,
            read,
            "{}: {}",
            case.name(),
            first_difference(&again, &read)
        );
    }
}

#[test]
fn bad_input_is_an_error_with_its_position() {
    for case in cases() {
        let outcomes = case.decode(case.bad);
        let first = outcomes
            .iter()
            .find_map(|o| match o {
                Outcome::Error {
                    position,
                    recoverable,
                    ..
                } => Some((*position, *recoverable)),
                Outcome::Record(_) => None,
            })
            .unwrap_or_else(|| panic!("{}: no error in {outcomes:?}", case.name()));
        assert_eq!(first.0, case.first_error, "{}: {outcomes:?}", case.name());
        assert_eq!(first.1, case.recovers, "{}: {outcomes:?}", case.name());
        let before = case.first_error.record.unwrap_or(1) as usize - 1;
        assert!(
            outcomes[..before].iter().all(|o| o.record().is_some()),
            "{}: the records before the error come first: {outcomes:?}",
            case.name()
        );
        if case.recovers {
            assert!(
                records(&outcomes).len() > before,
                "{}: reading goes on: {outcomes:?}",
                case.name()
            );
        } else {
            assert_eq!(
                outcomes.len(),
                before + 1,
                "{}: the error ends it",
                case.name()
            );
        }
    }
}

/// A record or an error, as every adapter must give it.
type Read = Result<Record, (iterable_core::ErrorKind, String, Position)>;

macro_rules! read_all {
    ($reader:expr, $read:ident $(. $await:ident)?) => {{
        let mut reader = $reader;
        let mut out: Vec<Read> = Vec::new();
        loop {
            match reader.$read()$(.$await)? {
                Ok(Some(record)) => out.push(Ok(record)),
                Ok(None) => break,
                Err(e) => {
                    let fatal = !e.is_recoverable();
                    out.push(Err((e.kind(), e.to_string(), e.position())));
                    if fatal {
                        break;
                    }
                }
            }
        }
        out
    }};
}

#[test]
fn every_runtime_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases() {
        for (which, input) in [("good", case.good), ("bad", case.bad)] {
            let path = dir.path().join(format!("{which}-{}", case.file));
            std::fs::write(&path, input).unwrap();
            let path = path.to_str().unwrap();
            let mut options = ReadOptions::default();
            for (key, value) in case.options {
                options = options.with_option(key, value);
            }
            let sync = read_all!(iterable_sync::open_with(path, &options).unwrap(), read);
            let tokio = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(async {
                    read_all!(
                        iterable_tokio::open_with(path, &options).await.unwrap(),
                        read.await
                    )
                });
            let smol = smol::block_on(async {
                read_all!(
                    iterable_smol::open_with(path, &options).await.unwrap(),
                    read.await
                )
            });
            let async_std = async_std::task::block_on(async {
                read_all!(
                    iterable_smol::open_with(path, &options).await.unwrap(),
                    read.await
                )
            });
            let direct: Vec<Record> = records(&case.decode(input));
            let sync_records: Vec<Record> = sync
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .cloned()
                .collect();
            assert_eq!(sync_records, direct, "{} {which}", case.name());
            assert_eq!(tokio, sync, "{} {which}: tokio", case.name());
            assert_eq!(smol, sync, "{} {which}: smol", case.name());
            assert_eq!(async_std, sync, "{} {which}: async-std", case.name());
        }
    }
}

/// The saved corpus of a format's fuzz target, `fuzz/corpus/decode_NAME/`.
fn corpus(case: &Case) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(format!("decode_{}", case.name()));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| (path.display().to_string(), std::fs::read(&path).unwrap()))
        .collect()
}

#[test]
fn the_fuzz_corpora_decode_the_same_whatever_the_cuts() {
    for case in cases() {
        let files = corpus(&case);
        assert!(
            files.len() >= 3,
            "{}: the corpus holds {} files",
            case.name(),
            files.len()
        );
        for (name, input) in files {
            if case.by_ranges() {
                // Whatever the rows at a time; with the rows of a record batch at a time.
                // A file too short to be one is refused at once, with nothing to compare.
                let Ok(decoder) = case
                    .format
                    .ranged_decoder(&FormatOptions::default(), input.len() as u64)
                else {
                    continue;
                };
                let whole = decode_ranges(decoder, &input);
                let one_at_a_time = decode_ranges(
                    case.format
                        .ranged_decoder(&case.one_row_at_a_time(), input.len() as u64)
                        .unwrap(),
                    &input,
                );
                agree_up_to_an_error(&one_at_a_time, &whole, &name);
                continue;
            }
            // The options a reader would find: those the bytes themselves imply.
            let decoder = || {
                case.format
                    .decoder(&FormatOptions::default(), 1 << 16)
                    .unwrap()
            };
            // Compared as text: a NaN (MessagePack's, YAML's `.nan`) is not equal to itself,
            // but prints the same.
            let text = |outcomes: Vec<Outcome>| format!("{outcomes:?}");
            let whole = text(decode_in_chunks(decoder(), &input, &[]));
            let cuts: Vec<usize> = (1..input.len()).step_by(7).collect();
            assert_eq!(
                text(decode_in_chunks(decoder(), &input, &cuts)),
                whole,
                "{name}"
            );
            assert_eq!(
                text(parse_in_chunks(decoder(), &input, &cuts, 3)),
                whole,
                "{name}"
            );
        }
    }
}

#[test]
fn writers_get_their_options_checked() {
    for format in Format::all().filter(|f| f.info().capabilities.write) {
        let error = format
            .encoder(&FormatOptions::default().with("no_such_option", "1"))
            .err()
            .unwrap();
        assert!(error.to_string().contains("no_such_option"), "{error}");
    }
    let writer = iterable_sync::to_writer(
        Vec::new(),
        &WriteOptions {
            format: Some(Format::CSV),
            ..WriteOptions::default()
        }
        .with_option("delimiter", "tab"),
    );
    assert!(writer.is_ok());
}
