//! The seam between the async API and a runtime: what an async adapter implements.

use iterable_core::{Error, ErrorKind, Result};
use iterable_sources::{Fetch, Location, expand_locations};
use std::future::Future;
use std::pin::Pin;

/// The input of a reader made by [`crate::open_with`]: any futures-io `AsyncRead`.
pub type DynRead = Pin<Box<dyn futures_io::AsyncRead + Send>>;

/// The output of a writer made by [`crate::create_with`]: any futures-io `AsyncWrite`.
pub type DynWrite = Pin<Box<dyn futures_io::AsyncWrite + Send>>;

/// A remote object opened for reading.
pub struct RemoteInput {
    /// Its bytes (none, when only a description was fetched and the server gave one).
    pub input: DynRead,
    /// Its size, when the server says it.
    pub size: Option<u64>,
    /// The name it is detected by (its URL's last segment, or one made from its
    /// `Content-Type` and `Content-Encoding`).
    pub name: Option<String>,
    /// Its version (`ETag`), when the server gives one: ranges read later are pinned to it.
    pub etag: Option<String>,
    /// Whether the server serves byte ranges of it: a format read by ranges is then read
    /// where it is, else from a copy of the body.
    pub serves_ranges: bool,
}

/// What the async API needs of a runtime: running blocking work and jobs, and reaching remote
/// locations through its clients. (Files and stdio are read and written on threads of their
/// own, the same on every runtime: [`crate::ThreadReader`], [`crate::ThreadWriter`].) iterable-tokio and iterable-smol
/// each implement it; everything else about reading, writing and converting is written once,
/// on futures-io, in this crate.
///
/// A value of it is cheap to clone; `convert_many` may hand its jobs one that shares remote
/// clients ([`Runtime::sharing_clients`]).
pub trait Runtime: Clone + Send + Sync + 'static {
    /// Runs blocking `work` (file system calls) where it may block, off the executor's
    /// threads.
    fn unblock<T, F>(&self, work: F) -> impl Future<Output = Result<T>> + Send
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    /// Runs `job` as a task of its own, on another thread where the runtime has one, and waits
    /// for it.
    fn spawn<F>(&self, job: F) -> impl Future<Output = Result<F::Output>> + Send
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Opens a remote location (`http(s)://`, `s3://`) for reading, or only describes it
    /// (its input then empty where the server could), as `fetch` says.
    fn open_remote(
        &self,
        location: &Location,
        fetch: Fetch,
    ) -> impl Future<Output = Result<RemoteInput>> + Send;

    /// The bytes of `ranges` of a remote object, the version tagged `etag` when given (a
    /// format read by ranges, Parquet, reads its footer and the column chunks it needs so).
    fn read_remote_ranges(
        &self,
        location: &Location,
        etag: Option<String>,
        ranges: Vec<std::ops::Range<u64>>,
    ) -> impl Future<Output = Result<Vec<bytes::Bytes>>> + Send;

    /// Opens a remote location (`s3://`) for writing: the object appears when the output is
    /// closed, and an output dropped before that leaves none.
    fn create_remote(&self, location: &Location) -> impl Future<Output = Result<DynWrite>> + Send;

    /// Expands input patterns into locations: local globs into the files they match, and,
    /// where the runtime reaches S3, `s3://bucket/prefix/*.csv` into the objects it lists.
    fn expand(&self, patterns: &[String]) -> impl Future<Output = Result<Vec<Location>>> + Send {
        let patterns = patterns.to_vec();
        let this = self.clone();
        async move { this.unblock(move || expand_locations(&patterns)).await? }
    }

    /// A runtime whose remote clients (connections, credentials) are shared by every job
    /// it runs: `convert_many` runs its jobs on one. By default, this one.
    fn sharing_clients(&self) -> Self {
        self.clone()
    }
}

/// The error of a task or a blocking call that did not complete (it panicked, or its runtime
/// shut down).
pub fn not_completed(what: &str, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("{what} did not complete: {why}"))
}
