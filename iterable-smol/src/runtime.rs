//! What the shared async API needs of smol and async-std, which share no executor: the
//! `blocking` crate's thread pool (it needs no executor) for blocking calls and for the jobs
//! of `convert_many`, and the bridge to the remote clients, which run on tokio.

use bytes::Bytes;
use iterable_adapter::{DynWrite, RemoteInput, Runtime};
use iterable_core::Result;
use iterable_sources::{Fetch, Location};
use std::future::Future;
use std::ops::Range;

/// smol and async-std, for the shared async API.
#[derive(Clone, Copy, Default)]
pub(crate) struct Smol;

impl Runtime for Smol {
    fn unblock<T, F>(&self, work: F) -> impl Future<Output = Result<T>> + Send
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let running = blocking::unblock(work);
        async move { Ok(running.await) }
    }

    /// Runs `job` on a thread of `blocking`'s pool, to its end: no executor is assumed, and a
    /// conversion is mostly work for the CPU, so jobs run in parallel on the machine's cores
    /// whichever executor awaits them.
    fn spawn<F>(&self, job: F) -> impl Future<Output = Result<F::Output>> + Send
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let running = blocking::unblock(move || futures_lite::future::block_on(job));
        async move { Ok(running.await) }
    }

    fn open_remote(
        &self,
        location: &Location,
        fetch: Fetch,
    ) -> impl Future<Output = Result<RemoteInput>> + Send {
        remote::open(location.clone(), fetch)
    }

    fn read_remote_ranges(
        &self,
        location: &Location,
        etag: Option<String>,
        ranges: Vec<Range<u64>>,
    ) -> impl Future<Output = Result<Vec<Bytes>>> + Send {
        remote::read_ranges(location.clone(), etag, ranges)
    }

    fn create_remote(&self, location: &Location) -> impl Future<Output = Result<DynWrite>> + Send {
        remote::create(location.clone())
    }

    #[cfg(feature = "object-stores")]
    fn expand(&self, patterns: &[String]) -> impl Future<Output = Result<Vec<Location>>> + Send {
        let patterns = patterns.to_vec();
        async move {
            let listing =
                async move { Box::pin(iterable_sources::remote::expand(&patterns)).await };
            crate::bridge::on_tokio(listing).await?
        }
    }
}

#[cfg(feature = "remote")]
mod remote {
    use super::*;
    use futures_util::TryStreamExt;
    use iterable_adapter::DynRead;

    /// Reads a remote object: the client runs on tokio, through the bridge, and the body
    /// comes through a channel.
    pub(super) async fn open(location: Location, fetch: Fetch) -> Result<RemoteInput> {
        let owned = location.clone();
        let body = crate::bridge::on_tokio(async move {
            Box::pin(iterable_sources::remote::open(&owned, fetch))
                .await
                .map(iterable_sources::RemoteBody::pumped)
        })
        .await??;
        let name = iterable_formats::name_for_body(
            location.file_name(),
            body.content_type.as_deref(),
            body.content_encoding.as_deref(),
        );
        Ok(RemoteInput {
            input: Box::pin(body.stream.into_async_read()) as DynRead,
            size: body.size,
            name,
            etag: body.etag,
            serves_ranges: body.serves_ranges,
        })
    }

    /// Reads ranges of a remote object: the client runs on tokio, through the bridge.
    pub(super) async fn read_ranges(
        location: Location,
        etag: Option<String>,
        ranges: Vec<Range<u64>>,
    ) -> Result<Vec<Bytes>> {
        crate::bridge::on_tokio(async move {
            Box::pin(iterable_sources::remote::read_ranges(
                &location,
                etag.as_deref(),
                ranges,
            ))
            .await
        })
        .await?
    }

    /// Writes an S3 object: the upload runs on async-compat's tokio runtime; each poll enters
    /// its context.
    #[cfg(feature = "uploads")]
    pub(super) async fn create(location: Location) -> Result<DynWrite> {
        let create = async move { Box::pin(iterable_sources::remote::create(&location)).await };
        let upload = crate::bridge::on_tokio(create).await??;
        Ok(Box::pin(async_compat::Compat::new(upload)))
    }

    #[cfg(not(feature = "uploads"))]
    pub(super) async fn create(location: Location) -> Result<DynWrite> {
        Err(iterable_adapter::remote_unsupported(
            &location,
            "iterable-smol",
        ))
    }
}

#[cfg(not(feature = "remote"))]
mod remote {
    //! A build without remote clients: every remote location is refused, naming the feature.
    use super::*;

    fn refused<T>(location: &Location) -> Result<T> {
        Err(iterable_adapter::remote_unsupported(
            location,
            "iterable-smol",
        ))
    }

    pub(super) async fn read_ranges(
        location: Location,
        _: Option<String>,
        _: Vec<Range<u64>>,
    ) -> Result<Vec<Bytes>> {
        refused(&location)
    }

    pub(super) async fn open(location: Location, _: Fetch) -> Result<RemoteInput> {
        refused(&location)
    }

    pub(super) async fn create(location: Location) -> Result<DynWrite> {
        refused(&location)
    }
}
