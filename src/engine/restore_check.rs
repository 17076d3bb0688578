//! `pgsnap verify --restore-check`: proves an archive restores, by restoring
//! it into a temporary database and comparing the result with the archive.
//!
//! Seven checks, each pass/fail/skipped with a detail: (1) header, trailer and
//! TOC checksums; (2) every frame's stored checksum and the layout; (3) every
//! stream decompressed, its checksum, COPY framing and row count; (4) the
//! schema (pre-data) restores; (5) the data and post-data restore; (6) every
//! table's rows in the restored database have the archive's order-independent
//! row digest (the table is copied out again in the archive's COPY format and
//! column list); (7) no constraint or index is left invalid that was valid in
//! the archive, and a schema-only backup of the restored database has the
//! archive's number of entries of every kind.
//!
//! The temporary database (`pgsnap_check_<time>_<pid>`) is created with the
//! archive's encoding and locale and always dropped afterwards (`WITH
//! (FORCE)`), also when a check fails or the caller's `cancel` future fires.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures_util::StreamExt;
use serde::Serialize;
use tokio_postgres::Client;

use super::backup::{backup, BackupOptions, Output};
use super::restore::{restore, restore_settings, RestoreOptions};
use super::{Error, ProgressHandle};
use crate::archive::{self, ArchiveReader};
use crate::format::toc::{CopyFormat, ObjectKind, Section, Toc};
use crate::ops::time::{rfc3339, utc_stamp};
use crate::pg::copyscan::{CopyScanner, RowDigest};
use crate::pg::{session, ConnParams, PgError};
use crate::schema::{quote, Selection, LARGE_OBJECT_SCHEMA, LARGE_OBJECT_TABLE};
use crate::storage::Location;

