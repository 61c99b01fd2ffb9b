//! `JsonLinesEncoder`: one JSON object per line.

use crate::json_text;
use bytes::{BufMut, BytesMut};
use iterable_core::{Encoder, Record, Result};

/// Encodes each record as a JSON object followed by `\n`.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::jsonl::JsonLinesEncoder;
///
/// let r: Record = [("id", Value::Int(1)), ("tags", Value::Array(vec!["a".into()]))].into_iter().collect();
/// let mut out = BytesMut::new();
/// JsonLinesEncoder::new().encode(&r, &mut out)?;
/// assert_eq!(&out[..], b"{\"id\":1,\"tags\":[\"a\"]}\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct JsonLinesEncoder {}

impl JsonLinesEncoder {
    /// A new encoder.
    pub fn new() -> JsonLinesEncoder {
        JsonLinesEncoder {}
    }
}

impl Encoder for JsonLinesEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        let start = out.len();
        if let Err(error) = json_text::write_record(record, out) {
            out.truncate(start);
            return Err(error.with_format(super::FORMAT));
        }
        out.put_u8(b'\n');
        Ok(())
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}
