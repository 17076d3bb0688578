//! A backup directory: a local directory or a prefix in an object store
//! (`s3://bucket/nightly/`). Listing, reading a small object and deleting
//! work the same on both; the store's calls block (see `storage::block`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;

use super::metadata::{apply_verification, Metadata, Verification};
use crate::engine::Error;
use crate::storage::{self, Location, ObjectLocation};

/// Where named backups live.
#[derive(Debug, Clone)]
pub enum BackupDir {
    Local(PathBuf),
    /// The prefix's location (its `path` is the prefix, without a trailing '/').
    Store(ObjectLocation),
}

/// One object or file of the directory.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    pub size: u64,
    pub modified: SystemTime,
}

impl BackupDir {
    /// A `--dir` value: a path, or a store URL (a prefix).
    pub fn parse(dir: &Path, timeout: std::time::Duration) -> Result<BackupDir, Error> {
        let s = dir.to_string_lossy();
        match Location::parse(s.trim_end_matches('/'), timeout)? {
            Location::Local(p) => Ok(BackupDir::Local(p)),
            Location::Object(o) => Ok(BackupDir::Store(o)),
        }
    }

    /// How messages name it.
    pub fn display(&self) -> String {
        match self {
            BackupDir::Local(p) => p.display().to_string(),
            BackupDir::Store(o) => format!("{}/", o.url.trim_end_matches('/')),
        }
    }

    /// The location of `name` in this directory.
    pub fn join(&self, name: &str) -> Location {
        match self {
            BackupDir::Local(p) => Location::Local(p.join(name)),
            BackupDir::Store(o) => Location::Object(self.object(o, name)),
        }
    }

    fn object(&self, prefix: &ObjectLocation, name: &str) -> ObjectLocation {
        let key = if prefix.path.as_ref().is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", prefix.path)
        };
        ObjectLocation {
            url: format!("{}/{name}", prefix.url.trim_end_matches('/')),
            store: prefix.store.clone(),
            path: ObjectPath::from(key),
        }
    }

    fn handle() -> Result<tokio::runtime::Handle, Error> {
        tokio::runtime::Handle::try_current()
            .map_err(|e| Error::failed(format!("no async runtime for the object store: {e}")))
    }

    /// The objects directly under the prefix (a store has no temporary files:
    /// an unfinished upload is invisible).
    pub fn list_store(&self) -> Result<Vec<Item>, Error> {
        let BackupDir::Store(o) = self else {
            return Ok(Vec::new());
        };
        let handle = Self::handle()?;
        let prefix = (!o.path.as_ref().is_empty()).then_some(&o.path);
        let listed = storage::block(&handle, async {
            let mut out = Vec::new();
            let mut stream = o.store.list(prefix);
            while let Some(meta) = stream.next().await {
                out.push(meta?);
            }
            Ok::<_, object_store::Error>(out)
        })
        .map_err(|e| Error::failed(format!("cannot list {}: {e}", self.display())))?;
        let base = o.path.as_ref();
        Ok(listed
            .into_iter()
            .filter_map(|m| {
                let key = m.location.as_ref();
                let name = if base.is_empty() {
                    key
                } else {
                    key.strip_prefix(base)?.strip_prefix('/')?
                };
                (!name.contains('/')).then(|| Item {
                    name: name.to_string(),
                    size: m.size,
                    modified: SystemTime::from(m.last_modified),
                })
            })
            .collect())
    }

    /// Reads a small object or file of the directory.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, Error> {
        match self {
            BackupDir::Local(p) => {
                let path = p.join(name);
                std::fs::read(&path)
                    .map_err(|e| Error::failed(format!("cannot read {}: {e}", path.display())))
            }
            BackupDir::Store(o) => {
                let obj = self.object(o, name);
                let handle = Self::handle()?;
                storage::block(&handle, async {
                    obj.store.get(&obj.path).await?.bytes().await
                })
                .map(|b| b.to_vec())
                .map_err(|e| Error::failed(format!("cannot read {}: {e}", obj.url)))
            }
        }
    }

    /// Records a verification in the metadata object beside an archive in a
    /// store, if there is one.
    pub fn record_verification(archive: &ObjectLocation, v: Verification) -> Result<(), Error> {
        let json = archive.sibling(".json");
        let handle = Self::handle()?;
        let bytes = match storage::block(&handle, async {
            json.store.get(&json.path).await?.bytes().await
        }) {
            Ok(b) => b,
            Err(object_store::Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(Error::failed(format!("cannot read {}: {e}", json.url))),
        };
        let mut meta: Metadata = serde_json::from_slice(&bytes).map_err(|e| {
            Error::failed(format!("{} is not pgsnap backup metadata: {e}", json.url))
        })?;
        apply_verification(&mut meta, v);
        let mut out = serde_json::to_vec_pretty(&meta).expect("metadata serialises");
        out.push(b'\n');
        Ok(storage::put(&json, out, &handle)?)
    }

    /// Deletes `name` (already gone is fine).
    pub fn delete(&self, name: &str) -> Result<(), Error> {
        match self {
            BackupDir::Local(p) => {
                let path = p.join(name);
                match std::fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(Error::failed(format!(
                        "cannot delete {}: {e}",
                        path.display()
                    ))),
                }
            }
            BackupDir::Store(o) => {
                let obj = self.object(o, name);
                let handle = Self::handle()?;
                match storage::block(&handle, obj.store.delete(&obj.path)) {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(Error::failed(format!("cannot delete {}: {e}", obj.url))),
                }
            }
        }
    }
}
