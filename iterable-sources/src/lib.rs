//! Where records live: the [`Location`] type every adapter's `open`, `create` and `convert`
//! accept; [`AtomicFile`], the all-or-nothing local write every adapter uses;
//! [`expand_locations`] and [`plan_outputs`], the inputs and outputs of `convert_many`; and the
//! remote clients.
//!
//! A location is a local path, `-` (standard input when reading, standard output when
//! writing), an `http(s)://` URL (feature `http`: [`http`], reading) or an `s3://bucket/key`
//! object (feature `s3`: [`s3`], reading, listing and writing), a `gs://bucket/key` object
//! (feature `gcs`) or an `az://container/key` blob (feature `azure`; also
//! `abfss://container@account.dfs.core.windows.net/key`), both in [`cloud`], or a database ([`database`]):
//! PostgreSQL, `postgres://` (feature `postgres`: [`postgres`]), or MySQL and MariaDB,
//! `mysql://` and `mariadb://` (feature `mysql`: [`mysql`]), tables and queries read, tables
//! written.
//! The remote clients run on
//! tokio; each adapter binds them to its runtime. A scheme whose feature is off is refused
//! with an [`iterable_core::ErrorKind::Unsupported`] error naming the feature.
#![warn(missing_docs)]

mod atomic;
#[cfg(feature = "remote")]
mod body;
#[cfg(any(feature = "gcs", feature = "azure"))]
pub mod cloud;
pub mod database;
#[cfg(feature = "http")]
pub mod http;
mod inputs;
mod location;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "remote")]
pub mod remote;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "uploads")]
mod upload;

#[cfg(feature = "remote")]
pub use body::RemoteBody;
#[cfg(feature = "uploads")]
pub use upload::RemoteUpload;

pub use atomic::AtomicFile;
#[cfg(feature = "object-stores")]
use inputs::WILDCARDS;
pub use inputs::{expand_locations, plan_outputs};
pub use location::{Fetch, Location};
