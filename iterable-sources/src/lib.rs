//! Where records live: the [`Location`] type every adapter's `open`, `create` and `convert`
//! accept; [`AtomicFile`], the all-or-nothing local write every adapter uses; and
//! [`expand_inputs`] and [`output_path`] for `convert_many`.
//!
//! Today a location is a local path or `-` (standard input when reading, standard output when
//! writing). Remote schemes (`s3://`, `http(s)://`, databases) are recognised and refused with
//! a clear [`iterable_core::ErrorKind::Unsupported`] error until their clients land, behind cargo features.
#![warn(missing_docs)]

mod atomic;
#[cfg(feature = "http")]
pub mod http;
mod inputs;
mod location;

pub use atomic::AtomicFile;
pub use inputs::{expand_inputs, output_path, plan_outputs};
pub use location::Location;
