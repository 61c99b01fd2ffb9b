//! `Reader`: records from a file, stdin, any `AsyncRead` or a `Stream` of byte chunks.

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use iterable_core::{Error, READ_SIZE, Record, Result};
use iterable_formats::adapter::{Opening, ReadState};
use iterable_formats::{Detection, ReadOptions};
use iterable_sources::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::io::StreamReader;

/// The input of a reader made by [`open`].
pub type DynRead = Pin<Box<dyn AsyncRead + Send>>;

/// Opens a location and detects its format: from the name, else (for a remote object) from
/// its `Content-Type`, else from the first bytes. A location is a path, `-` for stdin, an
/// `http(s)://` URL (feature `http`) or an `s3://bucket/key` object (feature `s3`); remote
/// objects stream, and a read that breaks off resumes where it stopped.
///
/// ```no_run
/// # async fn example() -> iterable_core::Result<()> {
/// let mut reader = iterable_tokio::open("data/sample.csv").await?;
/// while let Some(record) = reader.read().await? {
///     println!("{record:?}");
/// }
/// # Ok(()) }
/// ```
pub async fn open(location: &str) -> Result<Reader> {
    open_with(location, &ReadOptions::default()).await
}

/// Opens a location with options: format, CSV dialect, record size limit, error policy.
pub async fn open_with(location: &str, options: &ReadOptions) -> Result<Reader> {
    let parsed = Location::parse(location)?;
    let locate = |e: std::io::Error| Error::io(e).with_location(location);
    let (input, size): (DynRead, _) = match &parsed {
        Location::Path(path) => {
            let path = path.clone();
            let file = tokio::task::spawn_blocking(move || std::fs::File::open(path))
                .await
                .map_err(|e| locate(std::io::Error::other(e)))?
                .map_err(locate)?;
            let size = file.metadata().map_err(locate)?.len();
            (Box::pin(read_ahead(file)), Some(size))
        }
        Location::Stdio => (Box::pin(tokio::io::stdin()), None),
        #[cfg(any(feature = "http", feature = "s3"))]
        Location::Http(_) | Location::S3 { .. } => {
            let body = Box::pin(iterable_sources::remote::get(&parsed)).await?;
            let named = iterable_formats::name_for_body(
                parsed.file_name(),
                body.content_type.as_deref(),
                body.content_encoding.as_deref(),
            );
            let reader = StreamReader::new(body.stream);
            return Reader::new(
                Box::pin(reader) as DynRead,
                options,
                named.as_deref(),
                Some(parsed.to_string()),
                body.size,
            )
            .await;
        }
        #[cfg(not(any(feature = "http", feature = "s3")))]
        Location::Http(_) | Location::S3 { .. } => {
            return Err(parsed.unsupported(
                "remote locations need the \"http\" or \"s3\" feature of iterable-tokio",
            ));
        }
    };
    Reader::new(
        input,
        options,
        parsed.file_name(),
        Some(location.to_owned()),
        size,
    )
    .await
}

/// Reads records from any `AsyncRead`. Without a format in `options`, it is detected from the
/// first bytes, which are kept for decoding.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> iterable_core::Result<()> {
/// let input = &b"{\"id\":1}\n{\"id\":2}\n"[..];
/// let mut reader = iterable_tokio::from_reader(input, &Default::default()).await?;
/// assert_eq!(reader.read_bulk(10).await?.len(), 2);
/// # Ok(()) }
/// ```
pub async fn from_reader<R: AsyncRead + Unpin>(
    input: R,
    options: &ReadOptions,
) -> Result<Reader<R>> {
    Reader::new(input, options, None, None, None).await
}

/// Reads records from a `Stream` of byte chunks (an HTTP body, a channel), cut anywhere.
pub async fn from_stream<S>(
    input: S,
    options: &ReadOptions,
) -> Result<Reader<StreamReader<S, Bytes>>>
where
    S: Stream<Item = std::io::Result<Bytes>> + Unpin,
{
    from_reader(StreamReader::new(input), options).await
}

