//! `EncodeBuffer`: an encoder and the bytes it produced that are not written yet; what every
//! adapter's writer drives.

use crate::{Codec, Encoder, Record, Result};
use bytes::{Buf, BytesMut};

/// Encoded bytes are handed to the output once about this many have gathered.
pub const WRITE_CHUNK: usize = 128 * 1024;

/// An [`Encoder`] with its output buffer.
///
/// Adapters encode records into it ([`EncodeBuffer::encode`]), write out
/// [`EncodeBuffer::pending`] once [`EncodeBuffer::is_full`] says so, and mark what they wrote
/// with [`EncodeBuffer::consume`].
///
/// ```
/// use iterable_core::{EncodeBuffer, Encoder, Record, Result};
/// use bytes::{BufMut, BytesMut};
///
/// struct Names;
/// impl Encoder for Names {
///     fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
///         dst.put_slice(record.names().collect::<Vec<_>>().join(",").as_bytes());
///         dst.put_u8(b'\n');
///         Ok(())
///     }
///     fn finish(&mut self, _dst: &mut BytesMut) -> Result<()> { Ok(()) }
/// }
///
/// let mut out = EncodeBuffer::new(Names);
/// out.encode(&[("a", 1), ("b", 2)].into_iter().collect())?;
/// assert_eq!(out.pending(), b"a,b\n");
/// out.consume(4);
/// assert!(out.pending().is_empty());
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct EncodeBuffer<E> {
    encoder: E,
    buf: BytesMut,
    records: u64,
    finished: bool,
    /// A compressing codec and its output, when the output is compressed.
    compression: Option<(Box<dyn Codec>, BytesMut)>,
}

impl<E: Encoder> EncodeBuffer<E> {
    /// An empty buffer behind `encoder`.
    pub fn new(encoder: E) -> Self {
        EncodeBuffer {
            encoder,
            buf: BytesMut::with_capacity(WRITE_CHUNK + 4096),
            records: 0,
            finished: false,
            compression: None,
        }
    }

    /// Compresses the encoded bytes with `codec`: [`EncodeBuffer::pending`] then holds
    /// compressed bytes.
    pub fn with_compression(mut self, codec: Box<dyn Codec>) -> Self {
        self.compression = Some((codec, BytesMut::with_capacity(WRITE_CHUNK + 4096)));
        self
    }

    /// Compresses all encoded bytes, if compressing.
    fn compress(&mut self) -> Result<()> {
        if let Some((codec, compressed)) = &mut self.compression {
            while !self.buf.is_empty() {
                let consumed = codec.process(&self.buf, compressed)?;
                self.buf.advance(consumed);
            }
        }
        Ok(())
    }

    /// Encodes one record. On error nothing of it is kept.
    pub fn encode(&mut self, record: &Record) -> Result<()> {
        let start = self.buf.len();
        if let Err(error) = self.encoder.encode(record, &mut self.buf) {
            self.buf.truncate(start);
            return Err(error);
        }
        self.records += 1;
        if self.compression.is_some() && self.buf.len() >= WRITE_CHUNK {
            self.compress()?;
        }
        Ok(())
    }

    /// Appends whatever ends the output; later calls do nothing.
    pub fn finish(&mut self) -> Result<()> {
        if !self.finished {
            self.finished = true;
            self.encoder.finish(&mut self.buf)?;
            self.compress()?;
            if let Some((codec, compressed)) = &mut self.compression {
                codec.finish(compressed)?;
            }
        }
        Ok(())
    }

    /// True once enough bytes gathered to be worth a write.
    pub fn is_full(&self) -> bool {
        self.pending().len() >= WRITE_CHUNK
    }

    /// The bytes not written yet (compressed, when compressing).
    pub fn pending(&self) -> &[u8] {
        match &self.compression {
            Some((_, compressed)) => compressed,
            None => &self.buf,
        }
    }

    /// Marks the first `n` pending bytes as written.
    pub fn consume(&mut self, n: usize) {
        let pending = match &mut self.compression {
            Some((_, compressed)) => compressed,
            None => &mut self.buf,
        };
        pending.advance(n.min(pending.len()));
    }

    /// Records encoded so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The encoder.
    pub fn encoder(&self) -> &E {
        &self.encoder
    }

    /// Tells the encoder the schema of the records to come ([`Encoder::set_schema`]).
    pub fn set_schema(&mut self, schema: &crate::Schema) -> Result<()> {
        self.encoder.set_schema(schema)
    }

    /// Gives the encoder the output as it is now ([`Encoder::amend`]).
    pub fn amend(&mut self, existing: bytes::Bytes) -> Result<()> {
        self.encoder.amend(existing)
    }

    /// True when the output is compressed.
    pub fn is_compressed(&self) -> bool {
        self.compression.is_some()
    }
}
