//! Reading formats by ranges (Parquet): where the ranges come from ([`RangeSource`]), the
//! reader's state over a [`RangeDecoder`] ([`RangedState`]), and [`Spool`], the copy made of an
//! input that cannot be read by ranges as it is (stdin, a compressed file, a remote body
//! that arrives compressed).

use bytes::{Bytes, BytesMut};
use futures_util::future::BoxFuture;
use iterable_core::{
    Decoder, Error, ErrorKind, ErrorPolicy, RangeDecoder, RangeStep, Record, Result, Schema,
};
use iterable_formats::Detection;
use iterable_sources::Location;
use std::io::Write;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use crate::ReadStats;

/// Where a reader by ranges gets its bytes.
#[derive(Debug, Clone)]
pub enum RangeSource {
    /// A local file (or the copy of an input), by positioned reads.
    File(Arc<std::fs::File>),
    /// A remote object, by `Range` requests pinned to the version it had when it was opened.
    Remote {
        /// The object.
        location: Location,
        /// Its version (`ETag`), when the server gave one.
        etag: Option<String>,
    },
}

impl RangeSource {
    /// The bytes of `ranges` of a file, by positioned reads (blocking).
    pub fn read_file(file: &std::fs::File, ranges: &[Range<u64>]) -> std::io::Result<Vec<Bytes>> {
        ranges
            .iter()
            .map(|range| {
                let mut bytes = BytesMut::zeroed((range.end - range.start) as usize);
                read_exact_at(file, &mut bytes, range.start)?;
                Ok(bytes.freeze())
            })
            .collect()
    }
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// What a [`RangedState`] wants next, or gives.
#[derive(Debug)]
pub enum RangedNext {
    /// A record.
    Record(Record),
    /// These ranges first ([`RangedState::push`] them).
    Need(Vec<Range<u64>>),
    /// Every record has been given.
    End,
}

/// A reader's state for a format read by ranges: the decoder, how the format was found, the
/// counts; errors name the location.
pub struct RangedState {
    decoder: Box<dyn RangeDecoder>,
    detection: Detection,
    location: Option<String>,
    size: u64,
    records: u64,
    bytes_read: u64,
    ended: bool,
    /// The ranges pushed last: asked for again at once, the decoder makes no progress.
    pushed: Vec<Range<u64>>,
    /// Records the decoder has given and the reader not yet taken.
    ready: std::collections::VecDeque<Record>,
    /// An error that came with records before it: given once they are taken.
    failed: Option<Error>,
    /// What a recoverable error (a workbook's error cell) does: end the reading (`Fail`, as
    /// every other error does), or be skipped (`Skip`), or skipped and kept (`Collect`).
    policy: ErrorPolicy,
    skipped: u64,
    errors: Vec<Error>,
}

/// Records taken from the decoder at a time: a few, so that a record is not moved out of a
/// call just made (which costs more than the call), nor so many that their allocations
/// outrun the allocator's per-thread cache.
const READY_RECORDS: usize = 4;

impl RangedState {
    /// The state for an input of `size` bytes in the format `detection` found, whose errors
    /// name `location`; `policy` says what a recoverable error does.
    pub fn new(
        detection: Detection,
        size: u64,
        location: Option<String>,
        policy: ErrorPolicy,
    ) -> Result<RangedState> {
        let decoder = detection
            .format
            .ranged_decoder(&detection.options, size)
            .map_err(|e| crate::locate(&location, e))?;
        Ok(RangedState {
            decoder,
            detection,
            location,
            size,
            records: 0,
            bytes_read: 0,
            ended: false,
            pushed: Vec::new(),
            ready: std::collections::VecDeque::with_capacity(READY_RECORDS),
            failed: None,
            policy,
            skipped: 0,
            errors: Vec::new(),
        })
    }

