//! Offline inspection of an archive: `list` (like `pg_restore -l`), `verify`,
//! and the integrity check that `health` runs on the latest archive.

use std::path::Path;

use serde::Serialize;

use super::{Error, ProgressHandle};
use crate::archive::{self, ArchiveReader, FileSource, Source, VerifyReport};
use crate::crypt::Keyring;
use crate::format::toc::{DumpId, ObjectKind, Section, StreamPart};
use crate::storage::{Location, ObjectSource};

/// What `pgsnap list` shows: the archive's facts, entries and streams, without
/// the SQL definitions.
#[derive(Debug, Serialize)]
pub struct Listing {
    pub format_version: String,
    pub tool_version: String,
    pub server_version: String,
    pub database: String,
    pub encoding: String,
    pub snapshot_time: String,
    pub compression: String,
    /// How the archive is encrypted; absent for a plain archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<String>,
    pub archive_bytes: u64,
    pub entries: Vec<ListedEntry>,
    pub streams: Vec<ListedStream>,
}

#[derive(Debug, Serialize)]
pub struct ListedEntry {
    pub id: DumpId,
    pub section: Section,
    pub kind: ObjectKind,
    pub schema: Option<String>,
    pub name: String,
    pub owner: Option<String>,
    pub deps: Vec<DumpId>,
}

#[derive(Debug, Serialize)]
pub struct ListedStream {
    pub id: u32,
    pub entry: DumpId,
    pub table: String,
    pub format: String,
    pub rows: u64,
    pub raw_bytes: u64,
    pub stored_bytes: u64,
    pub frames: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<StreamPart>,
}

/// Opens an archive wherever it is: a file, or an object (ranged reads);
/// `keys` open it if it is encrypted. Blocks: call it from a blocking thread
/// or synchronous code.
pub fn open_archive(location: &Location, keys: &Keyring) -> Result<ArchiveReader, Error> {
    Ok(ArchiveReader::open_source(source(location)?, keys)?)
}

fn source(location: &Location) -> Result<Box<dyn Source>, Error> {
    Ok(match location {
        Location::Local(path) => Box::new(FileSource::open(path)?),
        Location::Object(o) => {
            let handle = tokio::runtime::Handle::try_current()
                .map_err(|e| Error::failed(format!("no async runtime for {}: {e}", o.url)))?;
            Box::new(ObjectSource::open(o.clone(), handle)?)
        }
    })
}

pub fn list(location: &Location, keys: &Keyring) -> Result<Listing, Error> {
    let reader = open_archive(location, keys)?;
    Ok(listing(&reader))
}

fn listing(reader: &ArchiveReader) -> Listing {
    let toc = reader.toc();
    Listing {
        format_version: format!("{}.{}", toc.format_major, toc.format_minor),
        tool_version: toc.tool_version.clone(),
        server_version: toc.server_version.clone(),
        database: toc.database.clone(),
        encoding: toc.encoding.clone(),
        snapshot_time: toc.snapshot_time.clone(),
        compression: format!("{} level {}", toc.compression.codec, toc.compression.level),
        encryption: reader
            .key_block()
            .map(|b| format!("AES-256-GCM, data key for {}", archive::describe_slots(b))),
        archive_bytes: reader.len(),
        entries: toc
            .entries
            .iter()
            .map(|e| ListedEntry {
                id: e.id,
                section: e.section,
                kind: e.kind,
                schema: e.schema.clone(),
                name: e.name.clone(),
                owner: e.owner.clone(),
                deps: e.deps.clone(),
            })
            .collect(),
        streams: toc
            .streams
            .iter()
            .map(|s| ListedStream {
                id: s.id.0,
                entry: s.entry,
                table: format!("{}.{}", s.schema, s.table),
                format: s.format.as_sql().to_string(),
                rows: s.rows,
                raw_bytes: s.raw_bytes,
                stored_bytes: s.frames.iter().map(|f| u64::from(f.stored_len)).sum(),
                frames: s.frames.len(),
                part: s.part,
            })
            .collect(),
    }
}

