//! Remote locations, whichever client serves them: what the adapters call to read an
//! `http(s)://`, `s3://`, `gs://`, `az://` or database location, or to write one of them but
//! HTTP. Needs a tokio runtime.
//!
//! Each S3 location gets a client of its own (`S3Store::connect`), as does each GCS or Azure
//! one (`CloudStore::connect`), unless the future runs
//! inside `SharedClients::run` or `with_store`: then they share one, with its connections and
//! credentials. iterable-tokio's `convert_many` shares one per call; the blocking and smol
//! adapters, whose runtimes live as long as the process, one for the whole process.

#[cfg(any(feature = "gcs", feature = "azure"))]
use crate::cloud::CloudStore;
#[cfg(feature = "s3")]
use crate::s3::S3Store;
use crate::{Location, RemoteBody};
use iterable_core::Result;

#[cfg(feature = "object-stores")]
tokio::task_local! {
    static SHARED: SharedClients;
}

/// Clients that remote locations share, each made on first use: inside
/// [`SharedClients::run`], every `s3://` location read, written or listed goes through one S3
/// client, and the objects of each GCS bucket or Azure container through one client, with
/// their connections and credentials. Cheap to clone into each task of a job.
#[cfg(feature = "object-stores")]
#[derive(Clone, Debug, Default)]
pub struct SharedClients(std::sync::Arc<Clients>);

/// The clients themselves.
#[cfg(feature = "object-stores")]
#[derive(Debug, Default)]
struct Clients {
    #[cfg(feature = "s3")]
    s3: tokio::sync::OnceCell<S3Store>,
    /// By bucket or container, as `gs://bucket/`.
    #[cfg(any(feature = "gcs", feature = "azure"))]
    cloud: std::sync::Mutex<std::collections::HashMap<String, CloudStore>>,
}

#[cfg(feature = "object-stores")]
impl SharedClients {
    /// The clients of the whole process. A client's connections belong to the runtime they
    /// were made on: these are for runtimes that live as long as the process (the blocking
    /// adapter's private one, async-compat's).
    pub fn process() -> &'static SharedClients {
        static PROCESS: std::sync::LazyLock<SharedClients> =
            std::sync::LazyLock::new(SharedClients::default);
        &PROCESS
    }

    /// The clients of the scope the current task runs in ([`SharedClients::run`],
    /// [`with_store`]), or new ones: what a job that shares its clients among its requests
    /// takes, so that an outer scope keeps serving it.
    pub fn current_or_new() -> SharedClients {
        SHARED.try_with(SharedClients::clone).unwrap_or_default()
    }

    /// Runs `future` with these clients serving the locations it opens.
    pub async fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        SHARED.scope(self.clone(), future).await
    }

    /// The S3 client, made on first use.
    #[cfg(feature = "s3")]
    async fn s3(&self) -> Result<S3Store> {
        self.0
            .s3
            .get_or_try_init(|| async { Box::pin(S3Store::connect(&Default::default())).await })
            .await
            .cloned()
    }

    /// The client of the bucket or container of `location`, made on first use.
    #[cfg(any(feature = "gcs", feature = "azure"))]
    fn cloud(&self, location: &Location) -> Result<CloudStore> {
        let name = location.with_object_key(String::new()).as_written();
        let mut stores = self.0.cloud.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = stores.get(&name) {
            return Ok(store.clone());
        }
        let store = CloudStore::connect(location, &Default::default())?;
        stores.insert(name, store.clone());
        Ok(store)
    }
}

/// Runs `future` with `store` serving every `s3://` location it reads, writes or lists. The
/// store's connections belong to the runtime they were made on: share a store only while
/// that runtime runs.
#[cfg(feature = "s3")]
pub async fn with_store<F: std::future::Future>(store: S3Store, future: F) -> F::Output {
    let clients = Clients {
        s3: tokio::sync::OnceCell::new_with(Some(store)),
        ..Clients::default()
    };
    SharedClients(std::sync::Arc::new(clients))
        .run(future)
        .await
}