    /// The next record, or the ranges needed first. After an error, nothing more (a file
    /// read by ranges has no next record to go on with), but for a recoverable one, which
    /// the policy skips or gives.
    #[inline]
    pub fn step(&mut self) -> Result<RangedNext> {
        loop {
            match self.step_once() {
                Err(error) if error.is_recoverable() && self.policy != ErrorPolicy::Fail => {
                    self.skipped += 1;
                    if self.policy == ErrorPolicy::Collect {
                        self.errors.push(error);
                    }
                }
                next => return next,
            }
        }
    }

    #[inline]
    fn step_once(&mut self) -> Result<RangedNext> {
        if let Some(record) = self.ready.pop_front() {
            self.records += 1;
            return Ok(RangedNext::Record(record));
        }
        if let Some(error) = self.failed.take() {
            return self.not_a_record(Err(error));
        }
        if self.ended {
            return Ok(RangedNext::End);
        }
        match self.decoder.step_into(&mut self.ready, READY_RECORDS) {
            Ok(None) => match self.ready.pop_front() {
                Some(record) => {
                    self.records += 1;
                    Ok(RangedNext::Record(record))
                }
                // `None` promises a record: asked again, it would loop.
                None => self.not_a_record(Ok(RangeStep::Need(Vec::new()))),
            },
            Ok(Some(step)) => self.not_a_record(Ok(step)),
            // The records that came before the error go first.
            Err(error) if !self.ready.is_empty() => {
                self.failed = Some(error);
                self.step_once()
            }
            Err(error) => self.not_a_record(Err(error)),
        }
    }

    /// [`RangedState::step`] for a step that gives no record.
    #[cold]
    fn not_a_record(&mut self, step: Result<RangeStep>) -> Result<RangedNext> {
        match step {
            Ok(RangeStep::Record(record)) => {
                self.records += 1;
                Ok(RangedNext::Record(record))
            }
            Ok(RangeStep::Need(ranges)) => {
                if ranges.is_empty() || ranges == self.pushed {
                    self.ended = true;
                    let error = Error::parse(
                        self.detection.format.info().name,
                        "the decoder makes no progress (it asks again for what it was given)",
                    );
                    return Err(crate::locate(&self.location, error));
                }
                if let Some(range) = ranges.iter().find(|r| r.end > self.size || r.start > r.end) {
                    self.ended = true;
                    let error = Error::parse(
                        self.detection.format.info().name,
                        format!(
                            "the file asks for bytes {}..{} of {} (is it cut short?)",
                            range.start, range.end, self.size
                        ),
                    );
                    return Err(crate::locate(&self.location, error));
                }
                Ok(RangedNext::Need(ranges))
            }
            Ok(RangeStep::End) => {
                self.ended = true;
                Ok(RangedNext::End)
            }
            Err(error) => {
                self.ended = !error.is_recoverable();
                Err(crate::locate(&self.location, error))
            }
        }
    }

    /// Gives the decoder the bytes of `ranges` it asked for.
    pub fn push(&mut self, ranges: Vec<Range<u64>>, data: Vec<Bytes>) -> Result<()> {
        self.bytes_read += data.iter().map(|d| d.len() as u64).sum::<u64>();
        self.pushed.clone_from(&ranges);
        self.decoder.push(ranges, data).map_err(|error| {
            self.ended = true;
            crate::locate(&self.location, error)
        })
    }

    /// The next record, fetching ranges through a blocking `fetch`.
    #[inline]
    pub fn read_blocking(
        &mut self,
        mut fetch: impl FnMut(Vec<Range<u64>>) -> Result<Vec<Bytes>>,
    ) -> Result<Option<Record>> {
        loop {
            match self.step()? {
                RangedNext::Record(record) => return Ok(Some(record)),
                RangedNext::End => return Ok(None),
                RangedNext::Need(ranges) => {
                    let data = fetch(ranges.clone()).map_err(|error| {
                        self.ended = true;
                        crate::locate(&self.location, error)
                    })?;
                    self.push(ranges, data)?;
                }
            }
        }
    }

    /// What the reader has done so far (the bytes are those fetched).
    pub fn stats(&self) -> ReadStats {
        ReadStats {
            records_read: self.records,
            bytes_read: self.bytes_read,
            size: Some(self.size),
            skipped: self.skipped,
        }
    }