/// Records read from `R`: [`Reader::read`], [`Reader::read_bulk`], or as a `Stream`.
///
/// Decoding runs on the calling task, from reads of 128 KiB; no record or line goes through a
/// thread pool. A local file is read on tokio's blocking pool, a few blocks ahead of decoding. After 1024 records in a row without the input being pending, the reader
/// yields to the executor once, so a large file does not starve the other tasks of its thread.
pub struct Reader<R = DynRead> {
    input: R,
    state: ReadState,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    async fn new(
        mut input: R,
        options: &ReadOptions,
        name: Option<&str>,
        location: Option<String>,
        size: Option<u64>,
    ) -> Result<Self> {
        let locate = |e: Error| match &location {
            Some(l) => e.with_location(l.clone()),
            None => e,
        };
        let mut opening = Opening::new(options, name);
        std::future::poll_fn(|cx| {
            opening.poll_read_head(cx, |cx, buf| {
                let mut buf = ReadBuf::new(buf);
                Pin::new(&mut input)
                    .poll_read(cx, &mut buf)
                    .map_ok(|()| buf.filled().len())
            })
        })
        .await
        .map_err(|e| locate(Error::io(e)))?;
        let state = opening.finish().map_err(locate)?.at(location, size);
        Ok(Reader { input, state })
    }

    /// The next record, or `None` at the end.
    pub async fn read(&mut self) -> Result<Option<Record>> {
        std::future::poll_fn(|cx| self.poll_read_record(cx)).await
    }

    /// Up to `n` records; fewer only at the end of the input.
    pub async fn read_bulk(&mut self, n: usize) -> Result<Vec<Record>> {
        let mut records = Vec::with_capacity(n.min(4096));
        while records.len() < n {
            match self.read().await? {
                Some(record) => records.push(record),
                None => break,
            }
        }
        Ok(records)
    }

    /// Polls for the next record.
    pub fn poll_read_record(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Record>>> {
        let input = &mut self.input;
        self.state.poll_record(cx, |cx, buf| {
            let mut buf = ReadBuf::new(buf);
            Pin::new(&mut *input)
                .poll_read(cx, &mut buf)
                .map_ok(|()| buf.filled().len())
        })
    }

    /// How the format was found, and which (with the delimiter once it is known).
    pub fn detection(&self) -> Detection {
        self.state.detection()
    }

    /// Records returned so far.
    pub fn records_read(&self) -> u64 {
        self.state.records_read()
    }

    /// The input's size in bytes, when known (a local file).
    pub fn size(&self) -> Option<u64> {
        self.state.size()
    }

    /// Bytes read from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.state.bytes_read()
    }

    /// Bad records skipped under the `Skip` and `Collect` error policies.
    pub fn skipped(&self) -> u64 {
        self.state.skipped()
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        self.state.errors()
    }
}

impl<R: AsyncRead + Unpin> Stream for Reader<R> {
    type Item = Result<Record>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_read_record(cx).map(Result::transpose)
    }
}

/// Blocks read ahead of the decoder, at most.
const READ_AHEAD: usize = 16;

/// A file read on tokio's blocking pool in blocks of [`READ_SIZE`], up to [`READ_AHEAD`]
/// blocks ahead of the reader, so that reading overlaps decoding. (A `tokio::fs::File` makes
/// one pool trip per read and reads nothing ahead.) Dropping the reader stops the reading.
fn read_ahead(mut file: std::fs::File) -> impl AsyncRead + Send {
    use std::io::Read;
    let (blocks, mut received) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut block = BytesMut::zeroed(READ_SIZE);
            let read = loop {
                match file.read(&mut block) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let done = !matches!(read, Ok(n) if n > 0);
            let sent = match read {
                Ok(0) => break,
                Ok(n) => {
                    block.truncate(n);
                    blocks.blocking_send(Ok(block.freeze()))
                }
                Err(e) => blocks.blocking_send(Err(e)),
            };
            if sent.is_err() || done {
                break;
            }
        }
    });
    StreamReader::new(futures_util::stream::poll_fn(move |cx| {
        received.poll_recv(cx)
    }))
}

impl<R: AsyncRead + Unpin> iterable_formats::adapter::AsyncRecordReader for Reader<R> {
    fn next_record(&mut self) -> impl std::future::Future<Output = Result<Option<Record>>> {
        self.read()
    }

    fn read_state(&self) -> &ReadState {
        &self.state
    }
}