#[derive(Debug, Clone)]
pub struct RestoreCheckOptions {
    /// Any database on the server; the temporary one is created beside it.
    pub conn: ConnParams,
    pub input: Location,
    pub jobs: usize,
    /// Identities or passphrase for an encrypted archive.
    pub keys: crate::crypt::Keyring,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skipped => "SKIP",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub number: u8,
    pub name: &'static str,
    pub outcome: Outcome,
    pub detail: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreCheckReport {
    pub file: String,
    /// The connection, without password.
    pub server: String,
    pub temporary_database: String,
    pub started_at: String,
    pub finished_at: String,
    pub passed: bool,
    pub checks: Vec<CheckOutcome>,
}

const NAMES: [&str; 7] = [
    "header, trailer and TOC checksums",
    "frame checksums and layout",
    "streams: decompression, checksums, COPY framing, row counts",
    "schema restore (pre-data)",
    "data and post-data restore",
    "row counts and content of every table",
    "constraints, indexes and object counts",
];

struct Recorder {
    checks: Vec<CheckOutcome>,
    clock: Instant,
}

impl Recorder {
    fn record(&mut self, result: Result<String, String>) -> bool {
        let number = self.checks.len() as u8 + 1;
        let (outcome, detail) = match result {
            Ok(d) => (Outcome::Pass, d),
            Err(d) => (Outcome::Fail, d),
        };
        let seconds = (self.clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        self.clock = Instant::now();
        self.checks.push(CheckOutcome {
            number,
            name: NAMES[usize::from(number) - 1],
            outcome,
            detail,
            seconds,
        });
        outcome == Outcome::Pass
    }

    fn skip_rest(&mut self, why: &str) {
        while self.checks.len() < NAMES.len() {
            let number = self.checks.len() as u8 + 1;
            self.checks.push(CheckOutcome {
                number,
                name: NAMES[usize::from(number) - 1],
                outcome: Outcome::Skipped,
                detail: why.to_string(),
                seconds: 0.0,
            });
        }
    }
}

/// Runs the checks; `Err` only when the check itself cannot run (bad
/// options, no connection, no right to create a database) or is cancelled.
pub async fn restore_check(
    opts: &RestoreCheckOptions,
    cancel: impl Future<Output = &'static str>,
) -> Result<RestoreCheckReport, Error> {
    if opts.jobs == 0 {
        return Err(Error::usage("-j/--jobs must be at least 1"));
    }
    let started = SystemTime::now();
    let mut rec = Recorder {
        checks: Vec::new(),
        clock: Instant::now(),
    };
    let temp = format!(
        "pgsnap_check_{}_{}",
        utc_stamp(started).to_lowercase(),
        std::process::id()
    );
    let finish = |rec: Recorder| RestoreCheckReport {
        file: opts.input.to_string(),
        server: opts.conn.describe(),
        temporary_database: temp.clone(),
        started_at: rfc3339(started),
        finished_at: rfc3339(SystemTime::now()),
        passed: rec.checks.iter().all(|c| c.outcome == Outcome::Pass),
        checks: rec.checks,
    };

    let path = opts.input.clone();
    let keys = opts.keys.clone();
    let opened = tokio::task::spawn_blocking(move || super::open_archive(&path, &keys))
        .await
        .map_err(|e| Error::failed(format!("reading the archive failed: {e}")))?;
    let reader = match opened {
        Ok(r) => {
            let toc = r.toc();
            rec.record(Ok(format!(
                "format {}.{}, {} entries, {} streams, database {:?} from PostgreSQL {}",
                toc.format_major,
                toc.format_minor,
                toc.entries.len(),
                toc.streams.len(),
                toc.database,
                toc.server_version
            )));
            Arc::new(r)
        }
        Err(e) => {
            rec.record(Err(e.to_string()));
            rec.skip_rest("the archive cannot be opened");
            return Ok(finish(rec));
        }
    };
    let r = Arc::clone(&reader);
    let stored = tokio::task::spawn_blocking(move || archive::verify_stored(&r))
        .await
        .map_err(|e| Error::failed(format!("checking the frames failed: {e}")))?;
    let frames: usize = reader.toc().streams.iter().map(|s| s.frames.len()).sum();
    if !rec.record(
        stored
            .map(|()| format!("{frames} frames tile the data area and match their checksums"))
            .map_err(|e| e.to_string()),
    ) {
        rec.skip_rest("the archive is damaged; a restore would refuse it");
        return Ok(finish(rec));
    }
    let r = Arc::clone(&reader);
    let verified = tokio::task::spawn_blocking(move || archive::verify_with_digests(&r))
        .await
        .map_err(|e| Error::failed(format!("checking the streams failed: {e}")))?;
    let digests = match verified {
        Ok((report, digests)) => {
            rec.record(Ok(format!(
                "{} streams, {} rows, {} raw bytes, as the TOC says",
                report.streams, report.rows, report.raw_bytes
            )));
            digests
        }
        Err(e) => {
            rec.record(Err(e.to_string()));
            rec.skip_rest("the archive is damaged; a restore would refuse it");
            return Ok(finish(rec));
        }
    };

    let admin = opts.conn.connect("pgsnap verify").await?;
    create_temp_database(&admin, &temp, reader.toc()).await?;
    let target = opts.conn.with_dbname(&temp);
    let outcome = tokio::select! {
        () = run_restore_checks(opts, &target, &reader, &digests, &mut rec) => None,
        s = cancel => Some(s),
    };
    let dropped = admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote::ident(&temp)
        ))
        .await;
    if let Some(signal) = outcome {
        return Err(Error::failed(format!(
            "interrupted by {signal}; the temporary database {temp} was {}",
            if dropped.is_ok() {
                "dropped"
            } else {
                "NOT dropped: drop it by hand"
            }
        )));
    }
    if let Err(e) = dropped {
        tracing::warn!(
            "{}",
            PgError::query(
                &format!("could not drop the temporary database {temp}; drop it by hand"),
                &e
            )
        );
    }
    Ok(finish(rec))
}

async fn create_temp_database(admin: &Client, name: &str, toc: &Toc) -> Result<(), Error> {
    let sql = super::restore::create_database_sql(name, toc);
    admin.batch_execute(&sql).await.map_err(|e| {
        Error::from(PgError::query(
            &format!("could not create the temporary database {name}"),
            &e,
        ))
        .note("--restore-check needs a role with CREATEDB on the server that -d points at")
    })
}

/// Checks 4 to 7 against the temporary database.
async fn run_restore_checks(
    opts: &RestoreCheckOptions,
    target: &ConnParams,
    reader: &ArchiveReader,
    digests: &[RowDigest],
    rec: &mut Recorder,
) {
    let toc = reader.toc();
    let restore_opts = |sections: Vec<Section>| RestoreOptions {
        conn: target.clone(),
        input: opts.input.clone(),
        jobs: opts.jobs,
        create: false,
        clean: false,
        settings: restore_settings(&[]),
        single_transaction: false,
        selection: Selection {
            sections,
            ..Selection::default()
        },
        globals: false,
        space_check: true,
        analyze: false,
        reindex: false,
        force: false,
        keys: opts.keys.clone(),
        progress: ProgressHandle::default(),
    };
    let pre = restore(&restore_opts(vec![Section::PreData])).await;
    let pre_entries = toc
        .entries
        .iter()
        .filter(|e| e.section == Section::PreData)
        .count();
    if !rec.record(
        pre.map(|_| format!("{pre_entries} pre-data entries restored"))
            .map_err(|e| e.to_string()),
    ) {
        rec.skip_rest("the schema did not restore");
        return;
    }
    let data = restore(&restore_opts(vec![Section::Data, Section::PostData])).await;
    if !rec.record(
        data.map(|r| {
            format!(
                "{} tables ({} rows) and {} post-data entries restored",
                r.tables,
                r.rows,
                toc.entries
                    .iter()
                    .filter(|e| e.section == Section::PostData)
                    .count()
            )
        })
        .map_err(|e| e.to_string()),
    ) {
        rec.skip_rest("the data did not restore");
        return;
    }
    rec.record(compare_tables(target, toc, digests, opts.jobs).await);
    rec.record(check_objects(target, toc).await);
}