    /// The errors skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// The input's tables (a workbook's sheets), once the decoder knows them.
    pub fn tables(&self) -> Option<&[String]> {
        self.decoder.tables()
    }

    /// How the format was found.
    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    /// The records' schema, once the decoder knows it.
    pub fn schema(&self) -> Option<&Schema> {
        self.decoder.schema()
    }

    /// Gives the decoder the first file beside `path` (the input's own path) with one of the
    /// extensions its format names ([`iterable_formats::Format::companions`]: a DBF table's
    /// memo file), in lower or upper case, read whole (blocking). Nothing for other formats.
    pub fn read_companions(&mut self, path: &std::path::Path) -> Result<()> {
        // A compressed table's memo file is named for the table: `people.dbt` beside
        // `people.dbf.gz`.
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let base = match iterable_formats::compression::CodecKind::from_file_name(name) {
            Some((_, inner)) => path.with_file_name(inner),
            None => path.to_owned(),
        };
        for extension in self.detection.format.companions() {
            for spelled in [extension.to_string(), extension.to_ascii_uppercase()] {
                let beside = base.with_extension(&spelled);
                match read_whole(&beside) {
                    Ok(data) => {
                        let pushed = self.decoder.push_companion(extension, data.into());
                        return pushed.map_err(|e| crate::locate(&self.location, e));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        let error = Error::io(e).with_location(beside.display().to_string());
                        return Err(error);
                    }
                }
            }
        }
        Ok(())
    }

    /// Marks the reading over after an error outside the decoder (a failed fetch).
    pub fn fail(&mut self, error: Error) -> Error {
        self.ended = true;
        crate::locate(&self.location, error)
    }
}

/// The file at `path`, read whole, at most [`iterable_formats::MAX_WHOLE_FILE`] bytes.
pub(crate) fn read_whole(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let size = std::fs::metadata(path)?.len();
    if size > iterable_formats::MAX_WHOLE_FILE {
        return Err(std::io::Error::other(format!(
            "{} bytes, more than the {} MiB read into memory",
            size,
            iterable_formats::MAX_WHOLE_FILE >> 20
        )));
    }
    std::fs::read(path)
}

/// The bytes a [`Spool`] gathers before it hands them out to be written.
const SPOOL_CHUNK: usize = 1 << 20;

/// A decoder that keeps the bytes it is given instead of decoding them, so that an input read
/// by ranges that cannot be read by ranges as it is (stdin, compressed bytes, which go through
/// the decompression on the way) can be copied to a temporary file and read from the copy.
/// It gives an empty record each time a chunk of bytes is ready: take it with
/// [`Spool::take`] and write it out; the end of the input is the end of the records.
#[derive(Clone, Default)]
pub struct Spool {
    gathered: Arc<Mutex<BytesMut>>,
}

impl Spool {
    /// The bytes gathered since the last call.
    pub fn take(&self) -> Bytes {
        match self.gathered.lock() {
            Ok(mut gathered) => gathered.split().freeze(),
            Err(_) => Bytes::new(),
        }
    }

    fn gather(&mut self, buf: &mut BytesMut, at_end: bool) -> Result<Option<Record>> {
        let mut gathered = self
            .gathered
            .lock()
            .map_err(|_| Error::new(ErrorKind::Io, "the copy of the input failed"))?;
        gathered.unsplit(buf.split());
        let ready = gathered.len() >= SPOOL_CHUNK || (at_end && !gathered.is_empty());
        Ok(ready.then(Record::default))
    }
}

impl Decoder for Spool {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.gather(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.gather(buf, true)
    }
}

/// The error of a copy of the input that failed.
fn copy_failed(error: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot copy the input to a temporary file: {error}"),
    )
}

/// Runs blocking `work` (file system calls) on a thread of its own and waits for it without
/// blocking the task (the same on every runtime, as [`crate::ThreadReader`] reads files).
fn on_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> impl std::future::Future<Output = Result<T>> {
    let (sender, receiver) = futures_channel::oneshot::channel();
    let started = std::thread::Builder::new()
        .name("iterable-files".into())
        .spawn(move || {
            let _ = sender.send(work());
        });
    async move {
        started.map_err(Error::io)?;
        receiver
            .await
            .map_err(|_| crate::not_completed("a file system call", "its thread ended"))
    }
}

