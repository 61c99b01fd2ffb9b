//! Google Cloud Storage (feature `gcs`) and Azure Blob Storage (feature `azure`), on the
//! object_store crate's clients (tokio).
//!
//! A [`CloudStore`] serves one bucket (GCS) or container (Azure), configured from the cloud's
//! standard environment, as its own tools read it:
//!
//! | store | variables |
//! |---|---|
//! | GCS | `GOOGLE_APPLICATION_CREDENTIALS` (a service-account or authorized-user file), else the application default credentials (`~/.config/gcloud/application_default_credentials.json`), else the metadata server; `GOOGLE_SERVICE_ACCOUNT` / `GOOGLE_SERVICE_ACCOUNT_KEY` (a key's path, or its JSON); `STORAGE_EMULATOR_HOST` (`host:port` or a URL: an emulator, no credentials sent) |
//! | Azure | `AZURE_STORAGE_CONNECTION_STRING` (`AccountName`, `AccountKey`, `SharedAccessSignature`, `BlobEndpoint`, `DefaultEndpointsProtocol`, `EndpointSuffix`, `UseDevelopmentStorage`); `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`, `AZURE_STORAGE_SAS_TOKEN`, `AZURE_STORAGE_TOKEN`; the service principal's `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_TENANT_ID`, workload and managed identity; `AZURE_STORAGE_USE_EMULATOR=true` (Azurite, at `AZURITE_BLOB_STORAGE_URL` or `http://127.0.0.1:10000`) |
//!
//! Variables set one by one win over the connection string: a credential set on its own
//! replaces the connection string's, and an account other than the connection string's (set
//! by `AZURE_STORAGE_ACCOUNT_NAME`, or named by an `abfss://` location, which wins over both)
//! leaves the connection string out. A connection string without `AccountName` (a SAS one)
//! is of the account its `BlobEndpoint` names. Client settings object_store reads
//! (`AZURE_ALLOW_HTTP`, `GOOGLE_PROXY_URL`, ...) apply too.
//!
//! - [`CloudStore::get`] streams an object; a read cut part-way goes on with a range request
//!   pinned to the object's ETag (object_store's retrying stream, then ours, without limit on
//!   a read as a whole), so every byte comes once and an object replaced in between fails
//!   loudly.
//! - Throttling and server errors are retried with exponential backoff,
//!   [`CloudOptions::retries`] times at most.
//! - [`CloudStore::read_range`] reads a byte range, for formats that read at offsets.
//! - [`CloudStore::list`] lists names by glob (`logs/2024-*.jsonl.gz`).
//! - [`CloudStore::create`] writes an object by multipart upload (GCS's XML API) or block
//!   upload (Azure) in parts of [`CloudOptions::part_size`], four at once; the object appears
//!   only when the upload completes, at shutdown. An error, or an upload dropped before its
//!   shutdown, aborts it: GCS drops the parts; Azure has no abort, and drops the blocks of a
//!   blob never committed after a week.
//!
//! Errors name the location (`gs://bucket/key`, `az://container/key`) and never a credential.
//!
//! GCS is reached through its XML API, which object_store's client speaks: an emulator that
//! serves only the JSON API (gcp-storage-emulator) cannot stand in for it;
//! [fake-gcs-server](https://github.com/fsouza/fake-gcs-server) and S3-compatible XML servers
//! can.

use crate::RemoteBody;
use crate::upload::{Message, RemoteUpload};
use bytes::Bytes;
use futures_util::StreamExt;
use iterable_core::{Error, ErrorKind, Result};
use object_store::path::Path;
use object_store::{
    Attribute, BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt,
    RetryConfig,
};
use std::sync::Arc;
use std::time::Duration;

/// The smallest part GCS accepts in a multipart upload, but for the last.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// Parts uploaded at once.
const PARTS_IN_FLIGHT: usize = 4;

/// How a cloud store is reached and how reads and writes go.
#[derive(Debug, Clone)]
pub struct CloudOptions {
    /// Attempts after the first, for one request (throttling, 5xx, a failed connection) and
    /// for resuming one broken read, at most.
    pub retries: u32,
    /// The first wait before a retry; it doubles each time, up to 20 s.
    pub backoff: Duration,
    /// The size of the parts of an upload, at least [`MIN_PART_SIZE`]; it doubles after every
    /// 2,000 parts (GCS takes 10,000 at most).
    pub part_size: usize,
    /// How long a read may wait for its next bytes before it is resumed (there is no limit
    /// on a whole transfer, which takes as long as the object is big).
    pub read_timeout: Duration,
}

