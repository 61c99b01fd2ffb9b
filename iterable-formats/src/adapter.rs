//! What every adapter's reader and writer share, with no I/O: the adapters pass in their own
//! read and write calls (blocking, tokio, futures-io) and keep nothing else.

use crate::codec::{CodecKind, Compression};
use crate::{
    Detection, Format, FormatChoice, FormatDecoder, FormatEncoder, ReadOptions, WriteOptions,
};
use crate::{SNIFF_BYTES, detect_head};
use bytes::BytesMut;
use iterable_core::{
    DecodeBuffer, Decompression, EncodeBuffer, Error, ParsedBatch, Record, Result,
};
use std::task::{Context, Poll, ready};

/// Opening an input: its first bytes are read (up to [`SNIFF_BYTES`]) to find the codec (from
/// the name, else the magic bytes) and the format inside (from the options, the name, else the
/// decompressed content); then [`Opening::finish`] gives the reader's state, which loses none
/// of those bytes.
pub struct Opening {
    options: ReadOptions,
    name: Option<String>,
    head: BytesMut,
    ended: bool,
}

impl Opening {
    /// Opening an input called `name` (a file name; `None` for a stream) with `options`.
    pub fn new(options: &ReadOptions, name: Option<&str>) -> Opening {
        Opening {
            options: options.clone(),
            name: name.map(str::to_owned),
            head: BytesMut::new(),
            ended: false,
        }
    }

