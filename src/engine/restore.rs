//! `pgsnap restore`: pre-data DDL in order; then, over N connections, table data
//! with binary COPY and post-data (indexes, constraints, triggers), each
//! post-data entry as soon as the data it needs is in (see `plan`); then
//! sequence values.
//!
//! Before anything runs, the archive's header, trailer and TOC are checked and
//! the target's free space is measured where that is possible (`preflight`);
//! afterwards the restored tables are analyzed (and reindexed on request).
//!
//! Every frame is checked before its bytes are sent, and a stream's checksum and
//! row count are checked before its COPY is allowed to finish: damaged data is
//! never committed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::SinkExt;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::backup::column_list;
use super::plan::{Job, RestorePlan};
use super::preflight;
use super::Error;
use super::ProgressHandle;
use crate::archive::ArchiveReader;
use crate::format::toc::{DumpId, ObjectKind, SchemaEntry, Section, StreamInfo, Toc};
use crate::pg::copyscan::CopyScanner;
use crate::pg::version;
use crate::pg::{session, CloseReason, ConnParams, PgError};
use crate::schema::{quote, Selection, LARGE_OBJECT_SCHEMA, LARGE_OBJECT_TABLE};
use crate::storage::Location;

#[derive(Debug, Clone)]
pub struct RestoreOptions {
    pub conn: ConnParams,
    pub input: Location,
    pub jobs: usize,
    /// Create the target database if it does not exist.
    pub create: bool,
    /// Drop the archive's objects from the target before restoring.
    pub clean: bool,
    /// Session settings for the workers (see [`restore_settings`]).
    pub settings: Vec<(String, String)>,
    /// Restore everything in one transaction on one connection: all or nothing.
    pub single_transaction: bool,
    /// Which entries of the archive to restore (default: all).
    pub selection: Selection,
    /// `--globals`: create the archive's roles that the target cluster lacks.
    pub globals: bool,
    /// Refuse to start when the target's volume is known to be too small.
    pub space_check: bool,
    /// `ANALYZE` the restored tables afterwards.
    pub analyze: bool,
    /// `REINDEX` the restored tables afterwards.
    pub reindex: bool,
    /// Restore into an older major version than the archive's source.
    pub force: bool,
    /// Identities or passphrase for an encrypted archive.
    pub keys: crate::crypt::Keyring,
    pub progress: ProgressHandle,
}

#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub database: String,
    pub entries: usize,
    pub tables: usize,
    pub rows: u64,
    pub raw_bytes: u64,
    pub elapsed: Duration,
}