impl Default for CloudOptions {
    fn default() -> Self {
        CloudOptions {
            retries: 5,
            backoff: Duration::from_millis(100),
            part_size: 8 * 1024 * 1024,
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// A client for one bucket or container: cheap to clone, used for any number of reads and
/// writes at once.
#[derive(Clone, Debug)]
pub struct CloudStore {
    store: Arc<dyn ObjectStore>,
    /// `gs://bucket` or `az://container`, which names the store's objects in messages.
    shown: String,
    options: CloudOptions,
}

impl CloudStore {
    /// A client for the bucket or container of `location` (a [`crate::Location::Gcs`] or
    /// [`crate::Location::Azure`]), configured from the environment (see the module docs).
    /// Credentials are looked up at the first request, not here.
    pub fn connect(location: &crate::Location, options: &CloudOptions) -> Result<CloudStore> {
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: options.backoff,
                max_backoff: Duration::from_secs(20),
                base: 2.0,
            },
            max_retries: options.retries as usize,
            // Per request; a read that breaks off is resumed by `Read` when object_store's
            // own resumption, bound by this, gives up.
            retry_timeout: Duration::from_secs(180),
        };
        let client = ClientOptions::new()
            .with_timeout_disabled()
            .with_read_timeout(options.read_timeout);
        // `gs://bucket`, `az://container`: what names the store's objects in messages.
        let shown = location.with_object_key(String::new()).to_string();
        let shown = shown.trim_end_matches('/').to_owned();
        let store: Result<Arc<dyn ObjectStore>> = match location {
            #[cfg(feature = "gcs")]
            crate::Location::Gcs { bucket, .. } => {
                gcs(bucket, retry, client).map(|s| Arc::new(s) as _)
            }
            #[cfg(feature = "azure")]
            crate::Location::Azure {
                account,
                suffix,
                container,
                ..
            } => {
                let account = account.as_deref().map(|name| (name, suffix.as_deref()));
                azure(account, container, retry, client).map(|s| Arc::new(s) as _)
            }
            other => return Err(crate::remote::unsupported(other)),
        };
        let store = store.map_err(|e| e.with_location(shown.clone()))?;
        Ok(CloudStore {
            store,
            shown,
            options: options.clone(),
        })
    }

    /// A client on a store configured by the caller; `shown` (`gs://bucket`) names its objects
    /// in messages.
    pub fn with_store(store: Arc<dyn ObjectStore>, shown: &str, options: &CloudOptions) -> Self {
        CloudStore {
            store,
            shown: shown.to_owned(),
            options: options.clone(),
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// `gs://bucket/key`, for messages.
    fn located(&self, key: &str) -> String {
        format!("{}/{key}", self.shown)
    }

    /// The object's path in the store; a key object_store cannot take (an empty segment,
    /// `.` or `..`) is an error.
    fn path(&self, key: &str) -> Result<Path> {
        Path::parse(key).map_err(|e| {
            Error::new(ErrorKind::InvalidRecord, format!("not an object name: {e}"))
                .with_location(self.located(key))
        })
    }

    /// Starts reading the object `key`.
    pub async fn get(&self, key: &str) -> Result<RemoteBody> {
        let path = self.path(key)?;
        let got = self
            .store
            .get_opts(&path, GetOptions::default())
            .await
            .map_err(|e| store_error(&self.located(key), e))?;
        let attribute = |name: &Attribute| got.attributes.get(name).map(|v| v.to_string());
        let content_type = attribute(&Attribute::ContentType);
        let content_encoding = attribute(&Attribute::ContentEncoding);
        let (size, etag) = (got.meta.size, got.meta.e_tag.clone());
        let read = Read {
            store: self.clone(),
            located: self.located(key),
            path,
            etag: etag.clone(),
            size,
            delivered: 0,
            body: Some(got.into_stream()),
        };
        Ok(RemoteBody {
            content_type,
            content_encoding,
            size: Some(size),
            etag,
            serves_ranges: true,
            stream: RemoteBody::from_chunks(read),
        })
    }

    /// What the store says of the object `key` (its size and ETag) without its bytes: the
    /// body is empty.
    pub async fn describe(&self, key: &str) -> Result<RemoteBody> {
        let path = self.path(key)?;
        let meta = self
            .store
            .head(&path)
            .await
            .map_err(|e| store_error(&self.located(key), e))?;
        Ok(RemoteBody {
            content_type: None,
            content_encoding: None,
            size: Some(meta.size),
            etag: meta.e_tag,
            serves_ranges: true,
            stream: Box::pin(futures_util::stream::empty()),
        })
    }

    /// The bytes `range` of the object `key`, of its version tagged `etag` when given (a
    /// read of an object replaced since is an error); the range must lie within the object.
    pub async fn read_range(
        &self,
        key: &str,
        range: std::ops::Range<u64>,
        etag: Option<&str>,
    ) -> Result<Bytes> {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let path = self.path(key)?;
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            if_match: etag.map(str::to_owned),
            ..GetOptions::default()
        };
        let located = self.located(key);
        let got = self
            .store
            .get_opts(&path, options)
            .await
            .map_err(|e| store_error(&located, e))?;
        got.bytes().await.map_err(|e| store_error(&located, e))
    }

    /// The names in the store that match `pattern`, sorted, as [`crate::s3::S3Store::list`]
    /// lists them: a glob listed by the folder before its first wildcard; a pattern without
    /// wildcards is returned as it is; one that matches nothing is an error.
    pub async fn list(&self, pattern: &str) -> Result<Vec<String>> {
        let located = || self.located(pattern);
        let Some(glob) = crate::inputs::KeyGlob::new(pattern, &located())? else {
            return Ok(vec![pattern.to_owned()]);
        };
        let folder = glob.folder();
        let folder = (!folder.is_empty()).then(|| Path::from(folder));
        let mut listing = self.store.list(folder.as_ref());
        let mut keys = Vec::new();
        while let Some(meta) = listing.next().await {
            let key = meta.map_err(|e| store_error(&located(), e))?.location;
            if glob.matches(key.as_ref()) {
                keys.push(key.to_string());
            }
        }
        glob.found(keys, &located())
    }

    /// Starts writing the object `key`: it appears when the returned upload is shut down
    /// (`AsyncWriteExt::shutdown`). Must be called within a tokio runtime, which runs the
    /// upload.
    pub fn create(&self, key: &str) -> RemoteUpload {
        let store = self.clone();
        let key = key.to_owned();
        let part_size = self.options.part_size.max(MIN_PART_SIZE);
        RemoteUpload::spawn(part_size, true, move |received| async move {
            store.upload(&key, received).await
        })
    }

    /// Uploads the parts `received` brings, completing the object at their end; aborts the
    /// upload on an error or when the sending side goes away first.
    async fn upload(
        &self,
        key: &str,
        mut received: tokio::sync::mpsc::Receiver<Message>,
    ) -> Result<()> {
        let located = self.located(key);
        let path = self.path(key)?;
        let mut upload = self
            .store
            .put_multipart(&path)
            .await
            .map_err(|e| store_error(&located, e))?;
        let mut in_flight = tokio::task::JoinSet::new();
        let outcome: Result<()> = async {
            loop {
                let (part, last) = match received.recv().await {
                    Some(Message::Part(part)) => (part, false),
                    Some(Message::Finish(part)) => (part, true),
                    None => {
                        return Err(Error::new(
                            ErrorKind::Remote,
                            "the upload was dropped before it was finished: nothing was written",
                        ));
                    }
                };
                if !part.is_empty() {
                    in_flight.spawn(upload.put_part(part.into()));
                }
                while in_flight.len() >= PARTS_IN_FLIGHT || (last && !in_flight.is_empty()) {
                    let done = in_flight.join_next().await.expect("a part in flight");
                    done.map_err(|e| Error::new(ErrorKind::Remote, e.to_string()))?
                        .map_err(|e| store_error(&located, e))?;
                }
                if last {
                    upload
                        .complete()
                        .await
                        .map_err(|e| store_error(&located, e))?;
                    return Ok(());
                }
            }
        }
        .await;
        if outcome.is_err() {
            in_flight.abort_all();
            let _ = upload.abort().await;
        }
        outcome.map_err(|e| e.with_location(located))
    }
}

/// One object being read. object_store resumes a cut read itself, but counts its retries
/// over the whole read and stops resuming after its retry timeout (minutes): when it gives
/// up, the read goes on from the last byte delivered with a request of its own, pinned to
/// the object's ETag, [`CloudOptions::retries`] times in a row without progress at most.
struct Read {
    store: CloudStore,
    located: String,
    path: Path,
    /// The first answer's ETag, which pins every later request to the same version.
    etag: Option<String>,
    size: u64,
    delivered: u64,
    body: Option<futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>>,
}

impl Read {
    /// Asks for the rest of the object, of the version first read.
    async fn resume(&mut self) -> Result<()> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(self.delivered..self.size)),
            if_match: self.etag.clone(),
            ..GetOptions::default()
        };
        let got = (self.store.store.get_opts(&self.path, options).await)
            .map_err(|e| store_error(&self.located, e))?;
        // A store that ignores If-Match or Range must not splice bytes silently.
        if self.etag.is_some() && got.meta.e_tag != self.etag {
            return Err(Error::new(ErrorKind::Remote, OBJECT_CHANGED).with_location(&self.located));
        }
        if got.range.start != self.delivered {
            let message = format!(
                "asked for the object from byte {}, the store answered from byte {}",
                self.delivered, got.range.start
            );
            return Err(Error::new(ErrorKind::Remote, message).with_location(&self.located));
        }
        self.body = Some(got.into_stream());
        Ok(())
    }
}

