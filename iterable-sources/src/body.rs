//! `RemoteBody`: the bytes of a remote object being read, whatever serves them.

use bytes::Bytes;
use futures_core::Stream;
use std::pin::Pin;

/// The bytes of an object read over the network (HTTP(S) or S3), with what the server said
/// about them.
pub struct RemoteBody {
    /// The `Content-Type`, which helps detection when the name says nothing.
    pub content_type: Option<String>,
    /// The `Content-Encoding`: the codec the bytes arrive in (they are not decoded on the
    /// way), which helps detection too.
    pub content_encoding: Option<String>,
    /// The size in bytes, when the server says it.
    pub size: Option<u64>,
    /// The bytes, resumed and retried as needed: every byte comes once, in order, and a read
    /// that cannot go on ends with an error, never early.
    pub stream: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
}
