//! `DecodeDriver`: a decoder, its input buffer, decompression and an error policy; what every
//! adapter drives.

use crate::{Decoder, Decompression, Error, ParsedBatch, Position, Record, Result};
use bytes::{Bytes, BytesMut};
use std::task::{Context, Poll};

/// Bytes asked of the input per read: large, so that a runtime's per-read cost vanishes, and
/// below the 256 KiB at which unaligned reads got slow on the machines measured.
pub const READ_SIZE: usize = 128 * 1024;

/// What a reader does with a recoverable error (a bad row or line it could skip).
///
/// Fatal errors (a broken input stream, a limit hit inside an unterminated quote) end reading
/// under every policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorPolicy {
    /// Return the error to the caller (the default). The caller may go on reading after a
    /// recoverable one.
    #[default]
    Fail,
    /// Skip the bad record silently; [`DecodeDriver::skipped`] counts them.
    Skip,
    /// Skip the bad record and keep its error, with its position, for [`DecodeDriver::errors`].
    Collect,
}

/// What [`DecodeDriver::step`] produced.
#[derive(Debug)]
pub enum Step<T = Record> {
    /// The next record.
    Record(T),
    /// More input is needed: push bytes or call [`DecodeDriver::end_input`].
    NeedInput,
    /// The input is over and every record has been returned.
    End,
}

/// Drives a [`Decoder`] over input pushed in chunks, applying an [`ErrorPolicy`].
///
/// Adapters own the I/O: they append what they read ([`DecodeDriver::push`], or directly into
/// [`DecodeDriver::buffer_mut`]), call [`DecodeDriver::end_input`] at the end, and call
/// [`DecodeDriver::step`] for records.
///
/// ```
/// use iterable_core::{DecodeDriver, Decoder, ErrorPolicy, Record, Result, Step};
/// use bytes::{Buf, BytesMut};
///
/// /// One record per byte, for the example.
/// struct Bytewise;
/// impl Decoder for Bytewise {
///     fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
///         if buf.is_empty() { return Ok(None) }
///         let b = buf.get_u8();
///         Ok(Some([("byte", i64::from(b))].into_iter().collect()))
///     }
///     fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> { self.decode(buf) }
/// }
///
/// let mut input = DecodeDriver::new(Bytewise, ErrorPolicy::Fail);
/// input.push(b"ab");
/// input.end_input();
/// let mut n = 0;
/// while let Step::Record(_) = input.step()? { n += 1 }
/// assert_eq!(n, 2);
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct DecodeDriver<D> {
    decoder: D,
    buf: BytesMut,
    input_ended: bool,
    finished: bool,
    policy: ErrorPolicy,
    errors: Vec<Error>,
    skipped: u64,
    bytes_in: u64,
    /// The codec input goes through before the decoder sees it, if compressed.
    decompression: Option<Decompression>,
    /// A codec error met while taking input, returned by the next step.
    input_error: Option<Error>,
}

impl<D: Decoder> DecodeDriver<D> {
    /// An empty buffer in front of `decoder`.
    pub fn new(decoder: D, policy: ErrorPolicy) -> Self {
        Self::with_buffer(decoder, BytesMut::new(), policy)
    }

    /// A buffer that starts with `buf`: bytes already read, for example while detecting the
    /// format, so that none are lost.
    pub fn with_buffer(decoder: D, buf: BytesMut, policy: ErrorPolicy) -> Self {
        let bytes_in = buf.len() as u64;
        DecodeDriver {
            decoder,
            buf,
            input_ended: false,
            finished: false,
            policy,
            errors: Vec::new(),
            skipped: 0,
            bytes_in,
            decompression: None,
            input_error: None,
        }
    }

    /// Input goes through `decompression` first; the buffer holds decompressed bytes (such as
    /// a head already decompressed through it), and [`DecodeDriver::bytes_in`] counts
    /// compressed ones.
    pub fn with_decompression(mut self, decompression: Decompression) -> Self {
        self.decompression = Some(decompression);
        self
    }

