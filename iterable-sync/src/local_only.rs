//! A build without remote clients (features `http` and `s3` off): remote locations are
//! refused with an error naming the feature, and no tokio is in the tree.

use iterable_core::Result;
use iterable_sources::Location;

/// A remote body to read (never made in this build).
pub(crate) struct RemoteRead {
    pub(crate) read: Box<dyn std::io::Read + Send>,
    pub(crate) size: Option<u64>,
    pub(crate) name: Option<String>,
    pub(crate) etag: Option<String>,
    pub(crate) serves_ranges: bool,
}

/// Refuses a remote location.
pub(crate) fn open_remote(
    location: &Location,
    _fetch: iterable_sources::Fetch,
) -> Result<RemoteRead> {
    Err(iterable_adapter::remote_unsupported(
        location,
        "iterable-sync",
    ))
}

/// Refuses a remote location's ranges (no reader of one is ever made in this build).
pub(crate) fn read_ranges(
    location: &Location,
    _etag: Option<&str>,
    _ranges: Vec<std::ops::Range<u64>>,
) -> Result<Vec<bytes::Bytes>> {
    Err(iterable_adapter::remote_unsupported(
        location,
        "iterable-sync",
    ))
}

/// Expands input patterns: local globs only.
pub(crate) fn expand(patterns: &[String]) -> Result<Vec<Location>> {
    iterable_sources::expand_locations(patterns)
}
