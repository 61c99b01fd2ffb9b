//! A build without remote clients (features `http` and `s3` off): remote locations are
//! refused with an error naming the feature, and no tokio is in the tree.

use iterable_core::Result;
use iterable_sources::Location;

/// A remote body to read (never made in this build).
pub(crate) struct RemoteRead {
    pub(crate) read: Box<dyn std::io::Read + Send>,
    pub(crate) size: Option<u64>,
    pub(crate) name: Option<String>,
}

/// Refuses a remote location.
pub(crate) fn open_remote(location: &Location) -> Result<RemoteRead> {
    Err(iterable_adapter::remote_unsupported(
        location,
        "iterable-sync",
    ))
}

/// Expands input patterns: local globs only.
pub(crate) fn expand(patterns: &[String]) -> Result<Vec<Location>> {
    iterable_sources::expand_locations(patterns)
}
