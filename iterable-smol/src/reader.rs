//! `Reader`: records from a file, stdin, any futures-io `AsyncRead` or a `Stream` of chunks.

use bytes::Bytes;
use futures_core::Stream;
use futures_io::AsyncRead;
use futures_util::TryStreamExt;
use futures_util::stream::IntoAsyncRead;
use iterable_core::{Error, Record, Result};
use iterable_formats::adapter::{Opening, ReadState};
use iterable_formats::{Detection, ReadOptions};
use iterable_sources::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The input of a reader made by [`open`].
pub type DynRead = Pin<Box<dyn AsyncRead + Send>>;

/// Opens a location (a path, or `-` for stdin) and detects its format: from the file name,
/// else from the first bytes.
///
/// ```no_run
/// # smol::block_on(async {
/// let mut reader = iterable_smol::open("data/sample.csv").await?;
/// while let Some(record) = reader.read().await? {
///     println!("{record:?}");
/// }
/// # Ok::<(), iterable_core::Error>(()) });
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
            let file = async_fs::File::open(path).await.map_err(locate)?;
            let size = file.metadata().await.map_err(locate)?.len();
            (Box::pin(file), Some(size))
        }
        Location::Stdio => (Box::pin(blocking::Unblock::new(std::io::stdin())), None),
        #[cfg(any(feature = "http", feature = "s3"))]
        Location::Http(_) | Location::S3 { .. } => {
            // The clients run on tokio, through the bridge; the body comes through a channel.
            let owned = parsed.clone();
            let body = crate::bridge::on_tokio(async move {
                Box::pin(iterable_sources::remote::get(&owned))
                    .await
                    .map(iterable_sources::RemoteBody::pumped)
            })
            .await??;
            let name = iterable_formats::name_for_body(
                parsed.file_name(),
                body.content_type.as_deref(),
                body.content_encoding.as_deref(),
            );
            let chunks = body.stream;
            let input = Box::pin(chunks).into_async_read();
            let location = Some(parsed.to_string());
            return Reader::new(
                Box::pin(input) as DynRead,
                options,
                name.as_deref(),
                location,
                body.size,
            )
            .await;
        }
        #[cfg(not(any(feature = "http", feature = "s3")))]
        Location::Http(_) | Location::S3 { .. } => {
            return Err(parsed.unsupported(
                "remote locations need the \"http\" or \"s3\" feature of iterable-smol",
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

/// Reads records from any futures-io `AsyncRead`. Without a format in `options`, it is
/// detected from the first bytes, which are kept for decoding.
///
/// ```
/// # smol::block_on(async {
/// let input = &b"{\"id\":1}\n{\"id\":2}\n"[..];
/// let mut reader = iterable_smol::from_reader(input, &Default::default()).await?;
/// assert_eq!(reader.read_bulk(10).await?.len(), 2);
/// # Ok::<(), iterable_core::Error>(()) });
/// ```
pub async fn from_reader<R: AsyncRead + Unpin>(
    input: R,
    options: &ReadOptions,
) -> Result<Reader<R>> {
    Reader::new(input, options, None, None, None).await
}

/// Reads records from a `Stream` of byte chunks, cut anywhere.
pub async fn from_stream<S>(input: S, options: &ReadOptions) -> Result<Reader<IntoAsyncRead<S>>>
where
    S: Stream<Item = std::io::Result<Bytes>> + Unpin,
{
    from_reader(input.into_async_read(), options).await
}

/// Records read from `R`: [`Reader::read`], [`Reader::read_bulk`], or as a `Stream`.
///
/// Decoding runs on the calling task, from reads of 128 KiB. After 1024 records in a row
/// without the input being pending, the reader yields to the executor once, so a large file
/// does not starve the other tasks of its thread.
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
            opening.poll_read_head(cx, |cx, buf| Pin::new(&mut input).poll_read(cx, buf))
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
        self.state
            .poll_record(cx, |cx, buf| Pin::new(&mut *input).poll_read(cx, buf))
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

impl<R: AsyncRead + Unpin> iterable_formats::adapter::AsyncRecordReader for Reader<R> {
    fn next_record(&mut self) -> impl std::future::Future<Output = Result<Option<Record>>> {
        self.read()
    }

    fn read_state(&self) -> &ReadState {
        &self.state
    }
}
