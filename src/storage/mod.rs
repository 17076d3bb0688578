//! Where archives live: a local path, or an object in a store named by a URL
//! (`s3://bucket/prefix/name.pgsnap`, `gs://bucket/...`, `az://container/...`). This module owns parsing locations,
//! building stores from the environment (the `object_store` crate: it signs,
//! retries and pages), positioned reads of an object (ranged GETs) for the
//! archive reader, and writing an object as a multipart upload that becomes
//! visible only when completed.
//!
//! The archive code is synchronous (it runs on rayon and blocking threads), so
//! the store adapters carry a Tokio runtime handle and block on it ([`block`]:
//! from a runtime worker thread through `block_in_place`, which needs the
//! multi-threaded runtime the binary runs).

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{MultipartUpload, ObjectStore, PutPayload, RetryConfig};
use tokio::runtime::Handle;

use crate::archive::Source;

/// Runs `f` to completion from synchronous code, wherever that code runs.
pub fn block<F: std::future::Future>(handle: &Handle, f: F) -> F::Output {
    if Handle::try_current().is_ok() {
        tokio::task::block_in_place(|| handle.block_on(f))
    } else {
        handle.block_on(f)
    }
}

/// A storage failure, with what to do about it.
#[derive(Debug)]
pub struct StorageError(String);

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StorageError {}

impl StorageError {
    fn store(url: &str, e: object_store::Error) -> Self {
        let hint = match &e {
            object_store::Error::NotFound { .. } => "; check the bucket and the object's name",
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => {
                "; check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE) and the bucket's policy"
            }
            _ => "",
        };
        StorageError(format!("{url}: {e}{hint}"))
    }
}

/// An object in a store.
#[derive(Clone)]
pub struct ObjectLocation {
    /// The URL as the user wrote it.
    pub url: String,
    pub store: Arc<dyn ObjectStore>,
    pub path: ObjectPath,
}

impl fmt::Debug for ObjectLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// Where an archive is read from or written to.
#[derive(Debug, Clone)]
pub enum Location {
    Local(PathBuf),
    Object(ObjectLocation),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::Object(o) => f.write_str(&o.url),
        }
    }
}

/// Whether `s` names an object store rather than a local path.
pub fn is_url(s: &str) -> bool {
    s.contains("://") && !s.starts_with("file://")
}

impl Location {
    /// Parses a path or URL; `timeout` bounds each storage request.
    pub fn parse(s: &str, timeout: Duration) -> Result<Location, StorageError> {
        if let Some(path) = s.strip_prefix("file://") {
            return Ok(Location::Local(PathBuf::from(path)));
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Ok(Location::Local(PathBuf::from(s)));
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StorageError(format!("{s}: the URL names no bucket")));
        }
        match scheme {
            "s3" | "s3a" => object(s, key, s3_store(bucket, timeout)),
            "gs" => object(s, key, gcs_store(bucket, timeout)),
            "az" | "azure" => object(s, key, azure_store(bucket, timeout)),
            other => Err(StorageError(format!(
                "{s}: unknown scheme {other}://; use a path, file://, s3://, gs:// or az://"
            ))),
        }
    }
}

fn object(
    url: &str,
    key: &str,
    store: Result<Arc<dyn ObjectStore>, object_store::Error>,
) -> Result<Location, StorageError> {
    let store = store.map_err(|e| StorageError(format!("{url}: cannot set up the store: {e}")))?;
    let path =
        ObjectPath::parse(key).map_err(|e| StorageError(format!("{url}: bad object name: {e}")))?;
    Ok(Location::Object(ObjectLocation {
        url: url.to_string(),
        store,
        path,
    }))
}

fn client_options(timeout: Duration, allow_http: bool) -> object_store::ClientOptions {
    object_store::ClientOptions::new()
        .with_timeout(timeout)
        .with_connect_timeout(Duration::from_secs(10))
        .with_allow_http(allow_http)
}

fn retry(timeout: Duration) -> RetryConfig {
    RetryConfig {
        max_retries: 5,
        retry_timeout: timeout.max(Duration::from_secs(10)) * 3,
        ..RetryConfig::default()
    }
}

/// A Google Cloud Storage bucket from the standard environment
/// (`GOOGLE_APPLICATION_CREDENTIALS`, `GOOGLE_SERVICE_ACCOUNT`, ...).
fn gcs_store(bucket: &str, timeout: Duration) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    Ok(Arc::new(
        GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(bucket)
            .with_retry(retry(timeout))
            .with_client_options(client_options(timeout, false))
            .build()?,
    ))
}

/// An Azure Blob Storage container from the standard environment
/// (`AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`, SAS, service
/// principal or managed identity variables).
fn azure_store(
    container: &str,
    timeout: Duration,
) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    Ok(Arc::new(
        MicrosoftAzureBuilder::from_env()
            .with_container_name(container)
            .with_retry(retry(timeout))
            .with_client_options(client_options(timeout, false))
            .build()?,
    ))
}