/// The shared S3 client, or a new one.
#[cfg(feature = "s3")]
async fn store() -> Result<S3Store> {
    match SHARED.try_with(SharedClients::clone) {
        Ok(clients) => clients.s3().await,
        Err(_) => S3Store::connect(&Default::default()).await,
    }
}

/// The shared client of the bucket or container of `location`, or a new one.
#[cfg(any(feature = "gcs", feature = "azure"))]
fn cloud_store(location: &Location) -> Result<CloudStore> {
    match SHARED.try_with(SharedClients::clone) {
        Ok(clients) => clients.cloud(location),
        Err(_) => CloudStore::connect(location, &Default::default()),
    }
}

/// Starts reading a remote location, or describes it ([`crate::Fetch`]). A scheme whose feature is
/// off in this build is an [`iterable_core::ErrorKind::Unsupported`] error naming the feature.
pub async fn open(location: &Location, fetch: crate::Fetch) -> Result<RemoteBody> {
    let body = open_as(location, fetch).await?;
    // A description is of use only with the size; an empty object costs nothing to read.
    if fetch == crate::Fetch::Description && body.size.is_none_or(|size| size == 0) {
        return open_as(location, crate::Fetch::Body).await;
    }
    Ok(body)
}

async fn open_as(location: &Location, fetch: crate::Fetch) -> Result<RemoteBody> {
    match (location, fetch) {
        #[cfg(feature = "http")]
        (Location::Http(url), crate::Fetch::Body) => {
            crate::http::get(url, &Default::default()).await
        }
        #[cfg(feature = "http")]
        (Location::Http(url), crate::Fetch::Description) => {
            crate::http::describe(url, &Default::default()).await
        }
        #[cfg(feature = "s3")]
        (Location::S3 { bucket, key }, crate::Fetch::Body) => store().await?.get(bucket, key).await,
        #[cfg(feature = "s3")]
        (Location::S3 { bucket, key }, crate::Fetch::Description) => {
            store().await?.describe(bucket, key).await
        }
        #[cfg(feature = "gcs")]
        (Location::Gcs { key, .. }, fetch) => cloud_open(location, key, fetch).await,
        #[cfg(feature = "azure")]
        (Location::Azure { key, .. }, fetch) => cloud_open(location, key, fetch).await,
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        (Location::Database { url, options }, _) => crate::database::open(url, options).await,
        (other, _) => Err(unsupported(other)),
    }
}

/// Starts reading (or describes) the object `key` of a GCS bucket or Azure container.
#[cfg(any(feature = "gcs", feature = "azure"))]
async fn cloud_open(location: &Location, key: &str, fetch: crate::Fetch) -> Result<RemoteBody> {
    let store = cloud_store(location)?;
    match fetch {
        crate::Fetch::Body => store.get(key).await,
        crate::Fetch::Description => store.describe(key).await,
    }
}

/// Starts reading a remote location: [`open`] of its [`crate::Fetch::Body`].
pub async fn get(location: &Location) -> Result<RemoteBody> {
    open(location, crate::Fetch::Body).await
}

/// Starts writing a remote location: an S3 or GCS object or an Azure blob, by multipart
/// upload, or a database table, in one transaction (an HTTP server has no standard way to
/// take an upload, so `http(s)://` is refused).
#[cfg(feature = "uploads")]
pub async fn create(location: &Location) -> Result<crate::RemoteUpload> {
    match location {
        #[cfg(feature = "s3")]
        Location::S3 { bucket, key } => Ok(store().await?.create(bucket, key)),
        #[cfg(feature = "gcs")]
        Location::Gcs { key, .. } => Ok(cloud_store(location)?.create(key)),
        #[cfg(feature = "azure")]
        Location::Azure { key, .. } => Ok(cloud_store(location)?.create(key)),
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        Location::Database { url, options } => crate::database::create(url, options).await,
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
        Location::Gcs { .. } => {
            location.unsupported("gs:// locations need the \"gcs\" feature of the iterable adapter")
        }
        Location::Azure { .. } => location
            .unsupported("az:// locations need the \"azure\" feature of the iterable adapter"),
        Location::Database { url, .. } => match crate::database::System::of(url) {
            Some(system) => system.unsupported(url, "the iterable adapter"),
            None => location.unsupported("not a database URL"),
        },
        _ => location.unsupported("not a remote location"),
    }
}

