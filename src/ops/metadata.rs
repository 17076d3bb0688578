//! `NAME.pgsnap.json`: what monitoring and retention know about one backup run,
//! written beside the archive after the archive is published (atomically: a
//! hidden temporary name in the same directory, mode 0600, fsync, rename).
//!
//! A failed run writes a record too, with `status: "failed"` and `error`, and
//! none of the fields that describe an archive (there is none): no `archive`,
//! no sizes, no `sha256`, no `tables`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::time::rfc3339;
use crate::engine::{BackupReport, EncryptionInfo, Error, TableStats};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Success,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub tool_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_version: Option<String>,
    /// The archive's file name (success only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    pub database: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// The connection, without password (`user@host:port/db`).
    pub host: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_seconds: f64,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<Vec<TableStats>>,
    /// Objects of kinds this version does not back up: the archive lacks them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_backed_up: Vec<String>,
    /// Who the archive is encrypted for; absent for a plain archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionInfo>,
    /// When `pgsnap verify` last found the archive sound; `null` until then.
    #[serde(default)]
    pub verified_at: Option<String>,
    /// The latest verification, whatever its result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// What the latest `pgsnap verify` of an archive found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub at: String,
    /// `offline` (every frame, checksum and stream) or `restore-check`.
    pub method: String,
    pub passed: bool,
    /// The checks and their results (`restore-check`), e.g. `"1 header, trailer
    /// and TOC checksums: pass"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Records a verification in `meta`: `verified_at` when it passed.
pub fn apply_verification(meta: &mut Metadata, v: Verification) {
    if v.passed {
        meta.verified_at = Some(v.at.clone());
    }
    meta.verification = Some(v);
}

/// Records a verification in the metadata beside `archive`, if there is one
/// (archives written with `-f` elsewhere may have none). Returns whether it did.
pub fn record_verification(archive: &Path, v: Verification) -> Result<bool, Error> {
    let path = path_for(archive);
    if !path.exists() {
        return Ok(false);
    }
    let mut meta = read(&path)?;
    apply_verification(&mut meta, v);
    write(&path, &meta)?;
    Ok(true)
}

fn seconds(from: SystemTime, to: SystemTime) -> f64 {
    let d = to.duration_since(from).unwrap_or_default().as_secs_f64();
    (d * 1000.0).round() / 1000.0
}

impl Metadata {
    /// The record of a published archive.
    pub fn success(archive: &Path, report: &BackupReport, host: String) -> Metadata {
        let ratio = if report.archive_bytes > 0 {
            let r = report.raw_bytes as f64 / report.archive_bytes as f64;
            (r * 1000.0).round() / 1000.0
        } else {
            0.0
        };
        Metadata {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            format_version: Some(report.format_version.clone()),
            archive: archive
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            database: report.database.clone(),
            server_version: Some(report.server_version.clone()),
            host,
            started_at: rfc3339(report.started_at),
            finished_at: rfc3339(report.finished_at),
            duration_seconds: seconds(report.started_at, report.finished_at),
            status: Status::Success,
            error: None,
            archive_bytes: Some(report.archive_bytes),
            raw_bytes: Some(report.raw_bytes),
            compression_ratio: Some(ratio),
            sha256: report.sha256.clone(),
            snapshot_time: Some(report.snapshot_time.clone()),
            tables: Some(report.table_stats.clone()),
            not_backed_up: report.not_backed_up.clone(),
            encryption: report.encryption.clone(),
            verified_at: None,
            verification: None,
        }
    }

    /// The record of a run that produced no archive.
    pub fn failed(
        database: String,
        host: String,
        started: SystemTime,
        finished: SystemTime,
        error: String,
    ) -> Metadata {
        Metadata {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            format_version: None,
            archive: None,
            database,
            server_version: None,
            host,
            started_at: rfc3339(started),
            finished_at: rfc3339(finished),
            duration_seconds: seconds(started, finished),
            status: Status::Failed,
            error: Some(error),
            archive_bytes: None,
            raw_bytes: None,
            compression_ratio: None,
            sha256: None,
            snapshot_time: None,
            tables: None,
            not_backed_up: Vec::new(),
            encryption: None,
            verified_at: None,
            verification: None,
        }
    }
}

/// `backups/x.pgsnap` → `backups/x.pgsnap.json`.
pub fn path_for(archive: &Path) -> PathBuf {
    let mut s = archive.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

/// Writes `meta` to `path` atomically.
pub fn write(path: &Path, meta: &Metadata) -> Result<(), Error> {
    let fail = |e: std::io::Error| {
        Error::failed(format!(
            "cannot write backup metadata {}: {e}",
            path.display()
        ))
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::failed(format!("{} is not a file name", path.display())))?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let mut json = serde_json::to_vec_pretty(meta).expect("metadata serialises");
    json.push(b'\n');
    let res = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        File::open(&dir)?.sync_all()
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.map_err(fail)
}

/// Reads a metadata file.
pub fn read(path: &Path) -> Result<Metadata, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::failed(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::failed(format!(
            "{} is not pgsnap backup metadata: {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn failed_record_round_trips_and_names_no_archive() {
        let dir = std::env::temp_dir().join(format!("pgsnap-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = path_for(&dir.join("x.pgsnap"));
        assert!(path.ends_with("x.pgsnap.json"));
        let t = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let meta = Metadata::failed(
            "shop".into(),
            "u@h:5432/shop".into(),
            t,
            t + Duration::from_millis(1500),
            "boom".into(),
        );
        write(&path, &meta).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(read(&path).unwrap(), meta);
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["status"], "failed");
        assert_eq!(v["duration_seconds"], 1.5);
        assert!(v.get("archive").is_none() && v.get("sha256").is_none());
        assert!(v["verified_at"].is_null());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