pub async fn restore(opts: &RestoreOptions) -> Result<RestoreReport, Error> {
    let started = Instant::now();
    if opts.jobs == 0 {
        return Err(Error::usage("-j/--jobs must be at least 1"));
    }
    let path = opts.input.clone();
    let keys = opts.keys.clone();
    let reader = tokio::task::spawn_blocking(move || super::open_archive(&path, &keys))
        .await
        .map_err(|e| Error::failed(format!("reading the archive failed: {e}")))??;
    let mut reader: ArchiveReader = reader;
    let full_toc = reader.toc().clone();
    let mut toc = full_toc.clone();
    if !opts.selection.is_everything() {
        let keep = opts.selection.apply(&mut toc.entries)?;
        toc.streams.retain(|s| keep.contains(&s.entry));
    }
    // The database's own properties go last, and only into a database this
    // restore created.
    let database_props = take_database_properties(&mut toc.entries);
    let globals = take_globals(&mut toc.entries);
    reader.restrict(toc);
    let reader = Arc::new(reader);
    let toc = reader.toc();
    let target = opts.conn.dbname().to_string();
    if opts.create {
        create_database(opts, toc, &target).await?;
    }
    let client = opts.conn.connect("pgsnap restore").await?;
    if !opts.create {
        check_target_version(&client, toc.server_version_num, opts.force).await?;
    }
    session::setup_writer(&client).await?;
    let space = preflight::check_space(&client, preflight::estimate_bytes(toc)).await?;
    match (&space, opts.space_check) {
        (preflight::Space::Short { .. }, true) => {
            return Err(Error::failed(format!(
                "not enough disk space for the restore: {}; free some space, restore elsewhere, \
                 or pass --no-space-check if the estimate is wrong for this data",
                space.describe()
            )))
        }
        (preflight::Space::Short { .. }, false) => tracing::warn!("{}", space.describe()),
        _ => tracing::info!("{}", space.describe()),
    }
    if opts.globals {
        for entry in &globals {
            if entry.kind != ObjectKind::Tablespace {
                run_entry(&client, entry).await?;
            } else if !tablespace_exists(&client, &entry.name).await? {
                // One statement at a time: several in one query string make
                // a transaction block, which CREATE TABLESPACE refuses.
                for statement in entry.definition.split_inclusive(";\n") {
                    run_sql(
                        &client,
                        statement,
                        &format!("restore {}", entry_label(entry)),
                    )
                    .await?;
                }
            }
        }
    } else if !globals.is_empty() {
        tracing::info!(
            "the archive holds {} roles, memberships and tablespaces (--globals); restore them with --globals",
            globals.len()
        );
    }
    if opts.single_transaction {
        if opts.jobs > 1 {
            tracing::info!("--single-transaction restores on one connection; -j is ignored");
        }
        apply_settings(&client, &opts.settings).await?;
        run_sql(&client, "BEGIN", "start the restore transaction").await?;
    }
    // Refuse to create an object that is already there: restoring over a
    // live database (or twice into one) fails early, before anything runs.
    if opts.clean {
        clean(&client, &toc.entries).await?;
    } else {
        let clashes = existing_objects(&client, &toc.entries).await?;
        if !clashes.is_empty() {
            return Err(Error::failed(format!(
                "target database {target:?} is not empty: it already has {}; restore into an empty \
                 database (--create makes one), or pass --clean to drop the archive's objects first",
                clashes.join(", ")
            )));
        }
    }

    opts.progress
        .start("restore", toc.streams.iter().map(|s| s.raw_bytes).sum());
    let res = if opts.single_transaction {
        restore_serially(&client, &reader, &opts.progress).await
    } else {
        restore_parallel(opts, &client, &reader, &full_toc).await
    };
    opts.progress.finish();
    match (res, opts.single_transaction) {
        (Ok(()), false) => {}
        (Ok(()), true) => run_sql(&client, "COMMIT", "commit the restore").await?,
        (Err(e), true) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(e.note(format!(
                "nothing was committed (--single-transaction): database {target:?} is as it was before the restore"
            )));
        }
        (Err(e), false) => {
            return Err(e.note(format!(
            "database {target:?} is left partly restored: drop it and restore again, or restore \
                 again with --clean (or use --single-transaction to restore all or nothing)"
        )))
        }
    }
    if opts.create {
        for entry in &database_props {
            run_entry(&client, entry).await?;
        }
    } else if !database_props.is_empty() {
        tracing::info!(
            "the database's own settings, owner, comment and privileges were not restored \
             (they are, with --create)"
        );
    }
    let relations = preflight::restored_relations(toc);
    if opts.reindex && !relations.is_empty() {
        let failed =
            preflight::maintain(&opts.conn, "REINDEX TABLE", &relations, opts.jobs).await?;
        if let Some(first) = failed.first() {
            return Err(Error::failed(format!(
                "{first} ({} of {} tables failed to reindex); the restore itself completed",
                failed.len(),
                relations.len()
            )));
        }
        tracing::info!("reindexed {} tables", relations.len());
    }
    if opts.analyze && !toc.streams.is_empty() {
        let failed = preflight::maintain(&opts.conn, "ANALYZE", &relations, opts.jobs).await?;
        for f in &failed {
            tracing::warn!("{f}; the planner lacks statistics for it until autovacuum runs");
        }
        tracing::info!("analyzed {} tables", relations.len() - failed.len());
    }
    Ok(RestoreReport {
        database: target,
        entries: toc.entries.len(),
        tables: toc.streams.len(),
        rows: toc.streams.iter().map(|s| s.rows).sum(),
        raw_bytes: toc.streams.iter().map(|s| s.raw_bytes).sum(),
        elapsed: started.elapsed(),
    })
}

/// Pre-data in order, then data and post-data on N connections (see `plan`),
/// then sequence values.
async fn restore_parallel(
    opts: &RestoreOptions,
    client: &Client,
    reader: &Arc<ArchiveReader>,
    full_toc: &Toc,
) -> Result<(), Error> {
    let toc = reader.toc();
    for entry in toc.entries.iter().filter(|e| e.section == Section::PreData) {
        run_entry(client, entry).await?;
    }
    tracing::info!("pre-data restored");
    run_plan(opts, reader, RestorePlan::build_selected(toc, full_toc)).await?;
    tracing::info!(streams = toc.streams.len(), "data and post-data restored");
    for entry in sequence_sets(toc) {
        run_entry(client, entry).await?;
    }
    Ok(())
}

