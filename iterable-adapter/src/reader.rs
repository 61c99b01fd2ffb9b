//! The async `Reader`, on futures-io, for every runtime.

use crate::{
    AHEAD_MIN_SIZE, Decoding, DynRead, OpenedFile, Probe, Probed, Ranged, ReadStats, RemoteRanges,
    Runtime, Source, ThreadReader, open_file,
};
use bytes::Bytes;
use futures_core::Stream;
use futures_io::AsyncRead;
use futures_util::TryStreamExt;
use futures_util::stream::IntoAsyncRead;
use iterable_core::{Error, Record, Result, YieldBudget};
use iterable_formats::{Detection, ReadOptions};
use iterable_sources::{Fetch, Location};
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
///
/// A format read by ranges (Parquet) is read where it is: a local file by positioned reads
/// on a thread, a remote object by `Range` requests for the parts that are needed (only the
/// projected columns' chunks), pinned to the version it had when opened. An input that cannot
/// be read that way (stdin, a compressed file or body, a body of unknown size) is copied to
/// a temporary file first, deleted with the reader.
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
            let opened = rt
                .unblock(move || -> Result<_> {
                    let (mut file, state) = match open_file(path, &owned, &name)? {
                        OpenedFile::Stream(file, state) => (file, state),
                        OpenedFile::Ranged(ranged) => return Ok(Opened::Ranged(ranged)),
                    };
                    if state.stats().size.is_some_and(|size| size < AHEAD_MIN_SIZE) {
                        let mut rest = Vec::new();
                        file.read_to_end(&mut rest)
                            .map_err(|e| Error::io(e).with_location(name))?;
                        return Ok(Opened::Read(rest, state));
                    }
                    Ok(Opened::File(file, state))
                })
                .await??;
            let (file, state) = match opened {
                Opened::File(file, state) => (file, state),
                Opened::Read(rest, state) => {
                    let input = Box::pin(futures_util::io::Cursor::new(rest));
                    return Ok(Reader::with(Decoding::Inline { input, state }));
                }
                Opened::Ranged(ranged) => return Ok(Reader::with(Decoding::Ranged(ranged))),
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
            let origin = Origin {
                location: Some(location.to_owned()),
                ..Origin::default()
            };
            Reader::new(Box::pin(stdin) as DynRead, options, origin).await
        }
        Source::Remote(remote) => {
            let (remote, options) = &crate::reading(remote, options);
            let fetch = crate::remote_fetch(remote.file_name(), options);
            let mut opened = rt.open_remote(remote, fetch).await?;
            // Described, and the description's name (its encoding) says the bytes are needed.
            if fetch == Fetch::Description
                && crate::remote_fetch(opened.name.as_deref(), options) == Fetch::Body
            {
                opened = rt.open_remote(remote, Fetch::Body).await?;
            }
            let rt = rt.clone();
            let fetch: RemoteRanges = std::sync::Arc::new(move |location, etag, ranges| {
                let rt = rt.clone();
                Box::pin(async move { rt.read_remote_ranges(&location, etag, ranges).await })
            });
            let origin = Origin {
                name: opened.name,
                location: Some(remote.to_string()),
                size: opened.size,
                remote: opened
                    .serves_ranges
                    .then(|| (remote.clone(), opened.etag, fetch)),
            };
            Reader::new(opened.input, options, origin).await
        }
    }
}

/// A local file once opened: still to read, read whole (the rest after its head), or read
/// by ranges.
enum Opened {
    File(std::fs::File, crate::ReadState),
    Read(Vec<u8>, crate::ReadState),
    Ranged(Box<Ranged>),
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
    Reader::new(input, options, Origin::default()).await
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
    /// How a remote input read by ranges is fetched.
    remote: Option<RemoteRanges>,
}

/// Where a reader's input comes from, as far as reading it needs to know.
#[derive(Default)]
pub(crate) struct Origin {
    /// The name it is detected by.
    name: Option<String>,
    /// Its location, as errors name it.
    location: Option<String>,
    /// Its size, when known.
    size: Option<u64>,
    /// For a remote object: where it is, its version, and how to fetch its ranges.
    remote: Option<(iterable_sources::Location, Option<String>, RemoteRanges)>,
}

impl<R> Reader<R> {
    fn with(decoding: Decoding<R>) -> Reader<R> {
        Reader {
            decoding,
            budget: YieldBudget::default(),
            remote: None,
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

    /// The records' schema, for a typed format (Parquet, Arrow IPC) once it is known (after the first
    /// read); `None` for formats without one.
    pub fn schema(&self) -> Option<&iterable_core::Schema> {
        self.decoding.schema()
    }

    /// The input's tables (a workbook's sheets, in order) once known (after the first read);
    /// `None` for a format without.
    pub fn tables(&self) -> Option<&[String]> {
        self.decoding.tables()
    }
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub(crate) async fn new(mut input: R, options: &ReadOptions, origin: Origin) -> Result<Self> {
        let Origin {
            name,
            location,
            size,
            remote,
        } = origin;
        let probed = Probe::reading(&mut input, options, name.as_deref(), location, size).await?;
        let probe = match probed {
            Probed::Stream(state) => return Ok(Reader::with(Decoding::Inline { input, state })),
            Probed::Ranges(probe) => probe,
        };
        match remote {
            // Read where it is: the open fetched only a description (or a body, now dropped).
            Some((location, etag, fetch)) if probe.as_is && probe.size().is_some() => {
                let ranged = Ranged::remote(probe, location, etag)?;
                let mut reader = Reader::with(Decoding::Ranged(Box::new(ranged)));
                reader.remote = Some(fetch);
                Ok(reader)
            }
            _ => {
                let ranged = Ranged::spool(probe, &mut input).await?;
                Ok(Reader::with(Decoding::Ranged(Box::new(ranged))))
            }
        }
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
            Decoding::Ranged(ranged) => ranged.poll_record(cx, self.remote.as_ref()),
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