/// An S3 store for `bucket` from the standard AWS environment (credentials,
/// region, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, `AWS_PROFILE` via the
/// container and web-identity providers object_store knows).
fn s3_store(bucket: &str, timeout: Duration) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    let mut b = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_retry(retry(timeout))
        .with_client_options(client_options(
            timeout,
            std::env::var("AWS_ALLOW_HTTP").is_ok_and(|v| v.eq_ignore_ascii_case("true")),
        ));
    let profile = aws_profile();
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        if let Some(key) = profile.get("aws_access_key_id") {
            b = b.with_access_key_id(key);
        }
        if let Some(secret) = profile.get("aws_secret_access_key") {
            b = b.with_secret_access_key(secret);
        }
        if let Some(token) = profile.get("aws_session_token") {
            b = b.with_token(token);
        }
    }
    if std::env::var("AWS_ENDPOINT_URL").is_err() && std::env::var("AWS_ENDPOINT").is_err() {
        if let Some(endpoint) = profile.get("endpoint_url") {
            b = b.with_endpoint(endpoint);
        }
    }
    if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
        b = b.with_region(profile.get("region").map_or("us-east-1", String::as_str));
    }
    if std::env::var("AWS_ENDPOINT_URL").is_ok() || std::env::var("AWS_ENDPOINT").is_ok() {
        // S3-compatible servers (MinIO, a local test server) are path-style.
        let virtual_hosted = std::env::var("AWS_VIRTUAL_HOSTED_STYLE_REQUEST")
            .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
        b = b.with_virtual_hosted_style_request(virtual_hosted);
    }
    Ok(Arc::new(b.build()?))
}

/// The settings of the AWS profile in force (`AWS_PROFILE`, else `default`)
/// from the shared credentials and config files (`AWS_SHARED_CREDENTIALS_FILE`,
/// `AWS_CONFIG_FILE`, else `~/.aws/credentials` and `~/.aws/config`), the way
/// the AWS CLI reads them; the environment's own variables win over them.
fn aws_profile() -> std::collections::HashMap<String, String> {
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(default))
    };
    let mut out = std::collections::HashMap::new();
    // The config file names sections `[profile NAME]` (but `[default]`).
    let config_section = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    for (path, section) in [
        (file("AWS_CONFIG_FILE", "config"), config_section),
        (
            file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            profile.clone(),
        ),
    ] {
        if let Ok(text) = std::fs::read_to_string(&path) {
            out.extend(ini_section(&text, &section));
        }
    }
    out
}

/// The `key = value` pairs of `[section]` in an INI text.
fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
        } else if inside {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
    }
    out
}

/// Ranged reads of one object, for the archive reader.
pub struct ObjectSource {
    location: ObjectLocation,
    len: u64,
    handle: Handle,
}

impl fmt::Debug for ObjectSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectSource({}, {} bytes)", self.location.url, self.len)
    }
}

impl ObjectSource {
    /// Looks the object up (its size); call from a blocking thread.
    pub fn open(location: ObjectLocation, handle: Handle) -> Result<Self, StorageError> {
        let meta = block(&handle, location.store.head(&location.path))
            .map_err(|e| StorageError::store(&location.url, e))?;
        Ok(ObjectSource {
            len: meta.size,
            location,
            handle,
        })
    }
}

impl Source for ObjectSource {
    fn name(&self) -> String {
        self.location.url.clone()
    }

    fn size(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, n: usize) -> io::Result<Vec<u8>> {
        let end = offset + n as u64;
        if end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end of the object",
            ));
        }
        let bytes = block(
            &self.handle,
            self.location
                .store
                .get_range(&self.location.path, offset..end),
        )
        .map_err(|e| io::Error::other(StorageError::store(&self.location.url, e)))?;
        if bytes.len() != n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the store returned {} of {n} bytes", bytes.len()),
            ));
        }
        Ok(bytes.to_vec())
    }
}

/// Part size of multipart uploads: S3 takes 5 MiB to 5 GiB, and at most
/// 10,000 parts (so 16 MiB parts reach 156 GiB; larger archives grow the part).
const PART_SIZE: usize = 16 << 20;
/// Parts in flight at once: the upload's memory is about this many parts.
const PARTS_IN_FLIGHT: usize = 4;

/// An object written as a multipart upload through `std::io::Write`: memory
/// stays at a few parts, and the object exists only after [`finish`]
/// (`abort` or dropping it unfinished leaves nothing).
///
/// [`finish`]: MultipartSink::finish
pub struct MultipartSink {
    url: String,
    upload: Box<dyn MultipartUpload>,
    buf: Vec<u8>,
    part_size: usize,
    parts: usize,
    in_flight: Vec<tokio::task::JoinHandle<object_store::Result<()>>>,
    handle: Handle,
    done: bool,
}

impl MultipartSink {
    /// Starts the upload; call from a blocking thread.
    pub fn start(location: &ObjectLocation, handle: Handle) -> Result<Self, StorageError> {
        let upload = block(&handle, location.store.put_multipart(&location.path))
            .map_err(|e| StorageError::store(&location.url, e))?;
        Ok(MultipartSink {
            url: location.url.clone(),
            upload,
            buf: Vec::with_capacity(PART_SIZE),
            part_size: PART_SIZE,
            parts: 0,
            in_flight: Vec::new(),
            handle,
            done: false,
        })
    }

