//! What several test binaries share: reading a location with each adapter.

// Each binary uses a part of it.
#![allow(dead_code)]

use iterable_core::Record;
use iterable_formats::ReadOptions;

/// A current-thread tokio runtime with I/O and time.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every record of `location`, read with `adapter` (sync, tokio, smol, async-std).
pub fn read_with(
    adapter: &str,
    location: &str,
    options: &ReadOptions,
) -> iterable_core::Result<Vec<Record>> {
    match adapter {
        "sync" => iterable_sync::open_with(location, options).and_then(|r| r.collect()),
        "tokio" => tokio_runtime().block_on(async {
            let mut reader = iterable_tokio::open_with(location, options).await?;
            reader.read_bulk(usize::MAX).await
        }),
        "smol" => smol::block_on(async {
            let mut reader = iterable_smol::open_with(location, options).await?;
            reader.read_bulk(usize::MAX).await
        }),
        _ => async_std::task::block_on(async {
            let mut reader = iterable_smol::open_with(location, options).await?;
            reader.read_bulk(usize::MAX).await
        }),
    }
}

/// The adapters every format is read with, by name.
pub const ADAPTERS: [&str; 4] = ["sync", "tokio", "smol", "async-std"];