/// Fetches ranges of a remote object (its location, its version, the ranges) on a runtime's
/// clients, for the async reader.
pub type RemoteRanges = Arc<
    dyn Fn(Location, Option<String>, Vec<Range<u64>>) -> BoxFuture<'static, Result<Vec<Bytes>>>
        + Send
        + Sync,
>;

/// Ranges being fetched for the async reader.
struct Fetching {
    ranges: Vec<Range<u64>>,
    data: BoxFuture<'static, Result<Vec<Bytes>>>,
}

/// A reader's input read by ranges: its state, where its bytes come from, and the copy it
/// was made of when it could not be read where it is (deleted with the reader).
pub struct Ranged {
    /// The decoding state.
    pub state: RangedState,
    /// Where the ranges come from.
    pub source: RangeSource,
    /// The copy of the input the source reads, if it is one.
    _copy: Option<tempfile::NamedTempFile>,
    /// The async reader's fetch in flight.
    fetching: Option<Fetching>,
}

impl Ranged {
    /// Reads `file` (the probed input itself, whose size the probe knows) by ranges.
    pub fn file(probe: crate::RangedProbe, file: std::fs::File) -> Result<Ranged> {
        Ok(Ranged {
            state: probe.ranged()?,
            source: RangeSource::File(Arc::new(file)),
            _copy: None,
            fetching: None,
        })
    }

    /// Reads the remote object `location` (of version `etag`) by ranges.
    pub fn remote(
        probe: crate::RangedProbe,
        location: Location,
        etag: Option<String>,
    ) -> Result<Ranged> {
        Ok(Ranged {
            state: probe.ranged()?,
            source: RangeSource::Remote { location, etag },
            _copy: None,
            fetching: None,
        })
    }

    /// Copies the rest of the input, read through a blocking `read` (and its codec), into a
    /// temporary file, and reads the copy by ranges.
    pub fn spool_blocking(
        mut probe: crate::RangedProbe,
        mut read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    ) -> Result<Ranged> {
        let location = probe.location().map(str::to_owned);
        let fail = |e: Error| crate::locate(&location, e);
        let (mut driver, spool) = probe.spool();
        let mut copy = tempfile::NamedTempFile::new().map_err(|e| fail(copy_failed(e)))?;
        let mut size = 0;
        while driver.read_record(&mut read).map_err(fail)?.is_some() {
            let chunk = spool.take();
            size += chunk.len() as u64;
            copy.write_all(&chunk).map_err(|e| fail(copy_failed(e)))?;
        }
        let file = copy.reopen().map_err(|e| fail(copy_failed(e)))?;
        Ranged::from_copy(probe, copy, file, size)
    }

    /// [`Ranged::spool_blocking`] from a futures-io `AsyncRead`: the copy is written, made and
    /// opened on threads of its own ([`crate::ThreadWriter`]), never on the task's.
    pub async fn spool(
        mut probe: crate::RangedProbe,
        input: &mut (impl futures_io::AsyncRead + Unpin),
    ) -> Result<Ranged> {
        use futures_util::AsyncWriteExt;
        let location = probe.location().map(str::to_owned);
        let fail = |e: Error| crate::locate(&location, e);
        let (mut driver, spool) = probe.spool();
        let made = on_thread(|| -> std::io::Result<_> {
            let copy = tempfile::NamedTempFile::new()?;
            let file = copy.reopen()?;
            Ok((copy, file))
        });
        let (copy, file) = made
            .await
            .map_err(fail)?
            .map_err(|e| fail(copy_failed(e)))?;
        let mut output = crate::ThreadWriter::start(file).map_err(|e| fail(copy_failed(e)))?;
        let mut size = 0;
        loop {
            let next = std::future::poll_fn(|cx| {
                driver.poll_record(cx, |cx, buf| {
                    std::pin::Pin::new(&mut *input).poll_read(cx, buf)
                })
            });
            if next.await.map_err(fail)?.is_none() {
                break;
            }
            let chunk = spool.take();
            size += chunk.len() as u64;
            output
                .write_all(&chunk)
                .await
                .map_err(|e| fail(copy_failed(e)))?;
        }
        output.close().await.map_err(|e| fail(copy_failed(e)))?;
        let opened = on_thread(move || copy.reopen().map(|file| (copy, file)));
        let (copy, file) = opened
            .await
            .map_err(fail)?
            .map_err(|e| fail(copy_failed(e)))?;
        Ranged::from_copy(probe, copy, file, size)
    }

