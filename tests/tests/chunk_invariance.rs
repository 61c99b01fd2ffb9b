//! The records a decoder produces do not depend on how its input was cut into chunks: one
//! byte at a time, at random cuts, or all at once. Errors included. Nor on whether they were
//! built at once or parsed into batches and built from those (what a reader that reads ahead
//! does).

use iterable_core::{Encoder, Record, RecordStream, Value};
use iterable_formats::csv::{CsvDecoder, CsvEncoder, CsvOptions, CsvWriteOptions};
use iterable_formats::jsonl::{JsonLinesDecoder, JsonLinesEncoder};
use iterable_tests::{Outcome, chunks_of, decode_in_chunks, parse_in_chunks};
use proptest::prelude::*;

fn csv_decoder() -> CsvDecoder {
    CsvDecoder::new(CsvOptions::default(), 1 << 16)
}

fn jsonl_decoder() -> JsonLinesDecoder {
    JsonLinesDecoder::new(1 << 16)
}

/// Text with the characters that matter to CSV and JSON.
fn tricky_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-c ,;|\t\"'\\\\\r\n{}\\[\\]:0-9é😀\u{1}]{0,12}").unwrap()
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<u64>().prop_map(Value::from),
        any::<i128>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::Float),
        tricky_text().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..4)
                .prop_map(|pairs| Value::from(pairs.into_iter().collect::<Record>())),
        ]
    })
}

fn json_records() -> impl Strategy<Value = Vec<Record>> {
    prop::collection::vec(
        prop::collection::vec(("[a-e]{1,2}", json_value()), 0..5)
            .prop_map(|p| p.into_iter().collect::<Record>()),
        0..12,
    )
}

/// Mostly short fields, sometimes one long enough to make the decoder grow its row buffer.
fn csv_field() -> impl Strategy<Value = String> {
    prop_oneof![9 => tricky_text(), 1 => proptest::string::string_regex("[a-z,\"\n]{1000,3000}").unwrap()]
}

fn csv_rows() -> impl Strategy<Value = Vec<Vec<String>>> {
    (1usize..5).prop_flat_map(|width| {
        prop::collection::vec(prop::collection::vec(csv_field(), width), 1..15)
    })
}

fn encode(encoder: &mut dyn Encoder, records: &[Record]) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    for r in records {
        encoder.encode(r, &mut out).unwrap();
    }
    encoder.finish(&mut out).unwrap();
    out.to_vec()
}

fn csv_records(rows: &[Vec<String>]) -> Vec<Record> {
    rows.iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, v)| (format!("f{i}"), v.as_str()))
                .collect()
        })
        .collect()
}

fn only_records(outcomes: &[Outcome]) -> Vec<Record> {
    outcomes
        .iter()
        .map(|o| o.record().cloned().expect("no errors"))
        .collect()
}

/// Bytes drawn mostly from the characters the decoders care about.
fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(b",;\t\"\r\n{}[]:\\ a1-.e\xef\xbb\xbf\xff".to_vec()),
            any::<u8>(),
        ],
        0..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn csv_round_trips_at_any_cuts(rows in csv_rows(), cuts in prop::collection::vec(0usize..20000, 0..40)) {
        let records = csv_records(&rows);
        let options = CsvWriteOptions { delimiter: Some(b','), ..CsvWriteOptions::default() };
        let text = encode(&mut CsvEncoder::new(options), &records);
        let decode = || CsvDecoder::new(CsvOptions { delimiter: Some(b','), ..CsvOptions::default() }, 1 << 16);
        let whole = decode_in_chunks(decode(), &text, &[]);
        prop_assert_eq!(only_records(&whole), records.clone());
        prop_assert_eq!(&decode_in_chunks(decode(), &text, &cuts), &whole);
        let every_byte: Vec<usize> = (1..text.len()).collect();
        prop_assert_eq!(&decode_in_chunks(decode(), &text, &every_byte), &whole);
        prop_assert_eq!(&parse_in_chunks(decode(), &text, &cuts, 3), &whole);
    }

    #[test]
    fn csv_with_sniffed_delimiter_at_any_cuts(rows in csv_rows(), delimiter in prop::sample::select(vec![b',', b'\t', b';', b'|']), cuts in prop::collection::vec(0usize..20000, 0..40)) {
        let records = csv_records(&rows);
        let options = CsvWriteOptions { delimiter: Some(delimiter), ..CsvWriteOptions::default() };
        let text = encode(&mut CsvEncoder::new(options), &records);
        let whole = decode_in_chunks(csv_decoder(), &text, &[]);
        prop_assert_eq!(&decode_in_chunks(csv_decoder(), &text, &cuts), &whole);
        prop_assert_eq!(&parse_in_chunks(csv_decoder(), &text, &cuts, 2), &whole);
    }

    #[test]
    fn csv_noise_at_any_cuts(input in noisy_bytes(), cuts in prop::collection::vec(0usize..300, 0..20)) {
        let whole = decode_in_chunks(csv_decoder(), &input, &[]);
        prop_assert_eq!(&decode_in_chunks(csv_decoder(), &input, &cuts), &whole);
        let every_byte: Vec<usize> = (1..input.len()).collect();
        prop_assert_eq!(&decode_in_chunks(csv_decoder(), &input, &every_byte), &whole);
        prop_assert_eq!(&parse_in_chunks(csv_decoder(), &input, &cuts, 1), &whole);
        prop_assert_eq!(&parse_in_chunks(csv_decoder(), &input, &every_byte, 4), &whole);
    }

    #[test]
    fn jsonl_round_trips_at_any_cuts(records in json_records(), cuts in prop::collection::vec(0usize..4000, 0..20)) {
        let text = encode(&mut JsonLinesEncoder::new(), &records);
        let whole = decode_in_chunks(jsonl_decoder(), &text, &[]);
        prop_assert_eq!(only_records(&whole), records.clone());
        prop_assert_eq!(&decode_in_chunks(jsonl_decoder(), &text, &cuts), &whole);
        let every_byte: Vec<usize> = (1..text.len()).collect();
        prop_assert_eq!(&decode_in_chunks(jsonl_decoder(), &text, &every_byte), &whole);
        prop_assert_eq!(&parse_in_chunks(jsonl_decoder(), &text, &cuts, 3), &whole);
    }

    #[test]
    fn jsonl_noise_at_any_cuts(input in noisy_bytes(), cuts in prop::collection::vec(0usize..300, 0..20)) {
        let whole = decode_in_chunks(jsonl_decoder(), &input, &[]);
        prop_assert_eq!(&decode_in_chunks(jsonl_decoder(), &input, &cuts), &whole);
        let every_byte: Vec<usize> = (1..input.len()).collect();
        prop_assert_eq!(&decode_in_chunks(jsonl_decoder(), &input, &every_byte), &whole);
        prop_assert_eq!(&parse_in_chunks(jsonl_decoder(), &input, &cuts, 1), &whole);
        prop_assert_eq!(&parse_in_chunks(jsonl_decoder(), &input, &every_byte, 4), &whole);
    }

    #[test]
    fn record_stream_matches_pushed_chunks(records in json_records(), size in 1usize..64) {
        let text = encode(&mut JsonLinesEncoder::new(), &records);
        let stream = RecordStream::new(
            futures::stream::iter(chunks_of(&text, size).into_iter().map(Ok)),
            jsonl_decoder(),
            iterable_core::ErrorPolicy::Fail,
        );
        let streamed: Vec<Record> = futures::executor::block_on_stream(stream).map(Result::unwrap).collect();
        prop_assert_eq!(streamed, records);
    }
}