    /// Runs the codec over what it has; a codec error ends the input.
    fn decompress(&mut self, at_end: bool) {
        if let Some(decompression) = &mut self.decompression {
            let done = if at_end {
                decompression.finish(&mut self.buf)
            } else {
                decompression.run(&mut self.buf)
            };
            if let Err(error) = done {
                self.input_error = Some(error);
                self.input_ended = true;
            }
        }
    }

    /// Appends input.
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes_in += chunk.len() as u64;
        match &mut self.decompression {
            Some(decompression) => {
                decompression.push(chunk);
                self.decompress(false);
            }
            None => self.buf.extend_from_slice(chunk),
        }
    }

    /// Appends input given as `Bytes`, without a copy when nothing is buffered and the chunk
    /// is not shared.
    pub fn push_bytes(&mut self, chunk: Bytes) {
        if self.decompression.is_some() {
            return self.push(&chunk);
        }
        self.bytes_in += chunk.len() as u64;
        if self.buf.is_empty() {
            match chunk.try_into_mut() {
                Ok(owned) => self.buf = owned,
                Err(shared) => self.buf.extend_from_slice(&shared),
            }
        } else {
            self.buf.extend_from_slice(&chunk);
        }
    }

    /// The input buffer, for adapters that read straight into it. Bytes appended here must be
    /// reported with [`DecodeDriver::count_input`].
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Counts `n` bytes appended through [`DecodeDriver::buffer_mut`].
    pub fn count_input(&mut self, n: usize) {
        self.bytes_in += n as u64;
    }

    /// The input is over; the decoder will be asked for its last records.
    pub fn end_input(&mut self) {
        if self.input_ended {
            return;
        }
        self.input_ended = true;
        self.decompress(true);
    }

    /// The input is over, and fails with `error` once what is buffered is decoded: the records
    /// before the error come first (a codec error met while the input was probed, say).
    pub fn end_with_error(&mut self, error: Error) {
        self.input_error = Some(error);
        self.input_ended = true;
    }

    /// Stops for good after a fatal error outside the decoder (a failed read): later steps
    /// return [`Step::End`]. Returns the error with the input offset reached so far.
    pub fn fail(&mut self, error: Error) -> Error {
        self.finished = true;
        if error.position().is_unknown() {
            error.at(Position {
                byte: Some(self.bytes_in),
                ..Position::default()
            })
        } else {
            error
        }
    }

    /// True once [`DecodeDriver::end_input`] was called.
    pub fn input_ended(&self) -> bool {
        self.input_ended
    }

    /// Bytes of input received so far (compressed bytes, when decompressing).
    pub fn bytes_in(&self) -> u64 {
        match &self.decompression {
            Some(decompression) => decompression.bytes_in(),
            None => self.bytes_in,
        }
    }

    /// Recoverable errors skipped under [`ErrorPolicy::Skip`] or [`ErrorPolicy::Collect`].
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Errors kept under [`ErrorPolicy::Collect`].
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// Takes the errors kept under [`ErrorPolicy::Collect`].
    pub fn take_errors(&mut self) -> Vec<Error> {
        std::mem::take(&mut self.errors)
    }

    /// The decoder.
    pub fn decoder(&self) -> &D {
        &self.decoder
    }

    /// Reads through `read` (a blocking `std::io::Read::read`, say) until the next record or
    /// the end.
    pub fn read_record(
        &mut self,
        mut read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    ) -> Result<Option<Record>> {
        loop {
            match self.step()? {
                Step::Record(record) => return Ok(Some(record)),
                Step::End => return Ok(None),
                Step::NeedInput => match self.fill(&mut read) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(error)) => return Err(error),
                    Poll::Pending => unreachable!("a blocking read is never pending"),
                },
            }
        }
    }

    /// Polls for the next record, reading through `poll_read` (an `AsyncRead`'s) when input is
    /// needed: the loop of every async adapter, on any runtime. It returns `Pending` only when
    /// the input is pending: a caller that must share its thread yields now and then
    /// ([`crate::YieldBudget`]).
    pub fn poll_record(
        &mut self,
        cx: &mut Context<'_>,
        mut poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<Result<Option<Record>>> {
        loop {
            match self.step() {
                Ok(Step::Record(record)) => return Poll::Ready(Ok(Some(record))),
                Ok(Step::End) => return Poll::Ready(Ok(None)),
                Err(error) => return Poll::Ready(Err(error)),
                Ok(Step::NeedInput) => match self.fill(|buf| poll_read(cx, buf)) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }

    /// One read of up to [`READ_SIZE`] bytes into the buffer; the end of input at 0 bytes.
    fn fill<P: Into<Poll<std::io::Result<usize>>>>(
        &mut self,
        mut read: impl FnMut(&mut [u8]) -> P,
    ) -> Poll<Result<()>> {
        let target = match &mut self.decompression {
            Some(decompression) => decompression.raw_mut(),
            None => &mut self.buf,
        };
        let start = target.len();
        target.resize(start + READ_SIZE, 0);
        let outcome = loop {
            match read(&mut target[start..]).into() {
                Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let n = match &outcome {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        target.truncate(start + n);
        match outcome {
            Poll::Ready(Ok(0)) => self.end_input(),
            Poll::Ready(Ok(n)) => {
                self.bytes_in += n as u64;
                if let Some(decompression) = &mut self.decompression {
                    decompression.count_input(n);
                    self.decompress(false);
                }
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(self.fail(Error::io(e)))),
            Poll::Pending => return Poll::Pending,
        }
        Poll::Ready(Ok(()))
    }

    /// Decodes the next record, or says that input is needed or over.
    pub fn step(&mut self) -> Result<Step> {
        self.step_with(|decoder, buf, eof| {
            if eof {
                decoder.decode_eof(buf)
            } else {
                decoder.decode(buf)
            }
        })
    }

    /// Reads through a blocking `read` and parses records into `batch`
    /// ([`Decoder::decode_into`]) until it holds `records` of them or `bytes` bytes
    /// ([`ParsedBatch::size`]), or the input is over; errors, under the error policy as for
    /// [`DecodeDriver::step`], go into the batch in place of their records. Returns true once
    /// the input is over.
    ///
    /// A batch that holds anything is returned before another read, which may block: the
    /// records of a slow stream are not held back waiting for more.
    pub fn read_into(
        &mut self,
        mut read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
        batch: &mut ParsedBatch,
        records: usize,
        bytes: usize,
    ) -> bool {
        while batch.records() < records.max(1) && batch.size() < bytes.max(1) {
            let step = self.step_with(|decoder, buf, eof| {
                Ok(decoder.decode_into(buf, eof, batch)?.then_some(()))
            });
            match step {
                Ok(Step::Record(())) => {}
                Ok(Step::End) => return true,
                Err(error) => batch.push_error(error),
                Ok(Step::NeedInput) if !batch.is_empty() => return false,
                Ok(Step::NeedInput) => match self.fill(&mut read) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(error)) => batch.push_error(error),
                    Poll::Pending => unreachable!("a blocking read is never pending"),
                },
            }
        }
        false
    }

    /// One step of decoding through `decode(decoder, buffer, input is over)`.
    fn step_with<T>(
        &mut self,
        mut decode: impl FnMut(&mut D, &mut BytesMut, bool) -> Result<Option<T>>,
    ) -> Result<Step<T>> {
        while !self.finished {
            // After a codec error, the records already decompressed come first, then the error.
            let eof = self.input_ended && self.input_error.is_none();
            let decoded = decode(&mut self.decoder, &mut self.buf, eof);
            match decoded {
                Ok(Some(record)) => return Ok(Step::Record(record)),
                Ok(None) if self.input_error.is_some() => {
                    self.finished = true;
                    if let Some(error) = self.input_error.take() {
                        return Err(error);
                    }
                }
                Ok(None) if self.input_ended => self.finished = true,
                Ok(None) => return Ok(Step::NeedInput),
                Err(error) if error.is_recoverable() => match self.policy {
                    ErrorPolicy::Fail => return Err(error),
                    ErrorPolicy::Skip => self.skipped += 1,
                    ErrorPolicy::Collect => {
                        self.skipped += 1;
                        self.errors.push(error);
                    }
                },
                Err(error) => {
                    self.finished = true;
                    return Err(error);
                }
            }
        }
        Ok(Step::End)
    }
}
