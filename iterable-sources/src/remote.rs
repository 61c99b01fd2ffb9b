//! Remote locations, whichever client serves them: what the adapters call to read an
//! `http(s)://` or `s3://` location, or to write an `s3://` one. Needs a tokio runtime.

use crate::{Location, RemoteBody};
use iterable_core::Result;

/// Starts reading a remote location. A scheme whose feature is off in this build is an
/// [`iterable_core::ErrorKind::Unsupported`] error naming the feature.
pub async fn get(location: &Location) -> Result<RemoteBody> {
    match location {
        #[cfg(feature = "http")]
        Location::Http(url) => crate::http::get(url, &Default::default()).await,
        #[cfg(feature = "s3")]
        Location::S3 { bucket, key } => {
            let store = crate::s3::S3Store::connect(&Default::default()).await?;
            store.get(bucket, key).await
        }
        other => Err(unsupported(other)),
    }
}

/// Starts writing a remote location: an S3 object, by multipart upload (an HTTP server has
/// no standard way to take an upload, so `http(s)://` is refused).
#[cfg(feature = "s3")]
pub async fn create(location: &Location) -> Result<crate::s3::S3Upload> {
    match location {
        Location::S3 { bucket, key } => {
            let store = crate::s3::S3Store::connect(&Default::default()).await?;
            Ok(store.create(bucket, key))
        }
        Location::Http(_) => Err(location.unsupported("writing over HTTP is not supported")),
        other => Err(unsupported(other)),
    }
}

/// The error for a location this build cannot reach.
pub fn unsupported(location: &Location) -> iterable_core::Error {
    match location {
        Location::Http(_) => location
            .unsupported("http(s):// locations need the \"http\" feature of the iterable adapter"),
        Location::S3 { .. } => {
            location.unsupported("s3:// locations need the \"s3\" feature of the iterable adapter")
        }
        _ => location.unsupported("not a remote location"),
    }
}

/// Expands patterns into locations, as [`crate::expand_locations`] does, and lists
/// `s3://bucket/prefix/*.csv` patterns (feature `s3`) into the objects they match.
pub async fn expand(patterns: &[String]) -> Result<Vec<Location>> {
    #[cfg(feature = "s3")]
    let mut store: Option<crate::s3::S3Store> = None;
    let mut inputs = Vec::new();
    for pattern in patterns {
        match Location::parse(pattern)? {
            #[cfg(feature = "s3")]
            Location::S3 { bucket, key } if key.contains(['*', '?', '[']) => {
                if store.is_none() {
                    store = Some(crate::s3::S3Store::connect(&Default::default()).await?);
                }
                let listed = store.as_ref().map(|s| s.list(&bucket, &key));
                if let Some(listed) = listed {
                    inputs.extend(listed.await?.into_iter().map(|key| Location::S3 {
                        bucket: bucket.clone(),
                        key,
                    }));
                }
            }
            _ => inputs.extend(crate::expand_locations(std::slice::from_ref(pattern))?),
        }
    }
    Ok(inputs)
}
