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

use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use iterable_core::{Capabilities, Decoder, Encoder, FormatInfo, Result};

/// JSON Lines in the format registry.
pub struct JsonLinesFormat;

/// The registry's JSON Lines.
pub static JSONL: JsonLinesFormat = JsonLinesFormat;

static INFO: FormatInfo = FormatInfo {
    name: "jsonl",
    aliases: &["ndjson", "jsonlines"],
    extensions: &["jsonl", "ndjson", "jsonlines"],
    mime_types: &[
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
    ],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "JSON Lines (NDJSON): one JSON object per line",
};

impl FormatSpec for JsonLinesFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// A first object that ends on its first line, followed by the end or another object: 90.
    /// An object that spans lines is a JSON document, not JSON Lines.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let head = head.strip_prefix(crate::csv::BOM).unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
        if head[start] != b'{' {
            return None;
        }
        let Some(end) = crate::json_text::value_end(&head[start..]).map(|end| start + end) else {
            // The first line runs past the head: a long object, or a document.
            let newline = memchr::memchr(b'\n', &head[start..]);
            return (newline.is_none() && !complete).then(|| Sniffed::with(30));
        };
        if memchr::memchr(b'\n', &head[start..end]).is_some() {
            return None;
        }
        let rest = &head[end..];
        let line_end = rest.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r'));
        match line_end.map(|i| rest[i]) {
            None | Some(b'\n') => {}
            Some(_) => return None,
        }
        let next = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|i| rest[i]);
        match next {
            Some(b'{') => Some(Sniffed::with(90)),
            None => Some(Sniffed::with(if complete { 90 } else { 60 })),
            Some(_) => None,
        }
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(JsonLinesDecoder::new(max_record_size)))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(JsonLinesEncoder::new()))
    }
}

/// The format's name in errors and options.
pub const FORMAT: &str = "jsonl";