    /// Reads the head through a blocking `read`.
    pub fn read_head(
        &mut self,
        mut read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    ) -> std::io::Result<()> {
        while !self.ended && self.head.len() < SNIFF_BYTES {
            let start = self.head.len();
            self.head.resize(SNIFF_BYTES, 0);
            let read = loop {
                match read(&mut self.head[start..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let n = *read.as_ref().unwrap_or(&0);
            self.head.truncate(start + n);
            self.ended = read? == 0;
        }
        Ok(())
    }

    /// Polls the head in through an async `poll_read`.
    pub fn poll_read_head(
        &mut self,
        cx: &mut Context<'_>,
        mut poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<std::io::Result<()>> {
        while !self.ended && self.head.len() < SNIFF_BYTES {
            let start = self.head.len();
            self.head.resize(SNIFF_BYTES, 0);
            let polled = poll_read(cx, &mut self.head[start..]);
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
        }
        Poll::Ready(Ok(()))
    }

    /// Finds the codec and the format, and gives the reader's state.
    pub fn finish(self) -> Result<ReadState> {
        let mut name = self.name.as_deref();
        let codec = match self.options.compression {
            Compression::Use(codec) => Some(codec),
            Compression::None => None,
            Compression::Detect => match name.and_then(CodecKind::from_file_name) {
                Some((codec, inner)) => {
                    name = Some(inner);
                    Some(codec)
                }
                None => CodecKind::from_magic(&self.head),
            },
        };
        let mut members = Vec::new();
        let (head, decompression) = match codec {
            Some(codec) => {
                let mut decompression = codec.decompression(
                    self.options.decompression_limits,
                    self.options.zip_members.as_deref(),
                )?;
                let mut decoded = BytesMut::new();
                decompression.push(&self.head);
                // An archive names its first member before its bytes; the second may follow
                // when the first is empty.
                while let Some(member) = decompression.run(&mut decoded)? {
                    members.push(member);
                    if !decoded.is_empty() || members.len() > 1 {
                        break;
                    }
                }
                (decoded, Some(decompression))
            }
            None => (self.head, None),
        };
        if let Some(first) = members.first() {
            // The format inside an archive comes from its member's name.
            name = Some(first.as_str());
        }
        let mut detection = match Detection::before_content(&self.options, name) {
            Some(detection) => detection,
            None => detect_head(&head)?,
        };
        detection.codec = codec;
        Ok(ReadState::new(
            &self.options,
            detection,
            head,
            self.ended,
            decompression,
            members,
        ))
    }
}

/// A reader's state: the decoder and its buffer, how the format was found, counts, and the
/// errors collected under `ErrorPolicy::Collect`, all labelled with the location.
pub struct ReadState {
    state: DecodeBuffer<FormatDecoder>,
    detection: Detection,
    location: Option<String>,
    size: Option<u64>,
    records: u64,
    errors: Vec<Error>,
    /// For archives: the field that gets each record's member name.
    member_field: Option<String>,
}

impl ReadState {
    /// The state for an input whose format `detection` found; `head` holds the (decompressed)
    /// bytes read to find it, `ended` says whether that was the whole input.
    ///
    /// For an archive, `members` are its first member and, when that one was empty, the
    /// next; each member gets a fresh decoder, all in the format of the first.
    fn new(
        options: &ReadOptions,
        detection: Detection,
        head: BytesMut,
        ended: bool,
        decompression: Option<Decompression>,
        members: Vec<String>,
    ) -> ReadState {
        let resolved = options.resolve(detection.choice);
        let format = detection.choice.format;
        let mut state = DecodeBuffer::with_buffer(
            FormatDecoder::new(format, &resolved),
            head,
            options.error_policy,
        );
        if let Some(decompression) = decompression {
            state = state.with_decompression(decompression);
        }
        let member_field = if members.is_empty() {
            None
        } else {
            options.member_field.clone()
        };
        let mut members = members.into_iter();
        if let Some(first) = members.next() {
            state = state.with_members(
                Some(first),
                Box::new(move || FormatDecoder::new(format, &resolved)),
            );
        }
        if let Some(next) = members.next() {
            state.member_starts(next);
        }
        if ended {
            state.end_input();
        }
        ReadState {
            state,
            detection,
            location: None,
            size: None,
            records: 0,
            errors: Vec::new(),
            member_field,
        }
    }

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
        let result = self.state.read_record(read);
        self.account(result)
    }

    /// Polls for the next record, reading through an async `poll_read`.
    pub fn poll_record(
        &mut self,
        cx: &mut Context<'_>,
        poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<Result<Option<Record>>> {
        let result = ready!(self.state.poll_record(cx, poll_read));
        Poll::Ready(self.account(result))
    }

    fn account(&mut self, result: Result<Option<Record>>) -> Result<Option<Record>> {
        if !self.state.errors().is_empty() {
            for error in self.state.take_errors() {
                let error = self.locate(error);
                self.errors.push(error);
            }
        }
        match result {
            Ok(Some(mut record)) => {
                self.records += 1;
                if let (Some(field), Some(member)) = (&self.member_field, self.state.member()) {
                    record.insert(field.as_str(), member);
                }
                Ok(Some(record))
            }
            Ok(None) => Ok(None),
            Err(error) => Err(self.locate(error)),
        }
    }

    /// How the format was found, and which (with the delimiter once it is known).
    pub fn detection(&self) -> Detection {
        let mut detection = self.detection;
        if let FormatDecoder::Csv(csv) = self.state.decoder() {
            detection.choice = FormatChoice {
                delimiter: csv.delimiter().or(detection.choice.delimiter),
                ..detection.choice
            };
        }
        detection
    }

    /// Records returned so far.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// The input's size in bytes, when known (a local file).
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Bytes read from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.state.bytes_in()
    }

    /// Bad records skipped under the `Skip` and `Collect` error policies.
    pub fn skipped(&self) -> u64 {
        self.state.skipped()
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// Adds the location to an error.
    pub fn locate(&self, error: Error) -> Error {
        locate(&self.location, error)
    }

    /// The input's location, as errors name it.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// True when records can be parsed on one thread and built on another
    /// ([`ReadState::parse_ahead`]): always, except for archives whose records get their
    /// member's name.
    pub fn can_parse_ahead(&self) -> bool {
        self.member_field.is_none()
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
            .state
            .read_into(read, &mut batch, AHEAD_RECORDS, AHEAD_BYTES);
        let collected = self
            .state
            .take_errors()
            .into_iter()
            .map(|error| self.locate(error))
            .collect();
        ParsedAhead {
            batch,
            ended,
            bytes_read: self.bytes_read(),
            skipped: self.skipped(),
            collected,
            detection: self.detection(),
        }
    }
}

/// Records per batch parsed ahead: few enough that a batch stays in the caches of both threads.
const AHEAD_RECORDS: usize = 512;
/// Bytes per batch parsed ahead ([`ParsedBatch::size`]), for inputs of large records.
const AHEAD_BYTES: usize = 256 * 1024;

/// Records parsed ahead by [`ReadState::parse_ahead`], and the reader's counts after them.
#[derive(Debug)]
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
    /// How the format was found (the CSV delimiter, once sniffed).
    pub detection: Detection,
}

/// A writer's state: the encoder and the bytes not written yet, labelled with the location.
pub struct WriteState {
    out: EncodeBuffer<FormatEncoder>,
    format: Format,
    location: Option<String>,
}

impl WriteState {
    /// The state for writing with `options`, whose format must be set (see
    /// [`WriteOptions::for_target`]).
    pub fn new(options: &WriteOptions) -> Result<WriteState> {
        let options = options.for_target(None)?;
        let format = options.format.unwrap_or(Format::JsonLines);
        let mut out = EncodeBuffer::new(FormatEncoder::new(format, &options));
        if let Compression::Use(codec) = options.compression {
            let member = options.zip_member.as_deref().unwrap_or("data");
            out = out.with_compression(codec.compressor(options.compression_level, member)?);
        }
        Ok(WriteState {
            out,
            format,
            location: None,
        })
    }

    /// Names the output in errors.
    pub fn at(mut self, location: Option<String>) -> WriteState {
        self.location = location;
        self
    }

    /// Encodes one record; on error nothing of it is kept.
    pub fn encode(&mut self, record: &Record) -> Result<()> {
        self.out
            .encode(record)
            .map_err(|e| locate(&self.location, e))
    }

    /// Encodes what ends the output.
    pub fn finish(&mut self) -> Result<()> {
        self.out.finish().map_err(|e| locate(&self.location, e))
    }

    /// True once enough bytes gathered to be worth a write.
    pub fn is_full(&self) -> bool {
        self.out.is_full()
    }

    /// Writes out the pending bytes through a blocking `write_all`.
    pub fn write_pending(
        &mut self,
        write_all: impl FnOnce(&[u8]) -> std::io::Result<()>,
    ) -> Result<()> {
        write_all(self.out.pending()).map_err(|e| self.locate(Error::io(e)))?;
        let n = self.out.pending().len();
        self.out.consume(n);
        Ok(())
    }

    /// Writes out the pending bytes through an async `poll_write`.
    pub fn poll_write_pending(
        &mut self,
        cx: &mut Context<'_>,
        mut poll_write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<Result<()>> {
        while !self.out.pending().is_empty() {
            match ready!(poll_write(cx, self.out.pending())) {
                Ok(0) => {
                    return Poll::Ready(Err(
                        self.locate(Error::io(std::io::ErrorKind::WriteZero.into()))
                    ));
                }
                Ok(n) => self.out.consume(n),
                Err(e) => return Poll::Ready(Err(self.locate(Error::io(e)))),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.out.records()
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Adds the location to an error.
    pub fn locate(&self, error: Error) -> Error {
        locate(&self.location, error)
    }
}

/// `error` naming `location`, when there is one.
pub fn locate(location: &Option<String>, error: Error) -> Error {
    match location {
        Some(location) => error.with_location(location.clone()),
        None => error,
    }
}

/// An async reader as [`pipeline`] drives it; both async adapters' readers are ones.
pub trait AsyncRecordReader {
    /// The next record, or `None` at the end.
    fn next_record(&mut self) -> impl std::future::Future<Output = Result<Option<Record>>>;

    /// The reader's state: counts, size, skipped records.
    fn read_state(&self) -> &ReadState;
}

/// An async writer as [`pipeline`] drives it.
pub trait AsyncRecordWriter {
    /// Writes one record.
    fn write_record(&mut self, record: &Record) -> impl std::future::Future<Output = Result<()>>;

    /// Writes what is left and commits the output.
    fn finish_writing(self) -> impl std::future::Future<Output = Result<()>>;

    /// Records written so far.
    fn records_written(&self) -> u64;
}

/// Reads `reader`, passes each record through the async `transform` with up to
/// `options.jobs` at once, and writes what comes out to `writer` in input order, reporting
/// progress; the `pipeline` of the async adapters.
pub async fn pipeline<R, W, F, Fut, I>(
    mut reader: R,
    mut writer: W,
    mut transform: F,
    options: &crate::ConvertOptions,
) -> Result<crate::ConvertStats>
where
    R: AsyncRecordReader,
    W: AsyncRecordWriter,
    F: FnMut(Record) -> Fut,
    Fut: std::future::Future<Output = Result<I>>,
    I: IntoIterator<Item = Record>,
{
    use futures_util::StreamExt;
    let mut progress =
        iterable_core::ProgressReporter::new(options.progress.clone(), reader.read_state().size());
    let jobs = options.jobs.max(1);
    let mut running = futures_util::stream::FuturesOrdered::new();
    let mut input_done = false;
    loop {
        while !input_done && running.len() < jobs {
            match reader.next_record().await? {
                Some(record) => running.push_back(transform(record)),
                None => input_done = true,
            }
        }
        let Some(output) = running.next().await else {
            break;
        };
        for record in output? {
            writer.write_record(&record).await?;
        }
        let state = reader.read_state();
        progress.update(state.records_read(), state.bytes_read());
    }
    let records = writer.records_written();
    writer.finish_writing().await?;
    let state = reader.read_state();
    progress.done(state.records_read(), state.bytes_read());
    Ok(crate::ConvertStats {
        records,
        bytes_read: state.bytes_read(),
        skipped: state.skipped(),
    })
}