impl crate::body::ChunkSource for Read {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        let mut resumes = 0;
        loop {
            let Some(body) = self.body.as_mut() else {
                if self.delivered >= self.size {
                    return Ok(None);
                }
                self.resume().await?;
                continue;
            };
            match body.next().await {
                Some(Ok(chunk)) => {
                    self.delivered += chunk.len() as u64;
                    return Ok(Some(chunk));
                }
                None if self.delivered >= self.size => return Ok(None),
                cut => {
                    self.body = None;
                    resumes += 1;
                    if resumes > self.store.options.retries {
                        let why = match cut {
                            Some(Err(error)) => format!(": {}", crate::body::causes(&error)),
                            _ => String::new(),
                        };
                        let message = format!(
                            "the read keeps breaking off (at byte {}){why}",
                            self.delivered
                        );
                        return Err(
                            Error::new(ErrorKind::Remote, message).with_location(&self.located)
                        );
                    }
                    let wait = crate::body::backoff(self.store.options.backoff, resumes);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// What a read pinned to an ETag says when the object was replaced under it.
const OBJECT_CHANGED: &str = "the object changed while it was read (its ETag no longer matches)";

/// The error for a failed request: what went wrong, in words; never a credential (object_store
/// keeps signatures and SAS tokens out of its messages).
fn store_error(location: &str, error: object_store::Error) -> Error {
    let message = match &error {
        object_store::Error::NotFound { .. } => "no such object".to_owned(),
        object_store::Error::Precondition { .. } => OBJECT_CHANGED.to_owned(),
        _ => crate::body::causes(&error),
    };
    Error::new(ErrorKind::Remote, message).with_location(location.to_owned())
}

/// The process's variables whose names start with `prefix`, their names in lower case (as
/// object_store's configuration keys): those whose name or value is not UTF-8 are left out,
/// as object_store's own `from_env` leaves them.
#[cfg(any(feature = "gcs", feature = "azure"))]
fn variables(prefix: &str) -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect()
}

/// A GCS client for `bucket`, configured from the `GOOGLE_*` variables, the application
/// default credentials or the metadata server. `STORAGE_EMULATOR_HOST` sends it to an
/// emulator, unsigned.
#[cfg(feature = "gcs")]
fn gcs(
    bucket: &str,
    retry: RetryConfig,
    client: ClientOptions,
) -> Result<object_store::gcp::GoogleCloudStorage> {
    use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
    // Ours first, so that the variables' client settings (a proxy, say) win.
    let mut builder = GoogleCloudStorageBuilder::new().with_client_options(client);
    if let Ok(path) = std::env::var("SERVICE_ACCOUNT") {
        builder = builder.with_service_account_path(path);
    }
    for (name, value) in variables("GOOGLE_") {
        if let Ok(key) = name.parse::<GoogleConfigKey>() {
            builder = builder.with_config(key, value);
        }
    }
    builder = builder.with_bucket_name(bucket).with_retry(retry);
    let emulator = std::env::var("STORAGE_EMULATOR_HOST").ok();
    if let Some(host) = emulator.as_deref().filter(|host| !host.is_empty()) {
        let url = match host.contains("://") {
            true => host.trim_end_matches('/').to_owned(),
            false => format!("http://{host}"),
        };
        // No credential goes to an emulator. (object_store's uploads fetch one even with
        // `skip_signature`, from the metadata server: an empty one stands in.)
        let none = object_store::gcp::GcpCredential {
            bearer: String::new(),
        };
        let plain_http = url.starts_with("http://").to_string();
        builder = builder
            .with_base_url(&url)
            .with_skip_signature(true)
            .with_credentials(Arc::new(object_store::StaticCredentialProvider::new(none)))
            .with_config(
                GoogleConfigKey::Client(object_store::ClientConfigKey::AllowHttp),
                plain_http,
            );
    }
    builder.build().map_err(configuration_error)
}

/// An Azure client for `container`, of `account` (its name and endpoint suffix, when not the
/// public cloud's) when the location names it, configured from
/// `AZURE_STORAGE_CONNECTION_STRING` and the `AZURE_*` variables, which win over it: a
/// credential set on its own replaces the connection string's, and an account named other
/// than the connection string's leaves the connection string out.
#[cfg(feature = "azure")]
fn azure(
    account: Option<(&str, Option<&str>)>,
    container: &str,
    retry: RetryConfig,
    client: ClientOptions,
) -> Result<object_store::azure::MicrosoftAzure> {
    use object_store::azure::{AzureConfigKey as Key, MicrosoftAzureBuilder};
    let connection = match std::env::var_os("AZURE_STORAGE_CONNECTION_STRING") {
        Some(text) => Some(ConnectionString::parse(text.to_str().ok_or_else(
            || {
                Error::new(
                    ErrorKind::Unsupported,
                    "AZURE_STORAGE_CONNECTION_STRING is not UTF-8",
                )
            },
        )?)?),
        None => None,
    };
    let settings: Vec<(Key, String)> = variables("AZURE_")
        .into_iter()
        .filter_map(|(name, value)| Some((name.parse::<Key>().ok()?, value)))
        .collect();
    let is_credential = |key: &Key| {
        matches!(
            key,
            Key::AccessKey
                | Key::SasKey
                | Key::Token
                | Key::ClientId
                | Key::ClientSecret
                | Key::FederatedTokenFile
                | Key::UseAzureCli
                | Key::MsiEndpoint
        )
    };
    let has_credential = settings.iter().any(|(key, _)| is_credential(key));
    let named = account.map(|(name, _)| name.to_owned()).or_else(|| {
        settings
            .iter()
            .find(|(key, _)| matches!(key, Key::AccountName))
            .map(|(_, name)| name.clone())
    });
    // Ours first, so that the variables' client settings (a proxy, say) win.
    let mut builder = MicrosoftAzureBuilder::new().with_client_options(client);
    if let Some(connection) = connection
        && (named.is_none() || connection.account.is_none() || named == connection.account)
    {
        for (key, value) in connection.config {
            if !(has_credential && is_credential(&key)) {
                builder = builder.with_config(key, value);
            }
        }
        if connection.plain_http {
            let plain = Key::Client(object_store::ClientConfigKey::AllowHttp);
            builder = builder.with_config(plain, "true");
        }
    }
    for (key, value) in settings {
        builder = builder.with_config(key, value);
    }
    if let Ok(endpoint) = std::env::var("MSI_ENDPOINT") {
        builder = builder.with_msi_endpoint(endpoint);
    }
    if let Some((name, suffix)) = account {
        builder = builder.with_account(name);
        if let Some(suffix) = suffix {
            builder = builder.with_endpoint(format!("https://{name}.blob.{suffix}"));
        }
    }
    builder
        .with_container_name(container)
        .with_retry(retry)
        .build()
        .map_err(configuration_error)
}

/// The settings of an Azure storage connection string (`Key=Value;...`), as the Azure tools
/// read it.
#[cfg(feature = "azure")]
struct ConnectionString {
    config: Vec<(object_store::azure::AzureConfigKey, String)>,
    /// The account it is of: its `AccountName`, or the one its endpoint names.
    account: Option<String>,
    /// Whether the endpoint is plain `http://` (an emulator's).
    plain_http: bool,
}

#[cfg(feature = "azure")]
impl ConnectionString {
    fn parse(text: &str) -> Result<ConnectionString> {
        use object_store::azure::AzureConfigKey as Key;
        let mut config = Vec::new();
        let (mut protocol, mut suffix, mut endpoint, mut account) = (None, None, None, None);
        let mut plain_http = false;
        for setting in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((name, value)) = setting.split_once('=') else {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "AZURE_STORAGE_CONNECTION_STRING is not a list of Name=value settings",
                ));
            };
            // Names are matched without case, as the Azure SDKs do; values are never shown.
            match name.trim().to_ascii_lowercase().as_str() {
                "accountname" => {
                    account = Some(value.to_owned());
                    config.push((Key::AccountName, value.to_owned()));
                }
                "accountkey" => config.push((Key::AccessKey, value.to_owned())),
                "sharedaccesssignature" => config.push((Key::SasKey, value.to_owned())),
                "blobendpoint" => endpoint = Some(value.trim_end_matches('/').to_owned()),
                "defaultendpointsprotocol" => protocol = Some(value.to_ascii_lowercase()),
                "endpointsuffix" => suffix = Some(value.to_owned()),
                "usedevelopmentstorage" if value.eq_ignore_ascii_case("true") => {
                    config.push((Key::UseEmulator, "true".to_owned()));
                    plain_http = true;
                }
                // The other services' endpoints, and settings the blob client has no use for.
                _ => {}
            }
        }
        let endpoint = endpoint.or_else(|| {
            let account = account.as_ref()?;
            let protocol = protocol.as_deref().unwrap_or("https");
            let suffix = suffix.as_deref().unwrap_or("core.windows.net");
            (suffix != "core.windows.net" || protocol != "https")
                .then(|| format!("{protocol}://{account}.blob.{suffix}"))
        });
        if let Some(endpoint) = endpoint {
            plain_http |= endpoint.starts_with("http://");
            // Without an AccountName (a SAS connection string), the endpoint names the account,
            // as the Azure SDKs read it: `https://ACCOUNT.blob...`, or an emulator's
            // `http://127.0.0.1:10000/ACCOUNT`.
            if account.is_none() {
                account = account_of_endpoint(&endpoint);
                if let Some(account) = &account {
                    config.push((Key::AccountName, account.clone()));
                }
            }
            config.push((Key::Endpoint, endpoint));
        }
        Ok(ConnectionString {
            config,
            account,
            plain_http,
        })
    }
}

