//! The reader's state, with no I/O: [`Probe`] reads an input's first bytes and finds its codec
//! and format; [`ReadState`] then decodes through whatever read call the adapter passes in
//! (blocking, tokio, futures-io).

use bytes::BytesMut;
use iterable_core::{DecodeDriver, Decoder, Error, ParsedBatch, Record, Result};
use iterable_formats::{Detection, MAX_HEAD, Prepared, ReadOptions, SNIFF_BYTES, prepare_input};
use std::task::{Context, Poll, ready};

/// The start of reading an input: its first bytes are read (up to [`SNIFF_BYTES`], more for
/// a codec that gives little at first) to find the codec (from the name, else the magic bytes)
/// and the format inside (from the options, the name, else the decompressed content); then
/// [`Probe::try_finish`] gives the reader's state, which loses none of those bytes.
///
/// [`Probe::blocking`] and [`Probe::reading`] do it all for a blocking and an async input.
pub struct Probe {
    options: ReadOptions,
    name: Option<String>,
    head: BytesMut,
    /// How much head is wanted now.
    want: usize,
    ended: bool,
}

impl Probe {
    /// Probing an input called `name` (a file name; `None` for a stream) with `options`.
    pub fn new(options: &ReadOptions, name: Option<&str>) -> Probe {
        Probe {
            options: options.clone(),
            name: name.map(str::to_owned),
            head: BytesMut::new(),
            want: SNIFF_BYTES,
            ended: false,
        }
    }

    /// Reads the head through a blocking `read`, until the head wanted is there or the input
    /// ends.
    pub fn read_head(
        &mut self,
        mut read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    ) -> std::io::Result<()> {
        loop {
            match self.poll_read_once(|buf| Poll::Ready(read(buf))) {
                Poll::Ready(Ok(true)) => return Ok(()),
                Poll::Ready(Ok(false)) => {}
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => unreachable!("a blocking read is never pending"),
            }
        }
    }

