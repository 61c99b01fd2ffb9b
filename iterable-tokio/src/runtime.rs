//! What the shared async API needs of tokio: its blocking pool, its tasks, and the remote
//! clients, which are tokio's own (called natively, no bridge).

use bytes::Bytes;
use iterable_adapter::{DynWrite, RemoteInput, Runtime, not_completed};
use iterable_core::Result;
use iterable_sources::{Fetch, Location};
use std::future::Future;
use std::ops::Range;

/// tokio, for the shared async API. Within `convert_many`, one that shares an S3 client among
/// the call's jobs.
#[derive(Clone, Default)]
pub(crate) struct Tokio {
    /// The clients that every location opened by this runtime's jobs shares, if any.
    #[cfg(feature = "object-stores")]
    clients: Option<iterable_sources::remote::SharedClients>,
}

impl Tokio {
    /// Runs `future` with this runtime's shared clients serving the locations it opens.
    #[cfg(feature = "object-stores")]
    async fn scoped<F: Future>(&self, future: F) -> F::Output {
        match &self.clients {
            Some(clients) => clients.run(future).await,
            None => future.await,
        }
    }

    #[cfg(not(feature = "object-stores"))]
    async fn scoped<F: Future>(&self, future: F) -> F::Output {
        future.await
    }
}

impl Runtime for Tokio {
    fn unblock<T, F>(&self, work: F) -> impl Future<Output = Result<T>> + Send
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let running = tokio::task::spawn_blocking(work);
        async move {
            running
                .await
                .map_err(|e| not_completed("a blocking call", e))
        }
    }

    fn spawn<F>(&self, job: F) -> impl Future<Output = Result<F::Output>> + Send
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let this = self.clone();
        let running = tokio::spawn(async move { this.scoped(job).await });
        async move { running.await.map_err(|e| not_completed("the task", e)) }
    }

    fn open_remote(
        &self,
        location: &Location,
        fetch: Fetch,
    ) -> impl Future<Output = Result<RemoteInput>> + Send {
        let location = location.clone();
        let this = self.clone();
        async move { this.scoped(remote::open(location, fetch)).await }
    }

    fn read_remote_ranges(
        &self,
        location: &Location,
        etag: Option<String>,
        ranges: Vec<Range<u64>>,
    ) -> impl Future<Output = Result<Vec<Bytes>>> + Send {
        let location = location.clone();
        let this = self.clone();
        async move {
            this.scoped(remote::read_ranges(location, etag, ranges))
                .await
        }
    }

    fn create_remote(&self, location: &Location) -> impl Future<Output = Result<DynWrite>> + Send {
        let location = location.clone();
        let this = self.clone();
        async move { this.scoped(remote::create(location)).await }
    }

    #[cfg(feature = "object-stores")]
    fn expand(&self, patterns: &[String]) -> impl Future<Output = Result<Vec<Location>>> + Send {
        let patterns = patterns.to_vec();
        let this = self.clone();
        async move {
            let listing = Box::pin(iterable_sources::remote::expand(&patterns));
            this.scoped(listing).await
        }
    }

    #[cfg(feature = "object-stores")]
    fn sharing_clients(&self) -> Self {
        Tokio {
            clients: Some(iterable_sources::remote::SharedClients::current_or_new()),
        }
    }
}

#[cfg(feature = "remote")]
mod remote {
    use super::*;
    use iterable_adapter::DynRead;
    use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

    /// Reads a remote object natively: the body streams on the calling task.
    pub(super) async fn open(location: Location, fetch: Fetch) -> Result<RemoteInput> {
        let body = Box::pin(iterable_sources::remote::open(&location, fetch)).await?;
        let name = iterable_formats::name_for_body(
            location.file_name(),
            body.content_type.as_deref(),
            body.content_encoding.as_deref(),
        );
        let input = tokio_util::io::StreamReader::new(body.stream).compat();
        Ok(RemoteInput {
            input: Box::pin(input) as DynRead,
            size: body.size,
            name,
            etag: body.etag,
            serves_ranges: body.serves_ranges,
        })
    }

    /// Reads ranges of a remote object natively.
    pub(super) async fn read_ranges(
        location: Location,
        etag: Option<String>,
        ranges: Vec<Range<u64>>,
    ) -> Result<Vec<Bytes>> {
        Box::pin(iterable_sources::remote::read_ranges(
            &location,
            etag.as_deref(),
            ranges,
        ))
        .await
    }

    /// Writes an S3 object by multipart upload, completed when the output is shut down.
    #[cfg(feature = "uploads")]
    pub(super) async fn create(location: Location) -> Result<DynWrite> {
        let upload = Box::pin(iterable_sources::remote::create(&location)).await?;
        Ok(Box::pin(upload.compat_write()))
    }

    #[cfg(not(feature = "uploads"))]
    pub(super) async fn create(location: Location) -> Result<DynWrite> {
        Err(iterable_adapter::remote_unsupported(
            &location,
            "iterable-tokio",
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
            "iterable-tokio",
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