/// One table of the archive: its streams' digests merged.
struct ArchivedTable {
    schema: String,
    table: String,
    columns: Vec<String>,
    format: CopyFormat,
    digest: RowDigest,
}

/// Check 6: each table copied out of the restored database again has the
/// archive's row count and row digest.
async fn compare_tables(
    target: &ConnParams,
    toc: &Toc,
    digests: &[RowDigest],
    jobs: usize,
) -> Result<String, String> {
    let mut tables: BTreeMap<(String, String), ArchivedTable> = BTreeMap::new();
    let mut large_object_rows = 0;
    for (s, d) in toc.streams.iter().zip(digests) {
        if s.schema == LARGE_OBJECT_SCHEMA && s.table == LARGE_OBJECT_TABLE {
            large_object_rows += s.rows;
            continue;
        }
        tables
            .entry((s.schema.clone(), s.table.clone()))
            .or_insert_with(|| ArchivedTable {
                schema: s.schema.clone(),
                table: s.table.clone(),
                columns: s.columns.clone(),
                format: s.format,
                digest: RowDigest::default(),
            })
            .digest
            .merge(d);
    }
    let tables: Vec<ArchivedTable> = tables.into_values().collect();
    let mut mismatches = super::pool::on_connections(
        tables.iter().collect(),
        jobs,
        async || {
            let client = target
                .connect("pgsnap verify")
                .await
                .map_err(|e| e.to_string())?;
            session::setup_reader(&client)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(client)
        },
        async |client: &Client, t: &ArchivedTable| {
            let got = copy_digest(client, t).await?;
            Ok((got != t.digest).then(|| {
                format!(
                    "{}: {} rows restored, {} in the archive{}",
                    quote::qualified(&t.schema, &t.table),
                    got.rows,
                    t.digest.rows,
                    if got.rows == t.digest.rows {
                        " (same count, different content)"
                    } else {
                        ""
                    }
                )
            }))
        },
    )
    .await?;
    let rows: u64 = tables.iter().map(|t| t.digest.rows).sum();
    if mismatches.is_empty() {
        let lo = if large_object_rows > 0 {
            format!("; large objects: {large_object_rows} chunks restored and checked by the restore itself")
        } else {
            String::new()
        };
        Ok(format!(
            "{} tables, {rows} rows: every table's row count and row digest match the archive{lo}",
            tables.len()
        ))
    } else {
        mismatches.sort();
        let n = mismatches.len();
        mismatches.truncate(10);
        Err(format!(
            "{n} of {} tables differ from the archive: {}",
            tables.len(),
            mismatches.join("; ")
        ))
    }
}

/// Copies one table out of the restored database the way backup did.
async fn copy_digest(client: &Client, t: &ArchivedTable) -> Result<RowDigest, String> {
    let select: Vec<String> = t.columns.iter().map(|c| quote::ident(c)).collect();
    let select = select.join(", ");
    let format = match t.format {
        CopyFormat::Binary => "binary",
        CopyFormat::Text => "text",
    };
    let sql = format!(
        "COPY (SELECT {select} FROM ONLY {}) TO STDOUT (FORMAT {format})",
        quote::qualified(&t.schema, &t.table)
    );
    let name = quote::qualified(&t.schema, &t.table);
    let stream = client
        .copy_out(&sql)
        .await
        .map_err(|e| PgError::query(&format!("could not read {name} back"), &e).to_string())?;
    futures_util::pin_mut!(stream);
    let mut scanner = CopyScanner::new(t.format);
    let mut digest = RowDigest::default();
    while let Some(piece) = stream.next().await {
        let piece = piece
            .map_err(|e| PgError::query(&format!("could not read {name} back"), &e).to_string())?;
        scanner
            .feed_into(&piece, &mut digest)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    scanner.finish().map_err(|e| format!("{name}: {e}"))?;
    Ok(digest)
}

/// Entry kinds that a schema-only backup of the restored database has as
/// many of as the archive: not data, not what a restore into an existing
/// database leaves out, not the cluster's roles and tablespaces.
fn counted(kind: ObjectKind) -> bool {
    !matches!(
        kind,
        ObjectKind::TableData
            | ObjectKind::SequenceSet
            | ObjectKind::RefreshMaterializedView
            | ObjectKind::LargeObjects
            | ObjectKind::LargeObjectData
            | ObjectKind::DatabaseProperties
            | ObjectKind::Role
            | ObjectKind::RoleMembership
            | ObjectKind::Tablespace
    )
}

fn kind_counts(toc: &Toc) -> HashMap<&'static str, usize> {
    let database_props: Vec<_> = toc
        .entries
        .iter()
        .filter(|e| e.kind == ObjectKind::DatabaseProperties)
        .map(|e| e.id)
        .collect();
    let mut counts = HashMap::new();
    for e in &toc.entries {
        let of_database = e.belongs_to.is_some_and(|b| database_props.contains(&b));
        if counted(e.kind) && !of_database {
            *counts.entry(e.kind.as_str()).or_insert(0) += 1;
        }
    }
    counts
}