/// Everything on one connection, in archive order, inside the caller's
/// transaction (`--single-transaction`).
async fn restore_serially(
    client: &Client,
    reader: &Arc<ArchiveReader>,
    progress: &ProgressHandle,
) -> Result<(), Error> {
    let toc = reader.toc();
    let (no_reason, in_transaction) = (CloseReason::default(), true);
    for entry in toc.entries.iter().filter(|e| e.section == Section::PreData) {
        run_entry(client, entry).await?;
    }
    for stream in &toc.streams {
        copy_in(client, &no_reason, reader, stream, in_transaction, progress)
            .await
            .map_err(|e| {
                e.context(format!(
                    "restore of table {} failed",
                    quote::qualified(&stream.schema, &stream.table)
                ))
            })?;
    }
    for entry in toc
        .entries
        .iter()
        .filter(|e| e.section == Section::PostData)
    {
        run_entry(client, entry).await?;
    }
    for entry in sequence_sets(toc) {
        run_entry(client, entry).await?;
    }
    Ok(())
}

async fn tablespace_exists(client: &Client, name: &str) -> Result<bool, Error> {
    let rows = client
        .query(
            "SELECT 1 FROM pg_catalog.pg_tablespace WHERE spcname = $1",
            &[&name],
        )
        .await
        .map_err(|e| PgError::query("could not look up the tablespaces", &e))?;
    Ok(!rows.is_empty())
}

/// Removes the `ROLE`, `ROLE MEMBERSHIP` and `TABLESPACE` entries from `entries`.
fn take_globals(entries: &mut Vec<SchemaEntry>) -> Vec<SchemaEntry> {
    let (globals, rest): (Vec<SchemaEntry>, Vec<SchemaEntry>) =
        std::mem::take(entries).into_iter().partition(|e| {
            matches!(
                e.kind,
                ObjectKind::Role | ObjectKind::RoleMembership | ObjectKind::Tablespace
            )
        });
    *entries = rest;
    globals
}

/// Removes the `DATABASE PROPERTIES` entries and those that belong to
/// them (the database's comment and privileges) from `entries`.
fn take_database_properties(entries: &mut Vec<SchemaEntry>) -> Vec<SchemaEntry> {
    let ids: HashSet<DumpId> = entries
        .iter()
        .filter(|e| e.kind == ObjectKind::DatabaseProperties)
        .map(|e| e.id)
        .collect();
    let (props, rest): (Vec<SchemaEntry>, Vec<SchemaEntry>) = std::mem::take(entries)
        .into_iter()
        .partition(|e| ids.contains(&e.id) || e.belongs_to.is_some_and(|b| ids.contains(&b)));
    *entries = rest;
    props
}

/// The data-section entries other than table data (sequence values).
fn sequence_sets(toc: &Toc) -> impl Iterator<Item = &SchemaEntry> {
    toc.entries
        .iter()
        .filter(|e| e.section == Section::Data && e.kind != ObjectKind::TableData)
}

async fn run_sql(client: &Client, sql: &str, what: &str) -> Result<(), Error> {
    client
        .batch_execute(sql)
        .await
        .map_err(|e| PgError::query(&format!("could not {what}"), &e).into())
}

fn entry_label(e: &SchemaEntry) -> String {
    match &e.schema {
        Some(s) => format!("{} {}.{} (entry {})", e.kind.as_str(), s, e.name, e.id.0),
        None => format!("{} {} (entry {})", e.kind.as_str(), e.name, e.id.0),
    }
}

async fn run_entry(client: &Client, entry: &SchemaEntry) -> Result<(), Error> {
    if entry.definition.trim().is_empty() && entry.owner_sql.is_empty() {
        return Ok(());
    }
    // Parallel post-data DDL can deadlock (two foreign keys between the same
    // tables, say), or two entries can update one catalog row at once (a
    // GRANT, which takes no lock on its table, beside an ALTER TABLE: "tuple
    // concurrently updated"); PostgreSQL aborts one side, and the entry (its
    // own implicit transaction, rolled back) is simply run again.
    let sql = format!("{}{}", entry.definition, entry.owner_sql);
    let mut attempt = 0;
    loop {
        match client.batch_execute(&sql).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < DEADLOCK_RETRIES && lost_a_race(&e) => {
                attempt += 1;
                tracing::debug!("{} lost a race, retrying", entry_label(entry));
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
            }
            Err(e) => {
                let err = Error::from(PgError::query(
                    &format!("restore failed at {}", entry_label(entry)),
                    &e,
                ));
                return Err(if entry.kind == ObjectKind::SecurityLabel {
                    err.note(
                        "the target server needs the archive's label provider loaded \
                         (shared_preload_libraries); or restore with --no-security-labels",
                    )
                } else {
                    err
                });
            }
        }
    }
}

