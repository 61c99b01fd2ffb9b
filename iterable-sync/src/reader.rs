//! `Reader`: records from a file, stdin or any `std::io::Read`.

use crate::parallel::{ParallelDecode, read_into};
use bytes::BytesMut;
use iterable_core::{DecodeBuffer, Error, ErrorKind, ErrorPolicy, Record, Result, Step};
use iterable_formats::{
    Detection, FormatChoice, FormatDecoder, ReadOptions, SNIFF_BYTES, detect_from_content,
};
use iterable_sources::Location;
use std::fs::File;
use std::io::{ErrorKind as IoErrorKind, Read};

/// Opens a location (a path, or `-` for stdin) and detects its format: from the file name,
/// else from the first bytes.
///
/// ```no_run
/// for record in iterable_sync::open("data/sample.csv")? {
///     println!("{:?}", record?);
/// }
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn open(location: &str) -> Result<Reader> {
    open_with(location, &ReadOptions::default())
}

/// Opens a location with options: format, CSV dialect, record size limit, error policy.
pub fn open_with(location: &str, options: &ReadOptions) -> Result<Reader> {
    let parsed = Location::parse(location)?;
    let input: Box<dyn Read + Send> = match &parsed {
        Location::Path(path) => {
            Box::new(File::open(path).map_err(|e| Error::io(e).with_location(location))?)
        }
        Location::Stdio => Box::new(std::io::stdin()),
    };
    Reader::new(
        input,
        options,
        parsed.file_name(),
        Some(location.to_owned()),
    )
}

/// Reads records from any `Read`. Without a format in `options`, it is detected from the
/// first bytes, which are kept for decoding.
///
/// ```
/// let input = &b"{\"id\":1}\n{\"id\":2}\n"[..];
/// let reader = iterable_sync::from_reader(input, &Default::default())?;
/// assert_eq!(reader.count(), 2);
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn from_reader<R: Read>(input: R, options: &ReadOptions) -> Result<Reader<R>> {
    Reader::new(input, options, None, None)
}

/// Records read from `R`, one at a time ([`Reader::read`]), in batches
/// ([`Reader::read_bulk`]), or as an `Iterator`.
///
/// The reader decodes on the calling thread from reads of 128 KiB; there is no runtime. With
/// [`ReadOptions::threads`] above 1, blocks of the input are decoded on that many threads
/// (JSON Lines, and CSV without escapes or comments), the records still in order, with the same
/// positions and errors as in order. After a fatal error it returns no more records; after a recoverable one (a bad row)
/// the next call goes on, or, with [`iterable_core::ErrorPolicy::Skip`] or `Collect`, bad
/// records never surface as errors at all.
pub struct Reader<R = Box<dyn Read + Send>> {
    input: R,
    decoding: Decoding,
    /// Threads for parallel decoding, and its settings; 1 decodes in order only.
    threads: usize,
    max_record_size: usize,
    policy: ErrorPolicy,
    detection: Detection,
    location: Option<String>,
    records: u64,
    /// Errors collected under `ErrorPolicy::Collect`, with the location added.
    errors: Vec<Error>,
}

impl<R: Read> Reader<R> {
    fn new(
        mut input: R,
        options: &ReadOptions,
        name: Option<&str>,
        location: Option<String>,
    ) -> Result<Self> {
        let locate = |e: Error| match &location {
            Some(l) => e.with_location(l.clone()),
            None => e,
        };
        let mut head = BytesMut::new();
        let mut ended = false;
        let detection = match Detection::before_content(options, name) {
            Some(detection) => detection,
            None => {
                ended = read_head(&mut input, &mut head).map_err(|e| locate(Error::io(e)))?;
                detect_from_content(&head).ok_or_else(|| {
                    let why = if head.iter().all(u8::is_ascii_whitespace) {
                        "the input is empty"
                    } else {
                        "the content is neither JSON Lines nor delimited text"
                    };
                    locate(Error::new(
                        ErrorKind::UnknownFormat,
                        format!("cannot tell the format: {why}; name one in the options"),
                    ))
                })?
            }
        };
        let resolved = options.resolve(detection.choice);
        let decoder = FormatDecoder::new(detection.choice.format, &resolved);
        let mut state = DecodeBuffer::with_buffer(decoder, head, options.error_policy);
        if ended {
            state.end_input();
        }
        Ok(Reader {
            input,
            decoding: Decoding::InOrder(state),
            threads: options.threads,
            max_record_size: options.max_record_size,
            policy: options.error_policy,
            detection,
            location,
            records: 0,
            errors: Vec::new(),
        })
    }

