//! The backups of a directory or store prefix: every `*.pgsnap` and
//! `*.pgsnap.json` paired by name, plus leftover temporary files
//! (`.NAME.partial-PID`, local only). Newest first.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::metadata::{self, Status};
use super::place::{BackupDir, Item};
use super::time::{human_age, parse_rfc3339, rfc3339};
use crate::engine::Error;

/// What a directory entry says about one backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Metadata says success and the archive is there.
    Success,
    /// A failed run's record (no archive).
    Failed,
    /// An archive without (readable) metadata; it counts as a backup.
    Unknown,
    /// Metadata says success but the archive is gone.
    Missing,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Success => "success",
            State::Failed => "failed",
            State::Unknown => "unknown",
            State::Missing => "missing",
        }
    }

    /// An archive that retention may keep (and must keep the newest of).
    pub fn is_archive(self) -> bool {
        matches!(self, State::Success | State::Unknown)
    }
}

#[derive(Debug, Clone)]
pub struct Backup {
    /// The archive's file name, `NAME.pgsnap`.
    pub name: String,
    /// Start of the run (from the metadata), else the archive's modification time.
    pub time: SystemTime,
    pub state: State,
    pub archive: Option<PathBuf>,
    pub metadata: Option<PathBuf>,
    /// The archive's size in bytes (0 without one).
    pub size: u64,
    pub verified_at: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Newest first.
    pub backups: Vec<Backup>,
    /// Temporary files with their modification times.
    pub partials: Vec<(PathBuf, SystemTime)>,
}

/// Reads `dir`. A missing directory is a usage error.
pub fn scan(dir: &Path) -> Result<Inventory, Error> {
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "backup directory {} does not exist or is not a directory",
            dir.display()
        )));
    }
    let rd = std::fs::read_dir(dir)
        .map_err(|e| Error::failed(format!("cannot read {}: {e}", dir.display())))?;
    let mut names = std::collections::BTreeSet::new();
    let mut inv = Inventory::default();
    for entry in rd {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".partial-") {
            let mtime = entry.metadata()?.modified()?;
            inv.partials.push((entry.path(), mtime));
        } else if name.starts_with('.') {
            continue;
        } else if let Some(base) = name.strip_suffix(".json") {
            if base.ends_with(".pgsnap") {
                names.insert(base.to_string());
            }
        } else if name.ends_with(".pgsnap") {
            names.insert(name);
        }
    }
    for name in names {
        inv.backups.push(load(dir, name)?);
    }
    inv.backups
        .sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.name.cmp(&a.name)));
    inv.partials.sort();
    Ok(inv)
}

/// Reads a directory or a store prefix.
pub fn scan_dir(dir: &BackupDir) -> Result<Inventory, Error> {
    let BackupDir::Store(_) = dir else {
        let BackupDir::Local(path) = dir else {
            unreachable!()
        };
        return scan(path);
    };
    let items = dir.list_store()?;
    let by_name: std::collections::HashMap<&str, &Item> =
        items.iter().map(|i| (i.name.as_str(), i)).collect();
    let names: std::collections::BTreeSet<&str> = items
        .iter()
        .filter_map(|i| {
            let n = i.name.as_str();
            n.strip_suffix(".json")
                .filter(|b| b.ends_with(".pgsnap"))
                .or_else(|| n.ends_with(".pgsnap").then_some(n))
        })
        .collect();
    let mut inv = Inventory::default();
    for name in names {
        let json_name = format!("{name}.json");
        let archive = by_name.get(name).copied();
        let json = by_name.get(json_name.as_str()).copied();
        let meta = json.and_then(|_| match dir.read(&json_name) {
            Ok(bytes) => serde_json::from_slice::<metadata::Metadata>(&bytes)
                .map_err(|e| tracing::warn!("{json_name} is not pgsnap backup metadata: {e}"))
                .ok(),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        });
        let state = match (&meta, archive) {
            (Some(m), _) if m.status == Status::Failed => State::Failed,
            (Some(_), Some(_)) => State::Success,
            (Some(_), None) => State::Missing,
            (None, _) => State::Unknown,
        };
        let time = meta
            .as_ref()
            .and_then(|m| parse_rfc3339(&m.started_at))
            .or_else(|| archive.map(|a| a.modified))
            .or_else(|| json.map(|j| j.modified))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let url = |n: &str| PathBuf::from(dir.join(n).to_string());
        inv.backups.push(Backup {
            name: name.to_string(),
            time,
            state,
            size: archive.map(|a| a.size).unwrap_or(0),
            archive: archive.map(|_| url(name)),
            metadata: json.map(|_| url(&json_name)),
            verified_at: meta.as_ref().and_then(|m| m.verified_at.clone()),
            error: meta.and_then(|m| m.error),
        });
    }
    inv.backups
        .sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.name.cmp(&a.name)));
    Ok(inv)
}

fn load(dir: &Path, name: String) -> Result<Backup, Error> {
    let archive = dir.join(&name);
    let meta_path = metadata::path_for(&archive);
    let archive_meta = std::fs::metadata(&archive).ok().filter(|m| m.is_file());
    let meta = if meta_path.exists() {
        match metadata::read(&meta_path) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        }
    } else {
        None
    };
    let state = match (&meta, &archive_meta) {
        (Some(m), _) if m.status == Status::Failed => State::Failed,
        (Some(_), Some(_)) => State::Success,
        (Some(_), None) => State::Missing,
        (None, _) => State::Unknown,
    };
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let time = meta
        .as_ref()
        .and_then(|m| parse_rfc3339(&m.started_at))
        .or_else(|| archive_meta.as_ref().and_then(|m| m.modified().ok()))
        .or_else(|| mtime(&meta_path))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(Backup {
        name,
        time,
        state,
        size: archive_meta.as_ref().map(|m| m.len()).unwrap_or(0),
        archive: archive_meta.map(|_| archive),
        metadata: meta_path.exists().then_some(meta_path),
        verified_at: meta.as_ref().and_then(|m| m.verified_at.clone()),
        error: meta.and_then(|m| m.error),
    })
}

/// `12.3 MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl Inventory {
    /// A table for people: name, age, size, status, verified-at.
    pub fn render(&self, now: SystemTime) -> String {
        let mut rows = vec![[
            "NAME".to_string(),
            "AGE".into(),
            "SIZE".into(),
            "STATUS".into(),
            "VERIFIED".into(),
        ]];
        for b in &self.backups {
            rows.push([
                b.name.clone(),
                human_age(now.duration_since(b.time).unwrap_or_default()),
                if b.archive.is_some() {
                    human_size(b.size)
                } else {
                    "-".into()
                },
                b.state.as_str().into(),
                b.verified_at.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        let widths: Vec<usize> = (0..5)
            .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for r in rows {
            let line: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
        }
        out
    }

    /// An array of objects, newest first.
    pub fn to_json(&self, now: SystemTime) -> serde_json::Value {
        serde_json::Value::Array(
            self.backups
                .iter()
                .map(|b| {
                    serde_json::json!({
                        "name": b.name,
                        "time": rfc3339(b.time),
                        "age_seconds": now.duration_since(b.time).unwrap_or_default().as_secs(),
                        "size_bytes": b.archive.as_ref().map(|_| b.size),
                        "status": b.state.as_str(),
                        "verified_at": b.verified_at,
                        "error": b.error,
                        "archive": b.archive,
                        "metadata": b.metadata,
                    })
                })
                .collect(),
        )
    }
}