const DEADLOCK_RETRIES: u64 = 5;

/// A deadlock, or a catalog row updated by another session at the same time.
fn lost_a_race(e: &tokio_postgres::Error) -> bool {
    let concurrent = e.as_db_error().is_some_and(|d| {
        d.code() == &SqlState::INTERNAL_ERROR && d.message() == "tuple concurrently updated"
    });
    concurrent || e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED)
}

/// Refuses a target older than the archive's source unless forced (see
/// `pg::version`), before anything is created or changed.
async fn check_target_version(client: &Client, source: u32, force: bool) -> Result<(), Error> {
    let target: i32 = client
        .query_one(
            "SELECT pg_catalog.current_setting('server_version_num')::int4",
            &[],
        )
        .await
        .map_err(|e| PgError::query("could not read the target's version", &e))?
        .get(0);
    let target = u32::try_from(target).unwrap_or(0);
    if let Some(warning) = version::check_target(source, target, force).map_err(Error::usage)? {
        tracing::warn!("{warning}");
    }
    Ok(())
}

/// `CREATE DATABASE name` with the archive's encoding, collation, character
/// classes and locale provider (which cannot be changed afterwards).
pub(super) fn create_database_sql(name: &str, toc: &Toc) -> String {
    let mut sql = format!(
        "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}",
        quote::ident(name),
        quote::literal(&toc.encoding),
        quote::literal(&toc.collate),
        quote::literal(&toc.ctype)
    );
    if let Some(l) = &toc.locale {
        let locale = if l.provider == "builtin" {
            "BUILTIN_LOCALE"
        } else {
            "ICU_LOCALE"
        };
        sql.push_str(&format!(
            " LOCALE_PROVIDER {} {locale} {}",
            quote::ident(&l.provider),
            quote::literal(&l.locale)
        ));
        if let Some(rules) = &l.icu_rules {
            sql.push_str(&format!(" ICU_RULES {}", quote::literal(rules)));
        }
    }
    sql
}