    /// The next record, or `None` at the end.
    pub fn read(&mut self) -> Result<Option<Record>> {
        let read = match &mut self.decoding {
            Decoding::InOrder(state) => read_in_order(state, &mut self.input),
            Decoding::Parallel(parallel) => parallel.read(&mut self.input),
            Decoding::Switching => Ok(None),
        };
        let collected = match &mut self.decoding {
            Decoding::InOrder(state) => state.take_errors(),
            Decoding::Parallel(parallel) => parallel.take_errors(),
            Decoding::Switching => Vec::new(),
        };
        for error in collected {
            let error = self.locate(error);
            self.errors.push(error);
        }
        match read {
            Ok(Some(record)) => {
                self.records += 1;
                if self.records == 1 && self.threads > 1 {
                    self.go_parallel();
                }
                Ok(Some(record))
            }
            Ok(None) => Ok(None),
            Err(error) => Err(self.locate(error)),
        }
    }

    /// After the first record the preamble is read: hand the rest to parallel decoding.
    fn go_parallel(&mut self) {
        if let Decoding::InOrder(state) = std::mem::replace(&mut self.decoding, Decoding::Switching)
        {
            self.decoding = match ParallelDecode::take_over(
                state,
                self.threads,
                self.max_record_size,
                self.policy,
            ) {
                Ok(parallel) => Decoding::Parallel(Box::new(parallel)),
                Err(state) => Decoding::InOrder(state),
            };
        }
    }

    /// Up to `n` records; fewer only at the end of the input.
    pub fn read_bulk(&mut self, n: usize) -> Result<Vec<Record>> {
        let mut records = Vec::with_capacity(n.min(4096));
        while records.len() < n {
            match self.read()? {
                Some(record) => records.push(record),
                None => break,
            }
        }
        Ok(records)
    }

    /// How the format was found, and which (with the delimiter once it is known).
    pub fn detection(&self) -> Detection {
        let mut detection = self.detection;
        let decoder = match &self.decoding {
            Decoding::InOrder(state) => Some(state.decoder()),
            Decoding::Parallel(parallel) => Some(parallel.decoder()),
            Decoding::Switching => None,
        };
        if let Some(FormatDecoder::Csv(csv)) = decoder {
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

    /// Bytes read from the input so far.
    pub fn bytes_read(&self) -> u64 {
        match &self.decoding {
            Decoding::InOrder(state) => state.bytes_in(),
            Decoding::Parallel(parallel) => parallel.bytes_in(),
            Decoding::Switching => 0,
        }
    }

    /// Bad records skipped under the `Skip` and `Collect` error policies.
    pub fn skipped(&self) -> u64 {
        match &self.decoding {
            Decoding::InOrder(state) => state.skipped(),
            Decoding::Parallel(parallel) => parallel.skipped(),
            Decoding::Switching => 0,
        }
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    fn locate(&self, error: Error) -> Error {
        match &self.location {
            Some(location) => error.with_location(location.clone()),
            None => error,
        }
    }
}

/// How a reader decodes.
enum Decoding {
    /// On the caller's thread, in order.
    InOrder(DecodeBuffer<FormatDecoder>),
    /// Blocks on several threads.
    Parallel(Box<ParallelDecode>),
    /// Only while switching from one to the other.
    Switching,
}

/// The next record of in-order decoding, reading `input` as needed.
fn read_in_order(
    state: &mut DecodeBuffer<FormatDecoder>,
    input: &mut impl Read,
) -> Result<Option<Record>> {
    loop {
        match state.step()? {
            Step::Record(record) => return Ok(Some(record)),
            Step::End => return Ok(None),
            Step::NeedInput => match read_into(input, state.buffer_mut()) {
                Ok(0) => state.end_input(),
                Ok(n) => state.count_input(n),
                Err(e) => return Err(state.fail(Error::io(e))),
            },
        }
    }
}

/// Reads until `head` holds [`SNIFF_BYTES`] or the input ends; true when it ended.
fn read_head(input: &mut impl Read, head: &mut BytesMut) -> std::io::Result<bool> {
    head.resize(SNIFF_BYTES, 0);
    let mut filled = 0;
    while filled < SNIFF_BYTES {
        match input.read(&mut head[filled..]) {
            Ok(0) => {
                head.truncate(filled);
                return Ok(true);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == IoErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read().transpose()
    }
}
