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
/// it; when `s3` (it reaches S3), with the process's one S3 client serving it.
pub(crate) async fn on_tokio<F>(s3: bool, future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[cfg(feature = "s3")]
    if s3 {
        use iterable_sources::s3::S3Store;
        static STORE: std::sync::OnceLock<S3Store> = std::sync::OnceLock::new();
        let store = match STORE.get() {
            Some(store) => store.clone(),
            None => {
                let connect = async { Box::pin(S3Store::connect(&Default::default())).await };
                let store = async_compat::Compat::new(async { tokio::spawn(connect).await });
                let store = joined(store.await)??;
                STORE.get_or_init(|| store).clone()
            }
        };
        let shared = iterable_sources::remote::with_store(store, future);
        return joined(async_compat::Compat::new(async { tokio::spawn(shared).await }).await);
    }
    let _ = s3;
    joined(async_compat::Compat::new(async { tokio::spawn(future).await }).await)
}

/// A task's outcome.
fn joined<T>(outcome: std::result::Result<T, tokio::task::JoinError>) -> Result<T> {
    outcome.map_err(|e| Error::new(ErrorKind::Io, format!("the remote request failed: {e}")))
}