    fn from_copy(
        probe: crate::RangedProbe,
        copy: tempfile::NamedTempFile,
        file: std::fs::File,
        size: u64,
    ) -> Result<Ranged> {
        Ok(Ranged {
            state: probe.from_copy(size)?,
            source: RangeSource::File(Arc::new(file)),
            _copy: Some(copy),
            fetching: None,
        })
    }
}

impl Ranged {
    /// The next record (blocking): file ranges by positioned reads, remote ones through
    /// `remote` (which the caller runs on its runtime).
    pub fn read_blocking(
        &mut self,
        remote: impl Fn(&Location, Option<&str>, Vec<Range<u64>>) -> Result<Vec<Bytes>>,
    ) -> Result<Option<Record>> {
        let source = &self.source;
        self.state.read_blocking(|ranges| match source {
            RangeSource::File(file) => RangeSource::read_file(file, &ranges).map_err(Error::io),
            RangeSource::Remote { location, etag } => remote(location, etag.as_deref(), ranges),
        })
    }

    /// Polls for the next record (async): file ranges are read on a thread of their own,
    /// remote ones through `remote`, on the runtime's clients.
    pub fn poll_record(
        &mut self,
        cx: &mut Context<'_>,
        remote: Option<&RemoteRanges>,
    ) -> Poll<Result<Option<Record>>> {
        loop {
            if let Some(fetching) = &mut self.fetching {
                let fetched = ready!(fetching.data.as_mut().poll(cx));
                let ranges = std::mem::take(&mut fetching.ranges);
                self.fetching = None;
                match fetched {
                    Ok(data) => self.state.push(ranges, data)?,
                    Err(error) => return Poll::Ready(Err(self.state.fail(error))),
                }
            }
            let ranges = match self.state.step()? {
                RangedNext::Record(record) => return Poll::Ready(Ok(Some(record))),
                RangedNext::End => return Poll::Ready(Ok(None)),
                RangedNext::Need(ranges) => ranges,
            };
            let data = match &self.source {
                RangeSource::File(file) => read_on_thread(file.clone(), ranges.clone()),
                RangeSource::Remote { location, etag } => match remote {
                    Some(fetch) => fetch(location.clone(), etag.clone(), ranges.clone()),
                    None => {
                        let error = crate::remote_unsupported(location, "this adapter");
                        return Poll::Ready(Err(self.state.fail(error)));
                    }
                },
            };
            self.fetching = Some(Fetching { ranges, data });
        }
    }
}

/// Reads `ranges` of `file` on a thread of its own (as [`crate::ThreadReader`] reads files:
/// the same on every runtime, none of its threads blocked).
fn read_on_thread(
    file: Arc<std::fs::File>,
    ranges: Vec<Range<u64>>,
) -> BoxFuture<'static, Result<Vec<Bytes>>> {
    let (sender, receiver) = futures_channel::oneshot::channel();
    let started = std::thread::Builder::new()
        .name("iterable-ranges".into())
        .spawn(move || {
            let _ = sender.send(RangeSource::read_file(&file, &ranges));
        });
    Box::pin(async move {
        started.map_err(Error::io)?;
        match receiver.await {
            Ok(read) => read.map_err(Error::io),
            Err(_) => Err(crate::not_completed(
                "a read of the file",
                "its thread ended",
            )),
        }
    })
}
