//! The async `Reader`, on futures-io, for every runtime.

use crate::{
    AHEAD_MIN_SIZE, Decoding, DynRead, Probe, ReadStats, Runtime, Source, ThreadReader, open_file,
};
use bytes::Bytes;
use futures_core::Stream;
use futures_io::AsyncRead;
use futures_util::TryStreamExt;
use futures_util::stream::IntoAsyncRead;
use iterable_core::{Error, Record, Result, YieldBudget};
use iterable_formats::{Detection, ReadOptions};
use iterable_sources::Location;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Opens `location` on `rt` with `options` and detects its format: from the options, else the
/// name, else (for a remote object) its `Content-Type`, else the first bytes.
///
/// A local file is opened and probed on the runtime's blocking threads. A small one (under
/// 1 MiB) is read whole there and decoded on the calling task; a larger one is read ahead
/// ([`crate::Ahead`]) when the machine has two cores, otherwise read on a thread of its own
/// ([`ThreadReader`]) and decoded on the task.
pub async fn open_with<Rt: Runtime>(
    rt: &Rt,
    location: &str,
    options: &ReadOptions,
) -> Result<Reader> {
    open_on(rt, location, options, true).await
}

/// [`open_with`], choosing whether a large local file may be parsed ahead.
pub(crate) async fn open_on<Rt: Runtime>(
    rt: &Rt,
    location: &str,
    options: &ReadOptions,
    parse_ahead: bool,
) -> Result<Reader> {
    let parsed = Location::parse(location)?;
    let locate = |e: std::io::Error| Error::io(e).with_location(location);
    match Source::of(&parsed) {
        Source::File(path) => {
            let (owned, name) = (options.clone(), location.to_owned());
            // Opened and probed on the blocking threads; a small file is read whole there too,
            // in the same trip (a thread of its own would cost more than it saves).
            let (opened, state) = rt
                .unblock(move || -> Result<_> {
                    let (mut file, state) = open_file(path, &owned, &name)?;
                    if state.stats().size.is_some_and(|size| size < AHEAD_MIN_SIZE) {
                        let mut rest = Vec::new();
                        file.read_to_end(&mut rest)
                            .map_err(|e| Error::io(e).with_location(name))?;
                        return Ok((Opened::Read(rest), state));
                    }
                    Ok((Opened::File(file), state))
                })
                .await??;
            let file = match opened {
                Opened::File(file) => file,
                Opened::Read(rest) => {
                    let input = Box::pin(futures_util::io::Cursor::new(rest));
                    return Ok(Reader::with(Decoding::Inline { input, state }));
                }
            };
            let inline = |file| -> Result<DynRead> {
                Ok(Box::pin(ThreadReader::start(file).map_err(locate)?))
            };
            let decoding = match parse_ahead {
                true => Decoding::start(file, state, inline)?,
                false => Decoding::Inline {
                    input: inline(file)?,
                    state,
                },
            };
            Ok(Reader::with(decoding))
        }
        Source::Stdin => {
            let stdin = ThreadReader::start(std::io::stdin()).map_err(locate)?;
            Reader::new(
                Box::pin(stdin) as DynRead,
                options,
                None,
                Some(location.to_owned()),
                None,
            )
            .await
        }
        Source::Remote(remote) => {
            let opened = rt.open_remote(&remote).await?;
            let name = opened.name.as_deref();
            let location = Some(remote.to_string());
            Reader::new(opened.input, options, name, location, opened.size).await
        }
    }
}

/// A local file once opened: still to read, or read whole (the rest after its head).
enum Opened {
    File(std::fs::File),
    Read(Vec<u8>),
}

/// Reads records from any futures-io `AsyncRead`. Without a format in `options`, it is
/// detected from the first bytes, which are kept for decoding.
///
/// ```
/// # futures_lite::future::block_on(async {
/// let input = &b"{\"id\":1}\n{\"id\":2}\n"[..];
/// let mut reader = iterable_adapter::from_reader(input, &Default::default()).await?;
/// assert_eq!(reader.read_bulk(10).await?.len(), 2);
/// # Ok::<(), iterable_core::Error>(()) }).unwrap();
/// ```
pub async fn from_reader<R: AsyncRead + Unpin>(
    input: R,
    options: &ReadOptions,
) -> Result<Reader<R>> {
    Reader::new(input, options, None, None, None).await
}

/// Reads records from a `Stream` of byte chunks (an HTTP body, a channel), cut anywhere.
pub async fn from_stream<S>(input: S, options: &ReadOptions) -> Result<Reader<IntoAsyncRead<S>>>
where
    S: Stream<Item = std::io::Result<Bytes>> + Unpin,
{
    from_reader(input.into_async_read(), options).await
}

/// Records read from `R`: [`Reader::read`], [`Reader::read_bulk`], or as a `Stream`.
///
/// Records are built on the task that reads them. They are decoded there too, from reads of
/// 128 KiB, except from a large local file, which a second thread reads and parses ahead
/// (see [`open_with`]); no record or line goes through a thread pool. After 1024 records in a
/// row without the input being pending, the reader yields to the executor once, so that a
/// large input does not starve the other tasks of its thread.
pub struct Reader<R = DynRead> {
    decoding: Decoding<R>,
    budget: YieldBudget,
}

impl<R> Reader<R> {
    fn with(decoding: Decoding<R>) -> Reader<R> {
        Reader {
            decoding,
            budget: YieldBudget::default(),
        }
    }

    /// What the reader has done so far: records, bytes, the input's size, skipped records.
    pub fn stats(&self) -> ReadStats {
        self.decoding.stats()
    }

    /// How the codec and the format were found, and which (with the format's options in
    /// force: CSV's delimiter).
    pub fn detection(&self) -> &Detection {
        self.decoding.detection()
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        self.decoding.errors()
    }
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub(crate) async fn new(
        mut input: R,
        options: &ReadOptions,
        name: Option<&str>,
        location: Option<String>,
        size: Option<u64>,
    ) -> Result<Self> {
        let state = Probe::reading(&mut input, options, name, location, size).await?;
        Ok(Reader::with(Decoding::Inline { input, state }))
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
        ready!(self.budget.poll_turn(cx));
        let polled = match &mut self.decoding {
            Decoding::Inline { input, state } => {
                state.poll_record(cx, |cx, buf| Pin::new(&mut *input).poll_read(cx, buf))
            }
            Decoding::Ahead(ahead) => ahead.poll_read(cx),
        };
        match polled {
            Poll::Ready(record) => {
                self.budget.handed_out();
                Poll::Ready(record)
            }
            Poll::Pending => {
                self.budget.reset();
                Poll::Pending
            }
        }
    }
}

impl<R: AsyncRead + Unpin> Stream for Reader<R> {
    type Item = Result<Record>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_read_record(cx).map(Result::transpose)
    }
}