impl Listing {
    /// The human-readable form, one entry per line like `pg_restore -l`.
    pub fn render(&self) -> String {
        let mut out = format!(
            ";\n; pgsnap archive\n;     format: {}  written by pgsnap {}\n;     database: {}  server: {}  encoding: {}\n;     snapshot: {}\n;     compression: {}{}\n;     size: {} bytes, {} entries, {} data streams\n;\n",
            self.format_version,
            self.tool_version,
            self.database,
            self.server_version,
            self.encoding,
            self.snapshot_time,
            self.compression,
            self.encryption
                .as_ref()
                .map(|e| format!("\n;     encryption: {e}"))
                .unwrap_or_default(),
            self.archive_bytes,
            self.entries.len(),
            self.streams.len()
        );
        for e in &self.entries {
            let deps: Vec<String> = e.deps.iter().map(|d| d.0.to_string()).collect();
            out.push_str(&format!(
                "{}; {} {} {} {} {}{}\n",
                e.id.0,
                e.section.as_str(),
                e.kind.as_str(),
                e.schema.as_deref().unwrap_or("-"),
                e.name,
                e.owner.as_deref().unwrap_or("-"),
                if deps.is_empty() {
                    String::new()
                } else {
                    format!(" [deps: {}]", deps.join(" "))
                }
            ));
        }
        out.push_str(";\n; data streams\n;\n");
        for s in &self.streams {
            let part = s
                .part
                .map(|p| {
                    let end = p
                        .end_block
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "end".into());
                    format!(
                        " part {}/{} (blocks {}..{end})",
                        p.index + 1,
                        p.count,
                        p.first_block
                    )
                })
                .unwrap_or_default();
            out.push_str(&format!(
                "; stream {} (entry {}): {}{part} {} rows, {} bytes raw, {} stored, {} frames, {} format\n",
                s.id, s.entry.0, s.table, s.rows, s.raw_bytes, s.stored_bytes, s.frames, s.format
            ));
        }
        out
    }
}

/// Reads every frame and checks every checksum, stream and row count.
pub fn verify(path: &Path, keys: &Keyring) -> Result<VerifyReport, Error> {
    verify_with_progress(
        &Location::Local(path.to_path_buf()),
        keys,
        &ProgressHandle::default(),
    )
}

/// [`verify`], reporting each stream's bytes and rows to `progress`.
pub fn verify_with_progress(
    location: &Location,
    keys: &Keyring,
    progress: &ProgressHandle,
) -> Result<VerifyReport, Error> {
    let reader = open_archive(location, keys)?;
    let toc = reader.toc();
    progress.start("verify", toc.streams.iter().map(|s| s.raw_bytes).sum());
    let res = archive::verify_reporting(&reader, &|s, bytes, rows| {
        progress.advance(&format!("{}.{}", s.schema, s.table), bytes, rows)
    });
    progress.finish();
    Ok(res?)
}

/// How deep [`check_integrity`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Header, trailer and TOC checksums only (reads the ends of the file).
    Quick,
    /// Everything [`verify`] reads, and the file's SHA-256 against `sha256`.
    Full,
}

/// Checks an archive for `health`; `Ok` says what was covered. `sha256` is the
/// digest the backup's metadata recorded, if any. An encrypted archive without
/// `keys` (a monitoring host need not hold them) gets what can be checked
/// without them: header, key block, trailer, the sealed TOC's checksum and the
/// file's SHA-256.
pub fn check_integrity(
    location: &Location,
    depth: Depth,
    sha256: Option<&str>,
    keys: &Keyring,
) -> Result<String, Error> {
    let reader = match ArchiveReader::open_source(source(location)?, keys) {
        Err(e) if e.is_locked() && keys.is_empty() => {
            return check_sealed(location, depth, sha256);
        }
        opened => opened?,
    };
    if depth == Depth::Quick {
        return Ok(format!(
            "header, trailer and TOC check out ({} entries, {} streams; frames not read: --quick)",
            reader.toc().entries.len(),
            reader.toc().streams.len()
        ));
    }
    let r = archive::verify(&reader)?;
    Ok(format!(
        "{} frames, {} streams and {} rows check out{}",
        r.frames,
        r.streams,
        r.rows,
        check_sha256(location, sha256)?
    ))
}

/// What `health` checks of an encrypted archive without its keys.
fn check_sealed(location: &Location, depth: Depth, sha256: Option<&str>) -> Result<String, Error> {
    let block = archive::check_envelope(source(location)?.as_ref())?.ok_or_else(|| {
        Error::failed("the archive was replaced while it was being checked; check again")
    })?;
    let mut what = format!(
        "encrypted (for {}): header, key block, trailer and TOC checksums check out",
        archive::describe_slots(&block)
    );
    if depth == Depth::Full {
        what.push_str(check_sha256(location, sha256)?);
    }
    what.push_str("; frames not authenticated (no --identity or --passphrase-file)");
    Ok(what)
}

/// Compares a local archive's SHA-256 with the one its metadata recorded;
/// returns what was done, for the health message.
fn check_sha256(location: &Location, sha256: Option<&str>) -> Result<&'static str, Error> {
    Ok(match (sha256, location) {
        (Some(want), Location::Local(path)) => {
            let got = super::digest::file_sha256(path)
                .map_err(|e| Error::failed(format!("cannot read {}: {e}", path.display())))?;
            if got != want {
                return Err(Error::failed(format!(
                    "SHA-256 {got} differs from {want} recorded at backup time: the file was changed after it was written"
                )));
            }
            ", SHA-256 matches the metadata"
        }
        (Some(_), Location::Object(_)) => ", SHA-256 not recomputed for a stored object",
        (None, _) => "",
    })
}