/// Check 7: constraints and indexes as valid as in the archive, and the
/// restored database's schema has the archive's number of entries per kind.
async fn check_objects(target: &ConnParams, toc: &Toc) -> Result<String, String> {
    let client = target
        .connect("pgsnap verify")
        .await
        .map_err(|e| e.to_string())?;
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE c.contype = 'f'), \
                    count(*) FILTER (WHERE c.contype = 'c'), \
                    count(*) FILTER (WHERE c.contype IN ('p', 'u', 'x')), \
                    count(*) FILTER (WHERE NOT c.convalidated), \
                    (SELECT count(*) FROM pg_catalog.pg_index i WHERE NOT i.indisvalid) \
             FROM pg_catalog.pg_constraint c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND c.contype IN ('f', 'c', 'p', 'u', 'x')",
            &[],
        )
        .await
        .map_err(|e| PgError::query("could not read the restored constraints", &e).to_string())?;
    let (fks, checks, uniques, not_valid, bad_indexes): (i64, i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    let archived_not_valid = toc
        .entries
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                ObjectKind::Constraint
                    | ObjectKind::CheckConstraint
                    | ObjectKind::FkConstraint
                    | ObjectKind::Domain
                    | ObjectKind::Table
            )
        })
        .map(|e| e.definition.matches(" NOT VALID").count())
        .sum::<usize>() as i64;
    let mut problems = Vec::new();
    if not_valid != archived_not_valid {
        problems.push(format!(
            "{not_valid} constraints are NOT VALID in the restored database, {archived_not_valid} in the archive"
        ));
    }
    if bad_indexes > 0 {
        problems.push(format!("{bad_indexes} indexes are invalid"));
    }

    let file = std::env::temp_dir().join(format!(
        "pgsnap-check-{}-{}.pgsnap",
        std::process::id(),
        target.dbname()
    ));
    let rebacked = backup(&BackupOptions {
        conn: target.clone(),
        output: Output::File(file.clone()),
        jobs: 1,
        level: 1,
        chunk_size: 1 << 20,
        split_bytes: 0,
        lock_wait: None,
        selection: Selection {
            schema_only: true,
            ..Selection::default()
        },
        globals: None,
        encryption: None,
        progress: ProgressHandle::default(),
    })
    .await;
    let counts = match rebacked.and_then(|_| Ok(ArchiveReader::open(&file)?)) {
        Ok(r) => Ok(kind_counts(r.toc()).into_iter().collect::<BTreeMap<_, _>>()),
        Err(e) => Err(format!("could not read the restored schema back: {e}")),
    };
    let _ = std::fs::remove_file(&file);
    let restored = counts?;
    let archived: BTreeMap<_, _> = kind_counts(toc).into_iter().collect();
    let mut kinds: Vec<&str> = archived.keys().chain(restored.keys()).copied().collect();
    kinds.sort_unstable();
    kinds.dedup();
    for k in &kinds {
        let (a, r) = (
            archived.get(k).copied().unwrap_or(0),
            restored.get(k).copied().unwrap_or(0),
        );
        if a != r {
            problems.push(format!("{k}: {r} restored, {a} in the archive"));
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "{fks} foreign keys, {checks} checks, {uniques} primary key/unique/exclusion constraints \
             valid ({not_valid} NOT VALID as in the archive), no invalid index; {} entries of {} \
             kinds, as many of each as the archive",
            archived.values().sum::<usize>(),
            kinds.len()
        ))
    } else {
        Err(problems.join("; "))
    }
}