    fn send_part(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        // Keep under S3's 10,000 parts: double the part size every 2,000 parts.
        self.parts += 1;
        if self.parts.is_multiple_of(2000) {
            self.part_size *= 2;
        }
        let data = std::mem::replace(&mut self.buf, Vec::with_capacity(self.part_size));
        let part = self.upload.put_part(PutPayload::from(data));
        self.in_flight.push(self.handle.spawn(part));
        if self.in_flight.len() >= PARTS_IN_FLIGHT {
            let oldest = self.in_flight.remove(0);
            self.wait(oldest)?;
        }
        Ok(())
    }

    fn wait(&self, task: tokio::task::JoinHandle<object_store::Result<()>>) -> io::Result<()> {
        block(&self.handle, task)
            .map_err(io::Error::other)?
            .map_err(|e| io::Error::other(StorageError::store(&self.url, e)))
    }

    /// Uploads what is left and completes the upload: the object appears.
    pub fn finish(&mut self) -> Result<(), StorageError> {
        let res = (|| {
            self.send_part()?;
            for task in std::mem::take(&mut self.in_flight) {
                self.wait(task)?;
            }
            block(&self.handle, self.upload.complete())
                .map(|_| ())
                .map_err(|e| io::Error::other(StorageError::store(&self.url, e)))
        })();
        match res {
            Ok(()) => {
                self.done = true;
                Ok(())
            }
            Err(e) => Err(StorageError(format!(
                "{}: the upload failed and was aborted: {e}",
                self.url
            ))),
        }
    }

    /// Abandons the upload: nothing is left in the store.
    fn abort(&mut self) {
        for task in self.in_flight.drain(..) {
            task.abort();
        }
        if let Err(e) = block(&self.handle, self.upload.abort()) {
            tracing::warn!(
                "{}: could not abort the unfinished upload ({e}); the store's lifecycle rules \
                 for incomplete multipart uploads will remove its parts",
                self.url
            );
        }
    }
}

impl io::Write for MultipartSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.part_size - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == self.part_size {
            self.send_part()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for MultipartSink {
    fn drop(&mut self) {
        if !self.done {
            self.abort();
        }
    }
}

/// Writes a small object in one request (metadata beside an archive).
pub fn put(location: &ObjectLocation, data: Vec<u8>, handle: &Handle) -> Result<(), StorageError> {
    block(
        handle,
        location.store.put(&location.path, PutPayload::from(data)),
    )
    .map(|_| ())
    .map_err(|e| StorageError::store(&location.url, e))
}

impl ObjectLocation {
    /// The object named `name` beside this one (`x.pgsnap` → `x.pgsnap.json`).
    pub fn sibling(&self, suffix: &str) -> ObjectLocation {
        ObjectLocation {
            url: format!("{}{suffix}", self.url),
            store: Arc::clone(&self.store),
            path: ObjectPath::from(format!("{}{suffix}", self.path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_are_read_like_the_aws_cli() {
        let text = "[default]\naws_access_key_id = A\n# comment\n[profile backup]\nregion = eu-west-1\nAWS_Secret_Access_Key=S\n";
        assert_eq!(
            ini_section(text, "default"),
            [("aws_access_key_id".to_string(), "A".to_string())]
        );
        assert_eq!(
            ini_section(text, "profile backup"),
            [
                ("region".to_string(), "eu-west-1".to_string()),
                ("aws_secret_access_key".to_string(), "S".to_string())
            ]
        );
        assert!(ini_section(text, "other").is_empty());
    }

    #[test]
    fn locations_parse() {
        let t = Duration::from_secs(30);
        assert!(matches!(
            Location::parse("/var/backups/x.pgsnap", t).unwrap(),
            Location::Local(p) if p == std::path::Path::new("/var/backups/x.pgsnap")
        ));
        assert!(matches!(
            Location::parse("file:///tmp/x.pgsnap", t).unwrap(),
            Location::Local(p) if p == std::path::Path::new("/tmp/x.pgsnap")
        ));
        match Location::parse("s3://bucket/nightly/x.pgsnap", t).unwrap() {
            Location::Object(o) => assert_eq!(o.path.as_ref(), "nightly/x.pgsnap"),
            other => panic!("{other:?}"),
        }
        // Without credentials GCS and Azure say what they miss; with them, the
        // object's path is the URL's.
        for url in ["gs://bucket/x.pgsnap", "az://container/x.pgsnap"] {
            match Location::parse(url, t) {
                Ok(Location::Object(o)) => assert_eq!(o.path.as_ref(), "x.pgsnap"),
                Ok(other) => panic!("{other:?}"),
                Err(e) => assert!(e.to_string().contains("cannot set up the store"), "{e}"),
            }
        }
        assert!(Location::parse("s3:///x", t)
            .unwrap_err()
            .to_string()
            .contains("no bucket"));
        assert!(Location::parse("ftp://h/x", t)
            .unwrap_err()
            .to_string()
            .contains("unknown scheme"));
        assert!(is_url("s3://b/k") && !is_url("file:///x") && !is_url("/x"));
    }
}
