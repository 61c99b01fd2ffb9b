//! The bridge to the remote clients, which run on tokio: async-compat gives a tokio context
//! on a runtime of its own, which lives as long as the process. The clients' requests run as
//! tasks on that runtime, and bodies come through a channel ([`RemoteBody::pumped`]), so a
//! smol or async-std task only waits: it polls none of the clients' deep machinery. One S3
//! client (its connections and credentials) serves every S3 location of the process.
//!
//! [`RemoteBody::pumped`]: iterable_sources::RemoteBody::pumped

use iterable_core::{Error, ErrorKind, Result};
use std::future::Future;

/// Runs a remote client's `future` as a task on async-compat's tokio runtime and waits for
/// it, with the process's shared clients serving it.
pub(crate) async fn on_tokio<F>(future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[cfg(feature = "object-stores")]
    let future = iterable_sources::remote::SharedClients::process().run(future);
    joined(async_compat::Compat::new(async { tokio::spawn(future).await }).await)
}

/// A task's outcome.
fn joined<T>(outcome: std::result::Result<T, tokio::task::JoinError>) -> Result<T> {
    outcome.map_err(|e| Error::new(ErrorKind::Io, format!("the remote request failed: {e}")))
}