    /// Polls the head in through an async `poll_read`, until the head wanted is there or the
    /// input ends.
    pub fn poll_read_head(
        &mut self,
        cx: &mut Context<'_>,
        mut poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<std::io::Result<()>> {
        while !ready!(self.poll_read_once(|buf| poll_read(cx, buf)))? {}
        Poll::Ready(Ok(()))
    }

    /// One read into the head; true once it holds what is wanted, or the input ended.
    fn poll_read_once(
        &mut self,
        read: impl FnOnce(&mut [u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<std::io::Result<bool>> {
        if self.ended || self.head.len() >= self.want {
            return Poll::Ready(Ok(true));
        }
        let start = self.head.len();
        self.head.resize(self.want, 0);
        let polled = read(&mut self.head[start..]);
        let n = match &polled {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.head.truncate(start + n);
        match polled {
            Poll::Ready(Ok(n)) => self.ended = n == 0,
            Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
        Poll::Ready(Ok(self.ended || self.head.len() >= self.want))
    }

    /// Reads the head of a blocking `input` called `name` and probes it: the reader's state,
    /// whose errors name `location` and whose counts know the input's `size`.
    pub fn blocking(
        input: &mut impl std::io::Read,
        options: &ReadOptions,
        name: Option<&str>,
        location: Option<String>,
        size: Option<u64>,
    ) -> Result<Probed> {
        let locate = |e: Error| crate::locate(&location, e);
        let mut probe = Probe::new(options, name);
        loop {
            probe
                .read_head(|buf| input.read(buf))
                .map_err(|e| locate(Error::io(e)))?;
            if let Some(probed) = probe.try_finish().map_err(locate)? {
                return Ok(probed.at(location, size));
            }
        }
    }

    /// [`Probe::blocking`] for a futures-io `AsyncRead`.
    pub async fn reading(
        input: &mut (impl futures_io::AsyncRead + Unpin),
        options: &ReadOptions,
        name: Option<&str>,
        location: Option<String>,
        size: Option<u64>,
    ) -> Result<Probed> {
        let locate = |e: Error| crate::locate(&location, e);
        let mut probe = Probe::new(options, name);
        loop {
            std::future::poll_fn(|cx| {
                probe.poll_read_head(cx, |cx, buf| {
                    std::pin::Pin::new(&mut *input).poll_read(cx, buf)
                })
            })
            .await
            .map_err(|e| locate(Error::io(e)))?;
            if let Some(probed) = probe.try_finish().map_err(locate)? {
                return Ok(probed.at(location, size));
            }
        }
    }

    /// Finds the codec and the format ([`prepare_input`]) and gives what to read it with; or
    /// `None` when a codec gave too little of the head to tell: read more
    /// ([`Probe::read_head`]) and try again.
    pub fn try_finish(&mut self) -> Result<Option<Probed>> {
        let head = std::mem::take(&mut self.head);
        let prepared = match prepare_input(&self.options, self.name.as_deref(), head, self.ended)? {
            Prepared::Ready(prepared) => prepared,
            Prepared::NeedMore(head) => {
                self.head = head;
                self.want = (self.want * 2).min(MAX_HEAD);
                return Ok(None);
            }
        };
        let Some(decoder) = prepared.decoder else {
            return Ok(Some(Probed::Ranges(RangedProbe {
                as_is: prepared.decompression.is_none(),
                detection: prepared.detection,
                head: prepared.head,
                decompression: prepared.decompression,
                ended: self.ended,
                error: prepared.error,
                location: None,
                size: None,
                policy: self.options.error_policy,
            })));
        };
        let driver = driver(
            decoder,
            prepared.head,
            prepared.decompression,
            prepared.error,
            self.ended,
            self.options.error_policy,
        );
        Ok(Some(Probed::Stream(ReadState {
            driver,
            detection: prepared.detection,
            location: None,
            size: None,
            records: 0,
            errors: Vec::new(),
            schema_sent: false,
        })))
    }
}

/// The driver of `decoder` that starts with `head`, goes through `decompression`, and ends
/// with `error` when the head met one, or with the head when that was all of the input.
fn driver<D: Decoder>(
    decoder: D,
    head: BytesMut,
    decompression: Option<iterable_core::Decompression>,
    error: Option<Error>,
    ended: bool,
    policy: iterable_core::ErrorPolicy,
) -> DecodeDriver<D> {
    let mut driver = DecodeDriver::with_buffer(decoder, head, policy);
    if let Some(decompression) = decompression {
        driver = driver.with_decompression(decompression);
    }
    if let Some(error) = error {
        driver.end_with_error(error);
    } else if ended {
        driver.end_input();
    }
    driver
}

/// What probing an input found it is.
// Made once per input.
#[allow(clippy::large_enum_variant)]
pub enum Probed {
    /// A stream, decoded by this state.
    Stream(ReadState),
    /// A format read by ranges.
    Ranges(RangedProbe),
}

impl Probed {
    /// Names the input in errors, and gives its size when known.
    pub fn at(self, location: Option<String>, size: Option<u64>) -> Probed {
        match self {
            Probed::Stream(state) => Probed::Stream(state.at(location, size)),
            Probed::Ranges(probe) => Probed::Ranges(RangedProbe {
                location,
                size,
                ..probe
            }),
        }
    }

    /// The stream's state; an error for an input read by ranges (for callers that read
    /// streams only).
    pub fn stream(self) -> Result<ReadState> {
        match self {
            Probed::Stream(state) => Ok(state),
            Probed::Ranges(probe) => Err(crate::locate(
                &probe.location,
                Error::new(
                    iterable_core::ErrorKind::Unsupported,
                    format!(
                        "{} is read by ranges, not as a stream",
                        probe.detection.format
                    ),
                ),
            )),
        }
    }
}

/// An input in a format read by ranges, once probed: what it takes to read it.
pub struct RangedProbe {
    /// How the format was found.
    pub detection: Detection,
    /// The input's bytes are the format's as they are (no codec in between): it can be read
    /// by ranges where it is, when it can seek (a file, a remote object). Otherwise it is
    /// copied first ([`RangedProbe::spool`]).
    pub as_is: bool,
    head: BytesMut,
    decompression: Option<iterable_core::Decompression>,
    ended: bool,
    error: Option<Error>,
    location: Option<String>,
    size: Option<u64>,
    /// What a recoverable error of the decoder does.
    policy: iterable_core::ErrorPolicy,
}

impl RangedProbe {
    /// The input's location, as errors name it.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The input's size, when known.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The state for reading the input by ranges where it is (its size must be known).
    pub fn ranged(self) -> Result<crate::RangedState> {
        let Some(size) = self.size else {
            let error = Error::new(
                iterable_core::ErrorKind::Unsupported,
                format!(
                    "{} is read by ranges, and the input's size is not known",
                    self.detection.format
                ),
            );
            return Err(crate::locate(&self.location, error));
        };
        crate::RangedState::new(self.detection, size, self.location, self.policy)
    }

    /// A driver that gathers the rest of the input (through its codec) to be copied into a
    /// temporary file: read it to its end, writing out what the [`crate::Spool`] gathers at
    /// each record it gives, then read the copy by ranges ([`RangedProbe::from_copy`]).
    pub fn spool(&mut self) -> (DecodeDriver<crate::Spool>, crate::Spool) {
        let spool = crate::Spool::default();
        let driver = driver(
            spool.clone(),
            std::mem::take(&mut self.head),
            self.decompression.take(),
            self.error.take(),
            self.ended,
            iterable_core::ErrorPolicy::Fail,
        );
        (driver, spool)
    }

    /// The state for reading a copy of `size` bytes by ranges.
    pub fn from_copy(self, size: u64) -> Result<crate::RangedState> {
        crate::RangedState::new(self.detection, size, self.location, self.policy)
    }
}

/// What a reader has done so far, in one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadStats {
    /// Records returned so far.
    pub records_read: u64,
    /// Bytes read from the input so far (compressed bytes, for a compressed input). A reader
    /// that reads ahead counts up to a few batches of records past the ones returned.
    pub bytes_read: u64,
    /// The input's size in bytes, when known (a local file, a remote object whose server
    /// says it).
    pub size: Option<u64>,
    /// Bad records skipped under the `Skip` and `Collect` error policies.
    pub skipped: u64,
}

/// A reader's state: the decoding driver, how the format was found, counts, and the errors
/// collected under `ErrorPolicy::Collect`, all labelled with the location.
pub struct ReadState {
    driver: DecodeDriver<Box<dyn Decoder + Send>>,
    detection: Detection,
    location: Option<String>,
    size: Option<u64>,
    records: u64,
    errors: Vec<Error>,
    /// The decoder's schema has gone to the reader with a batch parsed ahead.
    schema_sent: bool,
}

impl ReadState {
    /// Names the input in errors, and gives its size when known.
    pub fn at(mut self, location: Option<String>, size: Option<u64>) -> ReadState {
        self.location = location;
        self.size = size;
        self
    }

    /// The next record, reading through a blocking `read`.
    pub fn read_record(
        &mut self,
        read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    ) -> Result<Option<Record>> {
        let result = self.driver.read_record(read);
        self.account(result)
    }

    /// Polls for the next record, reading through an async `poll_read`.
    pub fn poll_record(
        &mut self,
        cx: &mut Context<'_>,
        poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<Result<Option<Record>>> {
        let result = ready!(self.driver.poll_record(cx, poll_read));
        Poll::Ready(self.account(result))
    }

    fn account(&mut self, result: Result<Option<Record>>) -> Result<Option<Record>> {
        if !self.driver.errors().is_empty() {
            for error in self.driver.take_errors() {
                let error = self.locate(error);
                self.errors.push(error);
            }
        }
        match result {
            Ok(Some(record)) => {
                self.records += 1;
                Ok(Some(record))
            }
            Ok(None) => Ok(None),
            Err(error) => Err(self.locate(error)),
        }
    }

    /// How the codec and the format were found, and which (with the format's options in
    /// force: CSV's delimiter).
    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    /// What the reader has done so far.
    pub fn stats(&self) -> ReadStats {
        ReadStats {
            records_read: self.records,
            bytes_read: self.driver.bytes_in(),
            size: self.size,
            skipped: self.driver.skipped(),
        }
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// The records' schema, for a typed stream once its decoder has found it.
    pub fn schema(&self) -> Option<&iterable_core::Schema> {
        self.driver.decoder().schema()
    }

    /// Adds the location to an error.
    pub fn locate(&self, error: Error) -> Error {
        locate(&self.location, error)
    }

    /// The input's location, as errors name it.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Parses the next records into `batch` (emptied first), reading through a blocking
    /// `read`, for a reader that builds them on another thread; errors go into the batch in
    /// place of their records (without the location: [`ReadState::location`]). Returns the
    /// batch with this state's counts after it.
    pub fn parse_ahead(
        &mut self,
        read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
        mut batch: ParsedBatch,
    ) -> ParsedAhead {
        batch.clear();
        let ended = self
            .driver
            .read_into(read, &mut batch, AHEAD_RECORDS, AHEAD_BYTES);
        let collected = self
            .driver
            .take_errors()
            .into_iter()
            .map(|error| self.locate(error))
            .collect();
        let schema = match self.schema_sent {
            true => None,
            false => self.schema().cloned(),
        };
        self.schema_sent |= schema.is_some();
        ParsedAhead {
            batch,
            ended,
            schema,
            bytes_read: self.driver.bytes_in(),
            skipped: self.driver.skipped(),
            collected,
        }
    }
}

/// Records per batch parsed ahead: few enough that a batch stays in the caches of both threads.
const AHEAD_RECORDS: usize = 512;
/// Bytes per batch parsed ahead ([`ParsedBatch::size`]), for inputs of large records.
const AHEAD_BYTES: usize = 256 * 1024;

/// Records parsed ahead by [`ReadState::parse_ahead`], and the reader's counts after them.
#[derive(Debug, Default)]
pub struct ParsedAhead {
    /// The records (and errors), to build with [`ParsedBatch::next_record`].
    pub batch: ParsedBatch,
    /// The input is over: this is the last batch.
    pub ended: bool,
    /// Bytes read from the input so far.
    pub bytes_read: u64,
    /// Bad records skipped so far under the `Skip` and `Collect` error policies.
    pub skipped: u64,
    /// Errors of the records skipped under `Collect` while parsing this batch, located.
    pub collected: Vec<Error>,
    /// The records' schema, in the first batch parsed after the decoder found it (a typed
    /// stream's).
    pub schema: Option<iterable_core::Schema>,
}

/// `error` naming `location`, when there is one.
pub fn locate(location: &Option<String>, error: Error) -> Error {
    match location {
        Some(location) => error.with_location(location.clone()),
        None => error,
    }
}
