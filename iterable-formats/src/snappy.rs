//! The snappy framing format (`.sz`), both ways, on snap's raw blocks and crc32c checksums:
//! a stream identifier, then chunks of at most 64 KiB of data, each with a masked CRC-32C.

use bytes::{BufMut, BytesMut};
use iterable_core::{Codec, Error, Position, Result};

const NAME: &str = "snappy";
/// The stream identifier chunk every framed stream starts with.
pub(crate) const STREAM_IDENTIFIER: &[u8] = b"\xff\x06\x00\x00sNaPpY";
/// Uncompressed bytes per chunk, at most.
const BLOCK: usize = 65536;

fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Reads framed snappy.
pub(crate) struct SnappyDecompressor {
    raw: snap::raw::Decoder,
    identified: bool,
    /// A chunk was left incomplete by the last call.
    partial: bool,
    consumed: u64,
}

impl SnappyDecompressor {
    pub(crate) fn new() -> Self {
        SnappyDecompressor {
            raw: snap::raw::Decoder::new(),
            identified: false,
            partial: false,
            consumed: 0,
        }
    }

    fn error(&self, at: usize, message: impl Into<String>) -> Error {
        Error::parse(NAME, message).at(Position {
            byte: Some(self.consumed + at as u64),
            ..Position::default()
        })
    }

    /// Appends the data of one checksummed chunk after checking it.
    fn data(
        &mut self,
        at: usize,
        body: &[u8],
        compressed: bool,
        output: &mut BytesMut,
    ) -> Result<()> {
        let (crc, data) = body
            .split_at_checked(4)
            .ok_or_else(|| self.error(at, "a data chunk shorter than its checksum"))?;
        let start = output.len();
        if compressed {
            let len = snap::raw::decompress_len(data)
                .map_err(|e| self.error(at, format!("corrupt snappy stream: {e}")))?;
            if len > BLOCK {
                return Err(self.error(at, "a chunk decompresses past 64 KiB"));
            }
            output.resize(start + len, 0);
            if let Err(e) = self.raw.decompress(data, &mut output[start..]) {
                // Nothing of a chunk that fails reaches the decoder.
                output.truncate(start);
                return Err(self.error(at, format!("corrupt snappy stream: {e}")));
            }
        } else {
            output.put_slice(data);
        }
        let expected = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if masked_crc(&output[start..]) != expected {
            output.truncate(start);
            return Err(self.error(at, "corrupt snappy stream: checksum mismatch"));
        }
        Ok(())
    }
}

impl Codec for SnappyDecompressor {
    fn process(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize> {
        let mut at = 0;
        while let Some(header) = input.get(at..at + 4) {
            let len =
                usize::from(header[1]) | usize::from(header[2]) << 8 | usize::from(header[3]) << 16;
            let Some(body) = input.get(at + 4..at + 4 + len) else {
                break;
            };
            match header[0] {
                0xff if body == b"sNaPpY" => self.identified = true,
                0xff => return Err(self.error(at, "not a snappy stream")),
                _ if !self.identified => {
                    return Err(self.error(at, "not a snappy stream (no stream identifier)"));
                }
                0x00 => self.data(at, body, true, output)?,
                0x01 => self.data(at, body, false, output)?,
                0x02..=0x7f => {
                    return Err(self.error(at, format!("reserved chunk type {:#04x}", header[0])));
                }
                // skippable chunks and padding
                _ => {}
            }
            at += 4 + len;
            if output.len() > BLOCK * 4 {
                break;
            }
        }
        self.partial = at < input.len();
        self.consumed += at as u64;
        Ok(at)
    }

    fn finish(&mut self, _output: &mut BytesMut) -> Result<()> {
        if self.partial || !self.identified {
            let what = if self.identified {
                "cut short"
            } else {
                "empty"
            };
            return Err(self.error(0, format!("the snappy stream is {what} (truncated input?)")));
        }
        Ok(())
    }
}

/// Writes framed snappy.
pub(crate) struct SnappyCompressor {
    raw: snap::raw::Encoder,
    started: bool,
    /// Input not yet a whole block.
    pending: Vec<u8>,
}

impl SnappyCompressor {
    pub(crate) fn new() -> Self {
        SnappyCompressor {
            raw: snap::raw::Encoder::new(),
            started: false,
            pending: Vec::with_capacity(BLOCK),
        }
    }

    fn chunk(&mut self, data: &[u8], output: &mut BytesMut) -> Result<()> {
        if !self.started {
            output.put_slice(STREAM_IDENTIFIER);
            self.started = true;
        }
        let crc = masked_crc(data);
        let compressed = self.raw.compress_vec(data).map_err(|e| {
            Error::new(iterable_core::ErrorKind::Io, e.to_string()).with_format(NAME)
        })?;
        // Data that does not shrink is stored as it is.
        let (kind, body) = if compressed.len() < data.len() {
            (0x00, &compressed[..])
        } else {
            (0x01, data)
        };
        let len = body.len() + 4;
        output.put_slice(&[kind, len as u8, (len >> 8) as u8, (len >> 16) as u8]);
        output.put_u32_le(crc);
        output.put_slice(body);
        Ok(())
    }
}

impl Codec for SnappyCompressor {
    fn process(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize> {
        let take = input.len().min(BLOCK - self.pending.len());
        self.pending.extend_from_slice(&input[..take]);
        if self.pending.len() == BLOCK {
            let block = std::mem::take(&mut self.pending);
            self.chunk(&block, output)?;
            self.pending = block;
            self.pending.clear();
        }
        Ok(take)
    }

    fn finish(&mut self, output: &mut BytesMut) -> Result<()> {
        let block = std::mem::take(&mut self.pending);
        if !block.is_empty() || !self.started {
            self.chunk(&block, output)?;
        }
        Ok(())
    }
}