async fn create_database(opts: &RestoreOptions, toc: &Toc, target: &str) -> Result<(), Error> {
    let source_version_num = toc.server_version_num;
    let mut last = None;
    for maint in ["postgres", "template1"] {
        match opts.conn.with_dbname(maint).connect("pgsnap restore").await {
            Ok(c) => {
                check_target_version(&c, source_version_num, opts.force).await?;
                let exists = c
                    .query_opt(
                        "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
                        &[&target],
                    )
                    .await
                    .map_err(|e| PgError::query("could not look up the target database", &e))?
                    .is_some();
                if !exists {
                    let sql = create_database_sql(target, toc);
                    c.batch_execute(&sql).await.map_err(|e| {
                        PgError::query(&format!("could not create database {target:?}"), &e)
                    })?;
                    tracing::info!("created database {target}");
                }
                return Ok(());
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .map(Error::from)
        .unwrap_or_else(|| Error::failed("no maintenance database")))
}

/// Relations, non-public schemas, types and functions that are not part of an extension.
/// The schemas and relations that `entries` create and the target already
/// has (at most 10, named).
async fn existing_objects(client: &Client, entries: &[SchemaEntry]) -> Result<Vec<String>, Error> {
    let schemas: Vec<&str> = entries
        .iter()
        .filter(|e| {
            // (`public` has an entry that only sets its owner.)
            e.kind == ObjectKind::Schema
                && e.section == Section::PreData
                && !e.definition.is_empty()
        })
        .map(|e| e.name.as_str())
        .collect();
    let (rel_schemas, rel_names): (Vec<&str>, Vec<&str>) = entries
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                ObjectKind::Table
                    | ObjectKind::View
                    | ObjectKind::MaterializedView
                    | ObjectKind::Sequence
                    | ObjectKind::ForeignTable
            )
        })
        .filter_map(|e| Some((e.schema.as_deref()?, e.name.as_str())))
        .unzip();
    let rows = client
        .query(
            "SELECT * FROM (\
               SELECT 'schema ' || pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_namespace n \
               WHERE n.nspname = ANY($1::text[]) \
               UNION ALL \
               SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) \
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               JOIN ROWS FROM (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[])) AS a(s, r) \
                 ON a.s = n.nspname AND a.r = c.relname) x \
             ORDER BY 1 LIMIT 10",
            &[&schemas, &rel_schemas, &rel_names],
        )
        .await
        .map_err(|e| PgError::query("could not check whether the target is empty", &e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Drops the archive's objects, last first, as `pg_restore --clean` does.
async fn clean(client: &Client, entries: &[SchemaEntry]) -> Result<(), Error> {
    for entry in entries.iter().rev() {
        if entry.drop.trim().is_empty() {
            continue;
        }
        client.batch_execute(&entry.drop).await.map_err(|e| {
            Error::from(PgError::query(
                &format!("--clean could not drop {}", entry_label(entry)),
                &e,
            ))
        })?;
    }
    Ok(())
}

async fn join_all(mut set: JoinSet<Result<(), Error>>) -> Result<(), Error> {
    while let Some(res) = set.join_next().await {
        let res = res.map_err(|e| Error::failed(format!("restore worker failed: {e}")));
        if let Err(e) = res.and_then(|r| r) {
            set.abort_all();
            return Err(e);
        }
    }
    Ok(())
}

/// Streams of at least this size are loaded with `COPY ... FREEZE`: the rows
/// arrive frozen and all-visible, sparing the first VACUUM (and an
/// anti-wraparound one later) a full rewrite of the table. Below it, the
/// TRUNCATE that FREEZE needs costs more than it saves.
const FREEZE_MIN_BYTES: u64 = 8 << 20;

async fn copy_in(
    client: &Client,
    closed: &CloseReason,
    reader: &Arc<ArchiveReader>,
    stream: &StreamInfo,
    in_transaction: bool,
    progress: &ProgressHandle,
) -> Result<(), Error> {
    if stream.frames.is_empty() {
        return Ok(());
    }
    if stream.schema == LARGE_OBJECT_SCHEMA && stream.table == LARGE_OBJECT_TABLE {
        return large_objects_in(client, closed, reader, stream, progress).await;
    }
    let name = quote::qualified(&stream.schema, &stream.table);
    // FREEZE needs the table created or truncated in the same transaction; only
    // a table loaded by a single stream can be truncated safely.
    let freeze = stream.part.is_none() && stream.raw_bytes >= FREEZE_MIN_BYTES;
    let sql = format!(
        "COPY {name}{} FROM STDIN (FORMAT {}{})",
        column_list(&stream.columns),
        stream.format.as_sql(),
        if freeze { ", FREEZE" } else { "" }
    );
    if !freeze {
        return copy_stream(client, closed, reader, stream, &sql, progress).await;
    }
    if in_transaction {
        // The caller's transaction: the TRUNCATE counts for FREEZE, and a
        // failure rolls back everything anyway.
        run_sql(
            client,
            &format!("TRUNCATE ONLY {name}"),
            "prepare COPY FREEZE",
        )
        .await?;
        return copy_stream(client, closed, reader, stream, &sql, progress).await;
    }
    if let Err(e) = client
        .batch_execute(&format!("BEGIN; TRUNCATE ONLY {name}"))
        .await
    {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(server_error("could not prepare COPY FREEZE", closed, &e).await);
    }
    match copy_stream(client, closed, reader, stream, &sql, progress).await {
        Ok(()) => match client.batch_execute("COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => Err(server_error("COMMIT failed", closed, &e).await),
        },
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Loads the large objects' contents (created empty in pre-data): the
/// stream goes into a temporary table, and each chunk into its object.
async fn large_objects_in(
    client: &Client,
    closed: &CloseReason,
    reader: &Arc<ArchiveReader>,
    stream: &StreamInfo,
    progress: &ProgressHandle,
) -> Result<(), Error> {
    let table = quote::qualified(LARGE_OBJECT_SCHEMA, LARGE_OBJECT_TABLE);
    run_sql(
        client,
        &format!(
            "DROP TABLE IF EXISTS {table}; CREATE TEMPORARY TABLE {LARGE_OBJECT_TABLE} \
             (loid pg_catalog.oid, off pg_catalog.int8, data pg_catalog.bytea)"
        ),
        "create the large objects' staging table",
    )
    .await?;
    let copy = format!(
        "COPY {table}{} FROM STDIN (FORMAT {})",
        column_list(&stream.columns),
        stream.format.as_sql()
    );
    copy_stream(client, closed, reader, stream, &copy, progress).await?;
    run_sql(
        client,
        &format!(
            "SELECT pg_catalog.lo_put(loid, off, data) FROM {table} ORDER BY loid, off; DROP TABLE {table}"
        ),
        "write the large objects' contents",
    )
    .await
}

/// Runs one COPY FROM STDIN, checking every frame before sending it and the
/// stream's checksum and row count before letting the COPY finish. The next
/// frame is read and decompressed while the current one is sent.
async fn copy_stream(
    client: &Client,
    closed: &CloseReason,
    reader: &Arc<ArchiveReader>,
    stream: &StreamInfo,
    sql: &str,
    progress: &ProgressHandle,
) -> Result<(), Error> {
    let label = quote::qualified(&stream.schema, &stream.table);
    progress.table_started(&label);
    let sink = match client.copy_in::<_, Bytes>(sql).await {
        Ok(s) => s,
        Err(e) => return Err(server_error("COPY failed to start", closed, &e).await),
    };
    futures_util::pin_mut!(sink);
    let read = |seq: usize| {
        let r = Arc::clone(reader);
        let s = stream.clone();
        tokio::task::spawn_blocking(move || r.read_frame(&s, seq))
    };
    let mut scanner = CopyScanner::new(stream.format);
    let mut crc = crc32fast::Hasher::new();
    let mut next = Some(read(0));
    for seq in 0..stream.frames.len() {
        let raw = next
            .take()
            .expect("a read is always pending here")
            .await
            .map_err(|e| Error::failed(format!("reading a frame failed: {e}")))??;
        if seq + 1 < stream.frames.len() {
            next = Some(read(seq + 1));
        }
        let rows_before = scanner.rows();
        scanner.feed(&raw).map_err(|e| {
            Error::failed(format!(
                "frame {seq}: the archive's COPY data is malformed: {e}"
            ))
        })?;
        crc.update(&raw);
        progress.advance(&label, raw.len() as u64, scanner.rows() - rows_before);
        if let Err(e) = sink.send(Bytes::from(raw)).await {
            return Err(server_error("COPY failed", closed, &e).await);
        }
    }
    let rows = scanner
        .finish()
        .map_err(|e| Error::failed(format!("the archive's COPY data is incomplete: {e}")))?;
    if crc.finalize() != stream.crc32 || rows != stream.rows {
        return Err(Error::failed(format!(
            "data does not match the archive's table of contents ({rows} rows read, {} expected, or checksum mismatch); nothing of this table was committed",
            stream.rows
        )));
    }
    let written = match sink.finish().await {
        Ok(n) => n,
        Err(e) => return Err(server_error("COPY failed", closed, &e).await),
    };
    if written != rows {
        return Err(Error::failed(format!(
            "server loaded {written} rows, the archive has {rows}"
        )));
    }
    progress.table_finished(&label);
    Ok(())
}

async fn server_error(context: &str, closed: &CloseReason, e: &tokio_postgres::Error) -> Error {
    PgError::query_text(context, &closed.describe(e).await).into()
}

/// Runs the plan on N connections: each worker takes the first ready job.
async fn run_plan(
    opts: &RestoreOptions,
    reader: &Arc<ArchiveReader>,
    plan: RestorePlan,
) -> Result<(), Error> {
    if plan.order.is_empty() {
        return Ok(());
    }
    let entries: HashMap<DumpId, SchemaEntry> = reader
        .toc()
        .entries
        .iter()
        .filter(|e| e.section == Section::PostData)
        .map(|e| (e.id, e.clone()))
        .collect();
    let sched = Arc::new(Scheduler {
        state: Mutex::new(SchedState {
            pending: plan.deps,
            order: plan.order,
            done: HashSet::new(),
            running: 0,
            failed: false,
        }),
        notify: Notify::new(),
    });
    let entries = Arc::new(entries);
    // Every worker is connected and set up before the first job starts, so a
    // failure during the jobs is one of a job (and names its object).
    let workers = futures_util::future::try_join_all((0..opts.jobs).map(|_| async {
        let (client, closed) = opts.conn.connect_watched("pgsnap restore worker").await?;
        session::setup_writer(&client).await?;
        apply_settings(&client, &opts.settings).await?;
        Ok::<_, Error>((client, closed))
    }))
    .await?;
    let mut set = JoinSet::new();
    for (client, closed) in workers {
        let sched = Arc::clone(&sched);
        let entries = Arc::clone(&entries);
        let reader = Arc::clone(reader);
        let progress = opts.progress.clone();
        set.spawn(async move {
            while let Some(job) = sched.next().await? {
                let started = Instant::now();
                let res = match job {
                    Job::Entry(id) => run_entry(&client, &entries[&id]).await,
                    Job::Stream(i) => {
                        let stream = &reader.toc().streams[i];
                        copy_in(&client, &closed, &reader, stream, false, &progress)
                            .await
                            .map_err(|e| {
                                e.context(format!(
                                    "restore of table {} failed",
                                    quote::qualified(&stream.schema, &stream.table)
                                ))
                            })
                    }
                };
                sched.finish(job, res.is_ok());
                tracing::debug!(
                    ms = started.elapsed().as_millis() as u64,
                    "{}",
                    job_label(&reader, &entries, job)
                );
                res?;
            }
            Ok(())
        });
    }
    join_all(set).await
}

fn job_label(reader: &ArchiveReader, entries: &HashMap<DumpId, SchemaEntry>, job: Job) -> String {
    match job {
        Job::Entry(id) => entry_label(&entries[&id]),
        Job::Stream(i) => {
            let s = &reader.toc().streams[i];
            let part = s
                .part
                .map(|p| format!(" part {}/{}", p.index + 1, p.count))
                .unwrap_or_default();
            format!("TABLE DATA {}.{}{part}", s.schema, s.table)
        }
    }
}

/// Session settings for restore workers, as `name=value`; the user's override the defaults.
pub fn restore_settings(overrides: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = DEFAULT_SETTINGS
        .iter()
        .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    out.extend(overrides.iter().cloned());
    out
}

/// Restore needs no durability per COPY (a failed restore is redone), and
/// index builds run faster with more memory.
const DEFAULT_SETTINGS: [(&str, &str); 2] = [
    ("synchronous_commit", "off"),
    ("maintenance_work_mem", "256MB"),
];

async fn apply_settings(client: &Client, settings: &[(String, String)]) -> Result<(), Error> {
    for (name, value) in settings {
        client
            .execute(
                "SELECT pg_catalog.set_config($1, $2, false)",
                &[name, value],
            )
            .await
            .map_err(|e| {
                Error::usage(format!(
                    "cannot apply --set {name}={value}: {}",
                    crate::pg::error_text(&e)
                ))
            })?;
    }
    Ok(())
}

struct Scheduler {
    state: Mutex<SchedState>,
    notify: Notify,
}

struct SchedState {
    /// Not yet started, with their prerequisites.
    pending: HashMap<Job, Vec<Job>>,
    /// Preference order among ready jobs.
    order: Vec<Job>,
    done: HashSet<Job>,
    running: usize,
    failed: bool,
}

impl Scheduler {
    /// The next ready job, or `None` when all are done (or one failed).
    async fn next(&self) -> Result<Option<Job>, Error> {
        loop {
            let notified = self.notify.notified();
            {
                let mut st = self.state.lock().expect("scheduler lock");
                if st.failed {
                    return Ok(None);
                }
                let ready = st.order.iter().position(|job| {
                    st.pending
                        .get(job)
                        .is_some_and(|deps| deps.iter().all(|d| st.done.contains(d)))
                });
                if let Some(pos) = ready {
                    let job = st.order.remove(pos);
                    st.pending.remove(&job);
                    st.running += 1;
                    return Ok(Some(job));
                }
                if st.pending.is_empty() {
                    return Ok(None);
                }
                if st.running == 0 {
                    return Err(Error::failed(format!(
                        "{} restore steps wait on dependencies that can never finish; the archive's \
                         table of contents is inconsistent",
                        st.pending.len()
                    )));
                }
            }
            notified.await;
        }
    }

    fn finish(&self, job: Job, ok: bool) {
        let mut st = self.state.lock().expect("scheduler lock");
        st.running -= 1;
        if ok {
            st.done.insert(job);
        } else {
            st.failed = true;
        }
        drop(st);
        self.notify.notify_waiters();
    }
}