/// The account a blob endpoint names: the first label of `ACCOUNT.blob.HOST`, else the first
/// segment of its path (path-style, as emulators serve).
#[cfg(feature = "azure")]
fn account_of_endpoint(endpoint: &str) -> Option<String> {
    let (_, host, path) = crate::location::url_parts(endpoint);
    let host = host.split(':').next().unwrap_or(host);
    let named = match host.split_once(".blob.") {
        Some((account, _)) => account,
        None => path.trim_start_matches('/').split('/').next().unwrap_or(""),
    };
    (!named.is_empty()).then(|| named.to_owned())
}

/// The error for a client that cannot be configured: object_store's words, which name the
/// setting and not its value.
#[cfg(any(feature = "gcs", feature = "azure"))]
fn configuration_error(error: object_store::Error) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!(
            "cannot configure the client: {}",
            crate::body::causes(&error)
        ),
    )
}

#[cfg(all(test, feature = "azure"))]
mod tests {
    use super::*;
    use object_store::azure::AzureConfigKey as Key;

    #[test]
    fn connection_strings_as_azure_reads_them() {
        let read = |text: &str| ConnectionString::parse(text).unwrap();
        let emulator = read(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;\
             BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;QueueEndpoint=http://q;",
        );
        assert!(emulator.plain_http);
        assert_eq!(
            emulator.config,
            vec![
                (Key::AccountName, "devstoreaccount1".to_owned()),
                (Key::AccessKey, "a2V5".to_owned()),
                (
                    Key::Endpoint,
                    "http://127.0.0.1:10000/devstoreaccount1".to_owned()
                ),
            ]
        );
        let cloud = read(
            "accountname=acct;SharedAccessSignature=sv=1&sig=x%3D;EndpointSuffix=core.chinacloudapi.cn",
        );
        assert!(!cloud.plain_http);
        assert_eq!(
            cloud.config,
            vec![
                (Key::AccountName, "acct".to_owned()),
                (Key::SasKey, "sv=1&sig=x%3D".to_owned()),
                (
                    Key::Endpoint,
                    "https://acct.blob.core.chinacloudapi.cn".to_owned()
                ),
            ]
        );
        let sas_only =
            read("BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=1");
        assert_eq!(sas_only.config[1], (Key::AccountName, "acct".to_owned()));
        let emulated =
            read("BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;SharedAccessSignature=s");
        assert_eq!(
            emulated.config[1],
            (Key::AccountName, "devstoreaccount1".to_owned())
        );
        let default = read("AccountName=acct;AccountKey=k==");
        assert_eq!(
            default.config.len(),
            2,
            "the default endpoint is object_store's own"
        );
        assert!(read("UseDevelopmentStorage=true").plain_http);
        let bad = ConnectionString::parse("AccountKey").err().unwrap();
        assert!(bad.to_string().contains("Name=value"), "{bad}");
    }
}
