//! Decoding blocks on several threads gives exactly what decoding in order gives: the same
//! records, the same errors at the same positions, under every error policy.

use iterable_core::{ErrorPolicy, Position, Record};
use iterable_formats::{Format, ReadOptions};
use iterable_sync::from_reader;

/// A record, or an error's message and position.
type Outcome = Result<Record, (String, Position)>;

fn outcomes(input: &[u8], options: &ReadOptions) -> (Vec<Outcome>, Vec<(String, Position)>) {
    let mut reader = from_reader(input, options).unwrap();
    let mut out = Vec::new();
    loop {
        match reader.read() {
            Ok(Some(record)) => out.push(Ok(record)),
            Ok(None) => {
                assert_eq!(reader.bytes_read() as usize, input.len(), "every byte read");
                break;
            }
            Err(e) => {
                let fatal = !e.is_recoverable();
                out.push(Err((e.message().to_owned(), e.position())));
                if fatal {
                    break;
                }
            }
        }
    }
    let collected = reader
        .errors()
        .iter()
        .map(|e| (e.message().to_owned(), e.position()))
        .collect();
    (out, collected)
}

fn assert_same_in_parallel(input: &[u8], format: Format, max_record_size: usize) {
    for policy in [ErrorPolicy::Fail, ErrorPolicy::Collect] {
        let in_order = ReadOptions {
            format: Some(format),
            max_record_size,
            error_policy: policy,
            ..ReadOptions::default()
        };
        let expected = outcomes(input, &in_order);
        assert!(expected.0.len() > 1000, "a test input of many records");
        for threads in [2, 3, 8] {
            let parallel = ReadOptions {
                threads,
                ..in_order.clone()
            };
            let got = outcomes(input, &parallel);
            assert_eq!(
                got.0.len(),
                expected.0.len(),
                "{format:?} {policy:?} {threads} threads"
            );
            for (i, (g, e)) in got.0.iter().zip(&expected.0).enumerate() {
                assert_eq!(g, e, "{format:?} {policy:?} {threads} threads, outcome {i}");
            }
            assert_eq!(
                got.1, expected.1,
                "{format:?} {policy:?} {threads} threads: collected errors"
            );
        }
    }
}

/// A small deterministic generator, so that failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn csv_input(seed: u64, rows: usize) -> Vec<u8> {
    let mut rng = Lcg(seed);
    let mut out = b"id,text,size\r\n".to_vec();
    for id in 0..rows {
        let text = match rng.next(12) {
            0 => "\"multi\nline, quoted\"".to_owned(),
            1 => "5 3\" screen".to_owned(), // a stray quote in an unquoted field
            2 => "\"say \"\"hi\"\"\"".to_owned(),
            3 => "\"\"".to_owned(),
            _ => format!("plain{}", rng.next(1000)),
        };
        let row = match rng.next(200) {
            0 => format!("{id},{text}\r\n").into_bytes(), // too few fields
            1 => format!("{id},{text},1,extra\n").into_bytes(), // too many
            2 => [format!("{id},bad").as_bytes(), b"\xff,1\n"].concat(), // not UTF-8
            3 => b"\r\n\n".to_vec(),                      // blank lines
            _ => format!("{id},{text},{}\r\n", rng.next(100)).into_bytes(),
        };
        out.extend_from_slice(&row);
    }
    out
}

fn jsonl_input(seed: u64, rows: usize) -> Vec<u8> {
    let mut rng = Lcg(seed);
    let mut out = Vec::new();
    for id in 0..rows {
        let line = match rng.next(300) {
            0 => "{\"id\": broken\n".to_owned(),
            1 => "[1,2]\n".to_owned(),
            2 => "\n  \n".to_owned(),
            3 => format!("{{\"id\":{id}}}\r\n"),
            _ => format!(
                "{{\"id\":{id},\"v\":{},\"s\":\"x{}\",\"o\":{{\"k\":[1,null]}}}}\n",
                rng.next(100),
                rng.next(1000)
            ),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

#[test]
fn csv_blocks_decode_as_in_order() {
    for seed in [1, 2] {
        assert_same_in_parallel(&csv_input(seed, 120_000), Format::Csv, 1 << 20);
    }
}

#[test]
fn jsonl_blocks_decode_as_in_order() {
    for seed in [1, 2] {
        assert_same_in_parallel(&jsonl_input(seed, 60_000), Format::JsonLines, 1 << 20);
    }
}

#[test]
fn a_lone_carriage_return_falls_back_to_order() {
    let mut input = csv_input(3, 60_000);
    let middle = input.len() / 2;
    let at = middle + input[middle..].iter().position(|&b| b == b'\n').unwrap();
    input[at - 1] = b'x'; // "..\r\n" becomes "..x\n": still fine
    input.splice(at + 1..at + 1, b"9,lone,1\r10,cr,2\r\n".iter().copied());
    assert_same_in_parallel(&input, Format::Csv, 1 << 20);
}

#[test]
fn an_overlong_line_falls_back_to_order() {
    let mut input = jsonl_input(4, 30_000);
    let middle = input.len() / 3;
    let at = middle + input[middle..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut long = b"{\"long\":\"".to_vec();
    long.extend(std::iter::repeat_n(b'y', 3 << 20));
    long.extend_from_slice(b"\"}\n");
    input.splice(at..at, long);
    assert_same_in_parallel(&input, Format::JsonLines, 256 << 10);
}

#[test]
fn a_fatal_error_ends_both_the_same_way() {
    let mut input = csv_input(5, 60_000);
    input.extend_from_slice(b"1,\"never closed");
    input.extend(std::iter::repeat_n(b'z', 3 << 20));
    assert_same_in_parallel(&input, Format::Csv, 1 << 20);
}
