//! `Decompression`: a codec between the bytes read and the decoder, with the limits that turn
//! a decompression bomb into an error.

use crate::{Codec, Error, ErrorKind, Position, Result};
use bytes::{Buf, BytesMut};

/// Limits on what a decompressor may produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressionLimits {
    /// The most bytes of output, in all.
    pub max_size: u64,
    /// The most bytes of output per byte of input, once the output passes 1 MiB.
    pub max_ratio: u64,
}

impl Default for DecompressionLimits {
    /// 1 TiB and 10,000 to 1: far beyond real data (text rarely compresses past 100 to 1), far
    /// below what a bomb produces before it fills a disk or memory.
    fn default() -> Self {
        DecompressionLimits {
            max_size: 1 << 40,
            max_ratio: 10_000,
        }
    }
}

/// Output below which the ratio limit does not apply.
const RATIO_FLOOR: u64 = 1 << 20;

/// A decompressing codec and the compressed bytes it has not consumed yet, under
/// [`DecompressionLimits`].
///
/// The codec is boxed by default; a caller that needs the codec's own methods (an archive's
/// member names) keeps its concrete type, `Decompression<ZipDecompressor>` say.
pub struct Decompression<C = Box<dyn Codec>> {
    codec: C,
    name: &'static str,
    raw: BytesMut,
    /// Compressed bytes received.
    raw_in: u64,
    /// Decompressed bytes produced.
    produced: u64,
    limits: DecompressionLimits,
}

impl<C: Codec> Decompression<C> {
    /// `codec` (called `name` in errors) under `limits`.
    pub fn new(codec: C, name: &'static str, limits: DecompressionLimits) -> Self {
        Decompression {
            codec,
            name,
            raw: BytesMut::new(),
            raw_in: 0,
            produced: 0,
            limits,
        }
    }

    /// Compressed bytes received so far.
    pub fn bytes_in(&self) -> u64 {
        self.raw_in
    }

    /// The buffer compressed input is read into; report what was added with
    /// [`Decompression::count_input`].
    pub fn raw_mut(&mut self) -> &mut BytesMut {
        &mut self.raw
    }

    /// Counts `n` compressed bytes appended to [`Decompression::raw_mut`].
    pub fn count_input(&mut self, n: usize) {
        self.raw_in += n as u64;
    }

    /// Appends compressed input.
    pub fn push(&mut self, chunk: &[u8]) {
        self.raw.extend_from_slice(chunk);
        self.raw_in += chunk.len() as u64;
    }

    /// The codec, for its own methods.
    pub fn codec_mut(&mut self) -> &mut C {
        &mut self.codec
    }

    /// Decompresses what it can into `output`: until the codec neither consumes nor produces
    /// anything.
    pub fn run(&mut self, output: &mut BytesMut) -> Result<()> {
        loop {
            let before = output.len();
            let consumed = self.codec.process(&self.raw, output)?;
            self.raw.advance(consumed);
            let produced = output.len() - before;
            self.account(produced)?;
            if consumed == 0 && produced == 0 {
                return Ok(());
            }
        }
    }

    /// The compressed input is over: decompresses the rest, failing on a truncated stream.
    pub fn finish(&mut self, output: &mut BytesMut) -> Result<()> {
        self.run(output)?;
        let before = output.len();
        self.codec.finish(output)?;
        self.account(output.len() - before)
    }

    fn account(&mut self, produced: usize) -> Result<()> {
        self.produced += produced as u64;
        let too_much = self.produced > self.limits.max_size;
        let too_dense = self.produced > RATIO_FLOOR
            && self.produced / self.raw_in.max(1) > self.limits.max_ratio;
        if too_much || too_dense {
            let limit = if too_much {
                format!("the limit of {} bytes", self.limits.max_size)
            } else {
                format!("the ratio limit of {} to 1", self.limits.max_ratio)
            };
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "{} bytes decompressed from {} exceed {limit} (a decompression bomb?)",
                    self.produced, self.raw_in
                ),
            )
            .with_format(self.name)
            .at(Position {
                byte: Some(self.raw_in - self.raw.len() as u64),
                ..Position::default()
            }));
        }
        Ok(())
    }
}
