//! JSON Lines (also called NDJSON): one JSON object per line, on simd-json.
//!
//! [`JsonLinesDecoder`] parses each line in place in the input buffer with simd-json's tape
//! (no copy of the line, one reused set of parse buffers) and builds the record once, keeping
//! the keys' order. Blank lines are skipped. Integers keep their exact value: those that fit
//! in `i64` become [`iterable_core::Value::Int`], larger ones up to 128 bits
//! [`iterable_core::Value::BigInt`] (their decimal digits), which the encoder writes back
//! unchanged; an integer beyond 128 bits is reported as an invalid number on its line.

mod decode;
mod encode;

pub use decode::JsonLinesDecoder;
pub use encode::JsonLinesEncoder;

/// The format's name in errors and options.
pub const FORMAT: &str = "jsonl";