/// Range reads in flight at once for one [`read_ranges`] call.
#[cfg(feature = "object-stores")]
const RANGES_IN_FLIGHT: usize = 4;

/// The bytes of `ranges` of a remote object, the version tagged `etag` (when given: a read of
/// an object replaced since is an error), several requests in flight at once; each range is
/// resumed and retried as a read is.
pub async fn read_ranges(
    location: &Location,
    etag: Option<&str>,
    ranges: Vec<std::ops::Range<u64>>,
) -> Result<Vec<bytes::Bytes>> {
    #[cfg(not(any(feature = "http", feature = "s3", feature = "gcs", feature = "azure")))]
    let _ = (etag, ranges);
    match location {
        #[cfg(feature = "http")]
        Location::Http(url) => {
            crate::http::read_ranges(url, ranges, etag, &Default::default()).await
        }
        #[cfg(feature = "s3")]
        Location::S3 { bucket, key } => {
            let store = &store().await?;
            let reads = ranges.into_iter().map(|range| async move {
                let bytes = store
                    .read_range_of(bucket, key, range.clone(), etag)
                    .await?;
                whole_range(location, range, bytes)
            });
            crate::body::in_flight(reads, RANGES_IN_FLIGHT).await
        }
        #[cfg(any(feature = "gcs", feature = "azure"))]
        Location::Gcs { key, .. } | Location::Azure { key, .. } => {
            let store = &cloud_store(location)?;
            let reads = ranges.into_iter().map(|range| async move {
                let bytes = store.read_range(key, range.clone(), etag).await?;
                whole_range(location, range, bytes)
            });
            crate::body::in_flight(reads, RANGES_IN_FLIGHT).await
        }
        other => Err(unsupported(other)),
    }
}

/// The bytes of `range`, all of them: fewer is an error.
#[cfg(feature = "object-stores")]
fn whole_range(
    location: &Location,
    range: std::ops::Range<u64>,
    bytes: bytes::Bytes,
) -> Result<bytes::Bytes> {
    if bytes.len() as u64 == range.end - range.start {
        return Ok(bytes);
    }
    let message = format!(
        "asked for bytes {}..{}, the store gave {}",
        range.start,
        range.end,
        bytes.len()
    );
    Err(
        iterable_core::Error::new(iterable_core::ErrorKind::Remote, message)
            .with_location(location.to_string()),
    )
}

/// Expands patterns into locations, as [`crate::expand_locations`] does, and lists
/// `s3://bucket/prefix/*.csv`, `gs://...` and `az://...` patterns (features `s3`, `gcs`,
/// `azure`) into the objects they match.
pub async fn expand(patterns: &[String]) -> Result<Vec<Location>> {
    let mut inputs = Vec::new();
    for pattern in patterns {
        match Location::parse(pattern)? {
            #[cfg(feature = "s3")]
            Location::S3 { bucket, key } if key.contains(crate::WILDCARDS) => {
                let keys = store().await?.list(&bucket, &key).await?;
                inputs.extend(keys.into_iter().map(|key| Location::S3 {
                    bucket: bucket.clone(),
                    key,
                }));
            }
            #[cfg(any(feature = "gcs", feature = "azure"))]
            cloud @ (Location::Gcs { .. } | Location::Azure { .. })
                if pattern.contains(crate::WILDCARDS) =>
            {
                let key = cloud.object_key().unwrap_or_default();
                let keys = cloud_store(&cloud)?.list(key).await?;
                inputs.extend(keys.into_iter().map(|key| cloud.with_object_key(key)));
            }
            _ => inputs.extend(crate::expand_locations(std::slice::from_ref(pattern))?),
        }
    }
    Ok(inputs)
}
