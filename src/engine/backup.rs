//! `pgsnap backup`: one snapshot, N workers, one sequential archive.
//!
//! The leader opens a REPEATABLE READ READ ONLY transaction, exports its
//! snapshot, reads the catalog and locks the tables it will copy. Each worker
//! imports the snapshot and streams tables (largest first) with binary COPY.
//! Raw chunks go to rayon for compression and checksumming; a single writer
//! thread appends frames in whatever order they finish. A semaphore bounds the
//! chunks in flight, so memory stays flat whatever the table sizes.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::{Error, ProgressHandle};
use crate::archive::{self, ArchiveReader, ArchiveWriter};
use crate::catalog::RelKind;
use crate::format::toc::{CompressionInfo, FrameRef, StreamId, StreamInfo, StreamPart, Toc};
use crate::format::{encode_frame, DataKey, EncodedFrame, FormatError};
use crate::pg::copyscan::CopyScanner;
use crate::pg::tap::{ChunkPool, CopySink};
use crate::pg::{session, CloseReason, ConnParams, PgError};
use crate::schema::{self, quote, TableCopy};
use crate::storage::{MultipartSink, ObjectLocation};

use super::digest::{DigestHandle, HashingWriter};
use super::staged::StagedFile;

/// Where the archive goes.
#[derive(Debug, Clone)]
pub enum Output {
    File(PathBuf),
    Stdout,
    /// An object, written as a multipart upload that appears only when complete.
    Object(ObjectLocation),
}

#[derive(Debug, Clone)]
pub struct BackupOptions {
    pub conn: ConnParams,
    pub output: Output,
    pub jobs: usize,
    /// zstd level; 0 stores frames uncompressed.
    pub level: i32,
    /// Raw bytes per frame.
    pub chunk_size: usize,
    /// Tables larger than this are read as several ctid ranges of about this
    /// size, in parallel (PostgreSQL 14 and later); 0 never splits.
    pub split_bytes: u64,
    /// Give up when a table lock is not granted within this time; `None` waits.
    pub lock_wait: Option<Duration>,
    /// Which objects and parts to back up (default: everything).
    pub selection: schema::Selection,
    /// `--globals`: also the roles the database refers to; `Some(true)`
    /// with their passwords (`--role-passwords`).
    pub globals: Option<bool>,
    /// Encrypt the archive for these recipients / this passphrase.
    pub encryption: Option<crate::crypt::Encryption>,
    pub progress: ProgressHandle,
}

#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: Option<PathBuf>,
    pub archive_bytes: u64,
    pub raw_bytes: u64,
    /// Data streams (a split table counts once per part).
    pub tables: usize,
    pub rows: u64,
    pub entries: usize,
    pub elapsed: Duration,
    pub started_at: SystemTime,
    pub finished_at: SystemTime,
    /// SHA-256 (hex) of the whole archive file, computed as it was written;
    /// `None` for standard output.
    pub sha256: Option<String>,
    pub database: String,
    pub server_version: String,
    pub snapshot_time: String,
    /// One entry per table, the parts of split tables summed, in archive order.
    pub table_stats: Vec<TableStats>,
    /// Objects of kinds this version does not back up (described).
    pub not_backed_up: Vec<String>,
    /// The archive's format version, `major.minor`.
    pub format_version: String,
    /// Who the archive is encrypted for; `None` for a plain archive.
    pub encryption: Option<EncryptionInfo>,
}

/// Who an encrypted archive can be opened by (public facts only).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EncryptionInfo {
    /// The recipients' public keys (age1...).
    pub recipients: Vec<String>,
    /// Whether a passphrase also opens it.
    pub passphrase: bool,
}

/// What the archive holds for one table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableStats {
    pub schema: String,
    pub table: String,
    pub rows: u64,
    pub raw_bytes: u64,
    /// Frame payload bytes as stored (compressed).
    pub stored_bytes: u64,
}

/// Sums the streams of each table (split tables have several), in stream order.
fn table_stats(streams: &[StreamInfo]) -> Vec<TableStats> {
    let mut out: Vec<TableStats> = Vec::new();
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    for s in streams {
        let i = *index
            .entry((s.schema.as_str(), s.table.as_str()))
            .or_insert_with(|| {
                out.push(TableStats {
                    schema: s.schema.clone(),
                    table: s.table.clone(),
                    rows: 0,
                    raw_bytes: 0,
                    stored_bytes: 0,
                });
                out.len() - 1
            });
        out[i].rows += s.rows;
        out[i].raw_bytes += s.raw_bytes;
        out[i].stored_bytes += s
            .frames
            .iter()
            .map(|f| u64::from(f.stored_len))
            .sum::<u64>();
    }
    out
}

/// A compressed frame on its way to the writer, holding its memory permit.
type FrameMsg = Result<(EncodedFrame, OwnedSemaphorePermit), FormatError>;
type FrameMap = HashMap<(u32, u32), FrameRef>;

/// One COPY to run: a whole table, or one ctid range of it.
#[derive(Debug, Clone)]
struct WorkItem {
    id: StreamId,
    table: TableCopy,
    part: Option<StreamPart>,
}

impl WorkItem {
    /// Blocks this item reads (an estimate for the open-ended last part).
    fn blocks(&self) -> u64 {
        let total = u64::try_from(self.table.relpages).unwrap_or(0);
        match &self.part {
            None => total,
            Some(p) => p.end_block.unwrap_or(total.max(p.first_block + 1)) - p.first_block,
        }
    }
}

/// Splits tables larger than `split_blocks` (0: never) into ranges of about
/// that many blocks, each its own stream; stream ids follow entry order.
fn work_items(tables: &[TableCopy], split_blocks: u64) -> Vec<WorkItem> {
    let mut items = Vec::new();
    for t in tables {
        let blocks = u64::try_from(t.relpages).unwrap_or(0);
        let splittable = t.query.is_none() && !t.columns.is_empty();
        let parts = if split_blocks > 0 && splittable && blocks > split_blocks {
            blocks.div_ceil(split_blocks)
        } else {
            1
        };
        for i in 0..parts {
            let part = (parts > 1).then(|| StreamPart {
                index: i as u32,
                count: parts as u32,
                first_block: i * split_blocks,
                end_block: (i + 1 < parts).then_some((i + 1) * split_blocks),
            });
            items.push(WorkItem {
                id: StreamId(items.len() as u32 + 1),
                table: t.clone(),
                part,
            });
        }
    }
    items
}

/// What a worker learned about one stream.
#[derive(Debug)]
struct StreamStats {
    id: StreamId,
    table: TableCopy,
    part: Option<StreamPart>,
    frames: u32,
    raw_bytes: u64,
    rows: u64,
    crc32: u32,
}

impl StreamStats {
    /// The stream of an empty table: no frames, no rows.
    fn empty(item: WorkItem) -> StreamStats {
        StreamStats {
            id: item.id,
            table: item.table,
            part: item.part,
            frames: 0,
            raw_bytes: 0,
            rows: 0,
            crc32: crc32fast::Hasher::new().finalize(),
        }
    }
}

/// A table by schema and name, unquoted.
type TableName = (String, String);

/// Shared state of the workers.
struct Shared {
    queue: Mutex<VecDeque<WorkItem>>,
    permits: Arc<Semaphore>,
    frames: Mutex<Option<mpsc::Sender<FrameMsg>>>,
    writer_failed: Arc<AtomicBool>,
    level: i32,
    /// The data key frames are sealed with (encrypted archives).
    key: Option<DataKey>,
    /// Raw chunk buffers, handed back once compressed.
    buffers: Arc<ChunkPool>,
    progress: ProgressHandle,
}

pub async fn backup(opts: &BackupOptions) -> Result<BackupReport, Error> {
    let started = Instant::now();
    let started_at = SystemTime::now();
    if opts.jobs == 0 {
        return Err(Error::usage("-j/--jobs must be at least 1"));
    }
    let leader = opts.conn.connect("pgsnap").await?;
    session::setup_reader(&leader).await?;
    exec(
        &leader,
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        "start the snapshot transaction",
    )
    .await?;
    let snapshot: String = leader
        .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
        .await
        .map_err(|e| PgError::query("could not export the snapshot", &e))?
        .get(0);
    let facts = session::server_facts(&leader).await?;
    if let Some(warning) =
        crate::pg::version::check_source(facts.server_version_num).map_err(Error::usage)?
    {
        tracing::warn!("{warning}");
    }
    // Workers import the snapshot now, so the catalog can be read over all
    // connections at once.
    let buffers = Arc::new(ChunkPool::default());
    let workers = futures_util::future::try_join_all(
        (0..opts.jobs).map(|n| open_worker(opts, n, &snapshot, &buffers)),
    )
    .await?;
    let mut clients: Vec<&Client> = vec![&leader];
    clients.extend(workers.iter().map(|w| &w.client));
    // Reading the catalog can wait on locks too (deparsing an index or a
    // default opens its relation): the lock wait timeout covers it as well.
    set_lock_timeout(&clients, opts.lock_wait).await?;
    let catalog = match crate::catalog::load(&clients).await {
        Ok(c) => c,
        // One query timed out; others on its connection then find the transaction aborted.
        Err(e)
            if opts.lock_wait.is_some()
                && matches!(
                    e.code(),
                    Some(&SqlState::LOCK_NOT_AVAILABLE | &SqlState::IN_FAILED_SQL_TRANSACTION)
                ) =>
        {
            // The transactions that timed out are aborted: ask on a fresh connection.
            let blockers = match opts.conn.connect("pgsnap").await {
                Ok(c) if session::setup_reader(&c).await.is_ok() => {
                    lock_holders(&c, None).await.unwrap_or_default()
                }
                _ => Vec::new(),
            };
            return Err(Error::failed(format!(
                "reading the catalog waited longer than --lock-wait-timeout ({}): {}; a \
                 conflicting ACCESS EXCLUSIVE lock (ALTER TABLE, DROP, TRUNCATE, VACUUM FULL, \
                 REINDEX, CLUSTER) is held or queued; retry later or raise the timeout",
                humanize(opts.lock_wait.unwrap_or_default()),
                if blockers.is_empty() {
                    e.to_string()
                } else {
                    blockers.join("; ")
                }
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let mut catalog = catalog;
    if let Some(passwords) = opts.globals {
        let (roles, memberships) = crate::catalog::load_roles(&leader, passwords).await?;
        catalog.roles = roles;
        catalog.memberships = memberships;
        catalog.tablespaces = crate::catalog::load_tablespaces(&leader).await?;
    }
    let not_backed_up = catalog.not_backed_up.clone();
    // With nothing left out, every table of the catalog is backed up: it is
    // locked and sized while the schema is built (pure work, on its own
    // thread). A selection is known only on the built schema.
    let early: Vec<TableName> = if opts.selection.is_everything() {
        catalog
            .relations
            .iter()
            .filter(|r| r.kind == RelKind::Table)
            .map(|r| (r.schema.clone(), r.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let build = tokio::task::spawn_blocking(move || schema::build(&catalog));
    let lock_early = async {
        lock_tables(&leader, &early, opts.lock_wait).await?;
        table_sizes(&leader, &early).await
    };
    let (built, sizes) = tokio::join!(build, lock_early);
    let mut sizes = sizes?;
    let mut plan =
        built.map_err(|e| Error::failed(format!("building the schema failed: {e}")))??;
    if !not_backed_up.is_empty() {
        let shown: Vec<&str> = not_backed_up.iter().take(10).map(String::as_str).collect();
        tracing::warn!(
            "this version of pgsnap does not back up {} object(s) of this database, and a restore \
             will lack them: {}{}",
            not_backed_up.len(),
            shown.join("; "),
            if not_backed_up.len() > 10 {
                "; ..."
            } else {
                ""
            }
        );
    }
    if !opts.selection.is_everything() {
        let keep = opts.selection.apply(&mut plan.entries)?;
        plan.tables.retain(|t| keep.contains(&t.entry));
    }
    let rest: Vec<TableName> = plan
        .tables
        .iter()
        .filter(|t| t.query.is_none())
        .map(|t| (t.schema.clone(), t.table.clone()))
        .filter(|name| !sizes.contains_key(name))
        .collect();
    lock_tables(&leader, &rest, opts.lock_wait).await?;
    sizes.extend(table_sizes(&leader, &rest).await?);
    set_lock_timeout(&clients, None).await?;
    for t in plan.tables.iter_mut().filter(|t| t.query.is_none()) {
        t.relpages = sizes
            .get(&(t.schema.clone(), t.table.clone()))
            .copied()
            .unwrap_or(0);
    }
    tracing::info!(
        database = %facts.database,
        server = %facts.server_version,
        entries = plan.entries.len(),
        tables = plan.tables.len(),
        "snapshot {snapshot} taken"
    );

    type Sink = Box<dyn Write + Send>;
    let mut upload: Option<Arc<Mutex<MultipartSink>>> = None;
    let (staged, sink, file, digest): (
        Option<StagedFile>,
        Sink,
        Option<File>,
        Option<DigestHandle>,
    ) = match &opts.output {
        Output::Object(location) => {
            let sink = MultipartSink::start(location, tokio::runtime::Handle::current())?;
            let shared = Arc::new(Mutex::new(sink));
            upload = Some(Arc::clone(&shared));
            let (hashing, digest) = HashingWriter::new(SharedSink(shared));
            (
                None,
                Box::new(BufWriter::with_capacity(1 << 20, hashing)),
                None,
                Some(digest),
            )
        }
        Output::File(path) => {
            let (staged, file) = StagedFile::create(path).map_err(|e| {
                    Error::failed(format!(
                        "cannot create the archive next to {}: {e}; check that the directory exists and is writable",
                        path.display()
                    ))
                })?;
            let clone = file.try_clone()?;
            // Hash below the buffer: the hasher sees large writes.
            let (hashing, digest) = HashingWriter::new(file);
            (
                Some(staged),
                Box::new(BufWriter::with_capacity(1 << 20, hashing)),
                Some(clone),
                Some(digest),
            )
        }
        Output::Stdout => (
            None,
            Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout())),
            None,
            None,
        ),
    };

    let (tx, rx) = mpsc::channel::<FrameMsg>();
    let sealing = match &opts.encryption {
        Some(e) => Some(e.seal()?),
        None => None,
    };
    let writer = ArchiveWriter::new(sink, sealing.as_ref())?;
    let (format_major, format_minor) = writer.version();
    let key = writer.key().cloned();
    let writer_failed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&writer_failed);
    let writer_thread = std::thread::spawn(move || {
        let res = write_frames(writer, rx);
        flag.store(res.is_err(), Ordering::SeqCst);
        res
    });

    let split_blocks = if facts.server_version_num >= 140_000 && facts.block_size > 0 {
        opts.split_bytes / facts.block_size
    } else {
        // Before 14 a ctid range is a full scan with a filter: splitting never pays.
        0
    };
    let mut items = work_items(&plan.tables, split_blocks);
    items.sort_by(|a, b| b.blocks().cmp(&a.blocks()).then(a.id.cmp(&b.id)));
    let shared = Arc::new(Shared {
        queue: Mutex::new(VecDeque::new()),
        permits: Arc::new(Semaphore::new(2 * opts.jobs + 2)),
        frames: Mutex::new(Some(tx)),
        writer_failed,
        level: opts.level,
        key: key.clone(),
        buffers,
        progress: opts.progress.clone(),
    });

    let mut stats = Vec::new();
    let mut queue = VecDeque::new();
    for item in items {
        if item.table.relpages == 0 {
            stats.push(StreamStats::empty(item));
        } else {
            queue.push_back(item);
        }
    }
    opts.progress.start(
        "backup",
        queue
            .iter()
            .map(|i| i.blocks().saturating_mul(facts.block_size))
            .sum(),
    );
    *shared.queue.lock().expect("queue lock") = queue;
    let copied = run_workers(workers, &shared).await;
    opts.progress.finish();
    let stats = copied.map(|mut copied| {
        stats.append(&mut copied);
        stats
    });
    // Close our sender: the writer stops once every in-flight frame is written.
    shared.frames.lock().expect("frames lock").take();
    let written = tokio::task::spawn_blocking(move || writer_thread.join())
        .await
        .map_err(|e| Error::failed(format!("archive writer task failed: {e}")))?
        .map_err(|_| Error::failed("archive writer thread panicked"))?;
    // A writer failure (disk full, say) is the root cause of any worker error.
    let (writer, frame_map) = written?;
    let mut stats = stats?;

    stats.sort_by_key(|s| s.id);
    let streams = stats
        .into_iter()
        .map(|s| stream_info(s, &frame_map))
        .collect::<Result<Vec<_>, Error>>()?;
    let raw_bytes = streams.iter().map(|s| s.raw_bytes).sum();
    let rows = streams.iter().map(|s| s.rows).sum();
    let per_table = table_stats(&streams);
    let database = facts.database.clone();
    let server_version = facts.server_version.clone();
    let snapshot_time = facts.snapshot_time.clone();
    let toc = Toc {
        format_major,
        format_minor,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        server_version: facts.server_version,
        server_version_num: facts.server_version_num,
        database: facts.database,
        encoding: facts.encoding,
        collate: facts.collate,
        ctype: facts.ctype,
        locale: facts.locale,
        snapshot_time: facts.snapshot_time,
        compression: CompressionInfo {
            codec: if opts.level == 0 { "none" } else { "zstd" }.to_string(),
            level: opts.level,
        },
        entries: plan.entries,
        streams,
    };
    let entries = toc.entries.len();
    let tables_count = toc.streams.len();
    let (mut sink, archive_bytes) = tokio::task::spawn_blocking(move || writer.finish(&toc))
        .await
        .map_err(|e| Error::failed(format!("archive writer task failed: {e}")))??;
    sink.flush()?;
    drop(sink);
    if let Some(upload) = upload.take() {
        // Completing the upload is what makes the object appear.
        upload.lock().expect("upload lock").finish()?;
    }
    let sha256 = digest.map(|d| d.hex());
    // The snapshot is no longer needed once every table is read.
    let _ = leader.batch_execute("COMMIT").await;

    let path = match (staged, file) {
        (Some(staged), Some(file)) => {
            file.sync_all()?;
            let tmp = staged.temp_path().to_path_buf();
            tokio::task::spawn_blocking(move || -> Result<(), Error> {
                let source = Box::new(archive::FileSource::open(&tmp)?);
                let reader = match &key {
                    Some(k) => ArchiveReader::open_source(source, k)?,
                    None => ArchiveReader::open_source(source, &archive::NoKey)?,
                };
                archive::verify_stored(&reader)?;
                Ok(())
            })
            .await
            .map_err(|e| Error::failed(format!("re-reading the archive failed: {e}")))?
            .map_err(|e| e.context("the archive just written does not read back correctly"))?;
            staged.commit()?;
            match &opts.output {
                Output::File(p) => Some(p.clone()),
                Output::Stdout | Output::Object(_) => None,
            }
        }
        _ => None,
    };
    Ok(BackupReport {
        path,
        archive_bytes,
        raw_bytes,
        tables: tables_count,
        rows,
        entries,
        elapsed: started.elapsed(),
        started_at,
        finished_at: SystemTime::now(),
        sha256,
        database,
        server_version,
        snapshot_time,
        table_stats: per_table,
        not_backed_up,
        format_version: format!("{format_major}.{format_minor}"),
        encryption: opts.encryption.as_ref().map(|e| EncryptionInfo {
            recipients: e.recipient_strings(),
            passphrase: e.has_passphrase(),
        }),
    })
}

/// The upload as the archive writer's sink; the backup keeps the other handle
/// to complete (or, dropped unfinished, abort) it.
struct SharedSink(Arc<Mutex<MultipartSink>>);

impl Write for SharedSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("upload lock").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn exec(client: &Client, sql: &str, what: &str) -> Result<(), Error> {
    client
        .batch_execute(sql)
        .await
        .map_err(|e| PgError::query(&format!("could not {what}"), &e).into())
}

/// Takes ACCESS SHARE locks on every table we copy, as pg_dump does, so no
/// table can be dropped or rewritten under the backup. Under a lock wait
/// timeout (set by the caller), a table held (or about to be taken) by an
/// ACCESS EXCLUSIVE lock fails the backup after that long, naming the table
/// and the session that holds it, instead of queueing indefinitely.
async fn lock_tables(
    client: &Client,
    tables: &[TableName],
    wait: Option<Duration>,
) -> Result<(), Error> {
    for batch in tables.chunks(500) {
        let names: Vec<String> = batch
            .iter()
            .map(|(schema, table)| quote::qualified(schema, table))
            .collect();
        let sql = format!(
            "SAVEPOINT pgsnap_lock; LOCK TABLE {} IN ACCESS SHARE MODE; RELEASE SAVEPOINT pgsnap_lock",
            names.join(", ")
        );
        if let Err(e) = client.batch_execute(&sql).await {
            if e.code() != Some(&SqlState::LOCK_NOT_AVAILABLE) {
                return Err(PgError::query("could not lock the tables to back up", &e).into());
            }
            exec(
                client,
                "ROLLBACK TO SAVEPOINT pgsnap_lock",
                "recover from the lock timeout",
            )
            .await?;
            let blockers = lock_holders(client, Some(&names)).await.unwrap_or_default();
            return Err(Error::failed(format!(
                "could not lock the tables to back up within --lock-wait-timeout ({}): {}; \
                 a conflicting ACCESS EXCLUSIVE lock (ALTER TABLE, DROP, TRUNCATE, VACUUM FULL, \
                 REINDEX, CLUSTER) is held or queued; retry later or raise the timeout",
                humanize(wait.unwrap_or_default()),
                if blockers.is_empty() {
                    "lock timeout".to_string()
                } else {
                    blockers.join("; ")
                }
            )));
        }
    }
    Ok(())
}

/// Sets `lock_timeout` for the rest of each client's transaction; `None` waits.
async fn set_lock_timeout(clients: &[&Client], wait: Option<Duration>) -> Result<(), Error> {
    let ms = wait.map_or(0, |w| w.as_millis().max(1)).to_string();
    for client in clients {
        client
            .execute(
                "SELECT pg_catalog.set_config('lock_timeout', $1, true)",
                &[&ms],
            )
            .await
            .map_err(|e| PgError::query("could not set lock_timeout", &e))?;
    }
    Ok(())
}

/// Who holds or waits for an ACCESS EXCLUSIVE lock on any of `names`, or on
/// any relation of this database when `names` is `None`.
async fn lock_holders(
    client: &Client,
    names: Option<&[String]>,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT l.relation::pg_catalog.regclass::text, l.pid, l.granted, \
                    coalesce(a.application_name, ''), left(coalesce(a.query, ''), 80) \
             FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' \
               AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
               AND ($1::text[] IS NULL OR l.relation = ANY \
                    (SELECT pg_catalog.to_regclass(n)::pg_catalog.oid FROM unnest($1::text[]) n)) \
             ORDER BY l.granted DESC, l.pid",
            &[&names],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let (table, pid, granted): (String, i32, bool) = (r.get(0), r.get(1), r.get(2));
            let (app, query): (String, String) = (r.get(3), r.get(4));
            format!(
                "table {table} is {} ACCESS EXCLUSIVE by pid {pid}{}{}",
                if granted { "locked" } else { "waiting for" },
                if app.is_empty() {
                    String::new()
                } else {
                    format!(" ({app})")
                },
                if query.is_empty() {
                    String::new()
                } else {
                    format!(", query: {query}")
                }
            )
        })
        .collect())
}

fn humanize(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// A worker's connection, with where its COPY data arrives.
struct Worker {
    client: Client,
    closed: CloseReason,
    sink: Arc<CopySink>,
}

/// Opens worker connection `n` and imports the leader's snapshot.
async fn open_worker(
    opts: &BackupOptions,
    n: usize,
    snapshot: &str,
    buffers: &Arc<ChunkPool>,
) -> Result<Worker, Error> {
    // One finished chunk may wait for the worker while the next fills; then
    // the socket waits.
    let sink = CopySink::new(opts.chunk_size, 1, Arc::clone(buffers));
    let begin = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT {}",
        quote::literal(snapshot)
    );
    let (client, closed) = opts
        .conn
        .connect_tapped(
            &format!("pgsnap worker {n}"),
            &sink,
            async |client: &Client| {
                session::setup_reader(client).await?;
                client
                    .batch_execute(&begin)
                    .await
                    .map_err(|e| PgError::query("could not import the snapshot", &e))
            },
        )
        .await?;
    Ok(Worker {
        client,
        closed,
        sink,
    })
}

/// Every table's size, read once it is locked. A table whose main fork is
/// empty under the lock has no rows in the snapshot either (what a COPY
/// would read is that same file), so it needs no COPY at all.
async fn table_sizes(
    client: &Client,
    tables: &[TableName],
) -> Result<HashMap<TableName, i64>, Error> {
    if tables.is_empty() {
        return Ok(HashMap::new());
    }
    let schemas: Vec<&str> = tables.iter().map(|(s, _)| s.as_str()).collect();
    let names: Vec<&str> = tables.iter().map(|(_, t)| t.as_str()).collect();
    // Looked up by name with a join, not a cast to regclass per table (a
    // third of the time at 10,000 tables).
    let rows = client
        .query(
            "SELECT u.i, COALESCE(pg_catalog.pg_relation_size(c.oid), 0) \
                    / current_setting('block_size')::int8 \
             FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(s, t, i) \
             LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = u.s \
             LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = u.t",
            &[&schemas, &names],
        )
        .await
        .map_err(|e| PgError::query("could not read table sizes", &e))?;
    let mut out = HashMap::with_capacity(tables.len());
    for r in rows {
        let i: i64 = r.get(0);
        if let Some(name) = usize::try_from(i - 1).ok().and_then(|i| tables.get(i)) {
            out.insert(name.clone(), r.get(1));
        }
    }
    Ok(out)
}

async fn run_workers(
    workers: Vec<Worker>,
    shared: &Arc<Shared>,
) -> Result<Vec<StreamStats>, Error> {
    let mut set = JoinSet::new();
    for w in workers {
        let shared = Arc::clone(shared);
        set.spawn(async move { worker(w, shared).await });
    }
    let mut all = Vec::new();
    while let Some(res) = set.join_next().await {
        match res {
            Ok(Ok(mut stats)) => all.append(&mut stats),
            Ok(Err(e)) => {
                set.abort_all();
                return Err(e);
            }
            Err(e) => {
                set.abort_all();
                return Err(Error::failed(format!("backup worker failed: {e}")));
            }
        }
    }
    Ok(all)
}

async fn worker(w: Worker, shared: Arc<Shared>) -> Result<Vec<StreamStats>, Error> {
    let mut out = Vec::new();
    loop {
        let next = shared.queue.lock().expect("queue lock").pop_front();
        let Some(item) = next else { break };
        let name = quote::qualified(&item.table.schema, &item.table.table);
        let started = Instant::now();
        let stats = copy_table(&w, item, &shared)
            .await
            .map_err(|e| e.context(format!("backup of table {name} failed")))?;
        tracing::debug!(table = %name, rows = stats.rows, bytes = stats.raw_bytes, ms = started.elapsed().as_millis() as u64, "copied");
        out.push(stats);
    }
    let _ = w.client.batch_execute("COMMIT").await;
    Ok(out)
}

/// The COPY statement that reads a table, or one ctid range of it.
pub fn copy_out_sql(t: &TableCopy, part: Option<&StreamPart>) -> String {
    let name = quote::qualified(&t.schema, &t.table);
    if let Some(q) = &t.query {
        return format!("COPY ({q}) TO STDOUT (FORMAT {})", t.format.as_sql());
    }
    let source = match part {
        None => format!("{name}{}", column_list(&t.columns)),
        Some(p) => {
            let cols: Vec<String> = t.columns.iter().map(|c| quote::ident(c)).collect();
            let mut filter = format!("ctid >= '({},0)'::pg_catalog.tid", p.first_block);
            if let Some(end) = p.end_block {
                filter.push_str(&format!(" AND ctid < '({end},0)'::pg_catalog.tid"));
            }
            format!(
                "(SELECT {} FROM ONLY {name} WHERE {filter})",
                cols.join(", ")
            )
        }
    };
    format!("COPY {source} TO STDOUT (FORMAT {})", t.format.as_sql())
}

/// ` (a, b, c)`, or nothing for a table without columns.
pub fn column_list(columns: &[String]) -> String {
    if columns.is_empty() {
        return String::new();
    }
    let cols: Vec<String> = columns.iter().map(|c| quote::ident(c)).collect();
    format!(" ({})", cols.join(", "))
}

async fn copy_table(w: &Worker, item: WorkItem, shared: &Shared) -> Result<StreamStats, Error> {
    let WorkItem { id, table, part } = item;
    let closed = &w.closed;
    let stream = match w
        .client
        .copy_out(&copy_out_sql(&table, part.as_ref()))
        .await
    {
        Ok(s) => s,
        Err(e) => {
            return Err(
                PgError::query_text("COPY failed to start", &closed.describe(&e).await).into(),
            )
        }
    };
    futures_util::pin_mut!(stream);
    let label = quote::qualified(&table.schema, &table.table);
    shared.progress.table_started(&label);
    let mut scanner = CopyScanner::new(table.format);
    let mut crc = crc32fast::Hasher::new();
    let mut seq = 0u32;
    let mut raw_bytes = 0u64;
    // Everything per chunk rather than per row: the scan, the checksum and
    // the progress run over whole chunks.
    let mut scanned = |chunk: &[u8]| -> Result<(), Error> {
        let rows_before = scanner.rows();
        scanner
            .feed(chunk)
            .map_err(|e| Error::failed(format!("server sent a malformed COPY stream: {e}")))?;
        crc.update(chunk);
        raw_bytes += chunk.len() as u64;
        shared
            .progress
            .advance(&label, chunk.len() as u64, scanner.rows() - rows_before);
        Ok(())
    };
    // The rows arrive in the tap's chunks; through the stream only when the
    // connection is not tapped (TLS offered but refused: see `pg::tap`), and
    // then go through the same sink.
    loop {
        tokio::select! {
            biased;
            chunk = w.sink.next_chunk() => {
                scanned(&chunk)?;
                submit(shared, id, seq, chunk).await?;
                seq += 1;
            }
            piece = stream.next() => match piece {
                None => break,
                Some(Ok(piece)) => w.sink.feed(&piece),
                Some(Err(e)) => {
                    return Err(
                        PgError::query_text("COPY stream broke", &closed.describe(&e).await)
                            .into(),
                    )
                }
            },
        }
    }
    // The last chunk is finished before tokio-postgres sees the COPY end.
    w.sink.flush();
    while let Some(chunk) = w.sink.try_chunk() {
        scanned(&chunk)?;
        submit(shared, id, seq, chunk).await?;
        seq += 1;
    }
    let rows = scanner
        .finish()
        .map_err(|e| Error::failed(format!("server sent an incomplete COPY stream: {e}")))?;
    shared.progress.table_finished(&label);
    Ok(StreamStats {
        id,
        table,
        part,
        frames: seq,
        raw_bytes,
        rows,
        crc32: crc.finalize(),
    })
}

/// Hands a raw chunk to rayon for compression; waits while too many are in flight.
async fn submit(shared: &Shared, id: StreamId, seq: u32, data: BytesMut) -> Result<(), Error> {
    if shared.writer_failed.load(Ordering::SeqCst) {
        return Err(Error::failed("the archive writer has stopped"));
    }
    let permit = Arc::clone(&shared.permits)
        .acquire_owned()
        .await
        .map_err(|_| Error::failed("backup was cancelled"))?;
    let tx = shared
        .frames
        .lock()
        .expect("frames lock")
        .clone()
        .ok_or_else(|| Error::failed("the archive writer has stopped"))?;
    let level = shared.level;
    let key = shared.key.clone();
    let buffers = Arc::clone(&shared.buffers);
    rayon::spawn(move || {
        let frame = encode_frame(id.0, seq, &data, level, key.as_ref()).map(|f| (f, permit));
        buffers.put(data);
        let _ = tx.send(frame);
    });
    Ok(())
}

/// The writer thread: appends frames as they arrive and remembers where each went.
fn write_frames(
    mut writer: ArchiveWriter<Box<dyn Write + Send>>,
    rx: mpsc::Receiver<FrameMsg>,
) -> Result<(ArchiveWriter<Box<dyn Write + Send>>, FrameMap), Error> {
    let mut map = FrameMap::new();
    for msg in rx {
        let (frame, permit) =
            msg.map_err(|e| Error::failed(format!("compressing a frame failed: {e}")))?;
        let fref = writer
            .write_frame(&frame)
            .map_err(|e| Error::from(e).context("writing the archive failed"))?;
        map.insert((frame.stream, frame.seq), fref);
        drop(permit);
    }
    Ok((writer, map))
}

fn stream_info(s: StreamStats, map: &FrameMap) -> Result<StreamInfo, Error> {
    let frames = (0..s.frames)
        .map(|seq| {
            map.get(&(s.id.0, seq)).copied().ok_or_else(|| {
                Error::failed(format!(
                    "internal error: frame {seq} of stream {} was never written",
                    s.id.0
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StreamInfo {
        id: s.id,
        entry: s.table.entry,
        schema: s.table.schema,
        table: s.table.table,
        columns: s.table.columns,
        format: s.table.format,
        frames,
        raw_bytes: s.raw_bytes,
        rows: s.rows,
        crc32: s.crc32,
        part: s.part,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::toc::{CopyFormat, DumpId};

    fn table(name: &str, relpages: i64) -> TableCopy {
        TableCopy {
            entry: DumpId(1),
            schema: "s".into(),
            table: name.into(),
            columns: vec!["a".into(), "b c".into()],
            format: CopyFormat::Binary,
            relpages,
            query: None,
        }
    }

    #[test]
    fn big_tables_split_into_contiguous_ranges() {
        let items = work_items(&[table("small", 10), table("big", 25)], 10);
        assert_eq!(items.len(), 4);
        assert!(items[0].part.is_none());
        let parts: Vec<_> = items[1..].iter().map(|i| i.part.unwrap()).collect();
        assert_eq!((parts[0].first_block, parts[0].end_block), (0, Some(10)));
        assert_eq!((parts[1].first_block, parts[1].end_block), (10, Some(20)));
        assert_eq!((parts[2].first_block, parts[2].end_block), (20, None));
        assert!(parts.iter().all(|p| p.count == 3));
        assert_eq!(
            items.iter().map(|i| i.id.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert_eq!(work_items(&[table("big", 25)], 0).len(), 1);
    }

    #[test]
    fn range_copy_selects_only_that_range() {
        let t = table("big", 25);
        assert_eq!(
            copy_out_sql(&t, None),
            "COPY s.big (a, \"b c\") TO STDOUT (FORMAT binary)"
        );
        let p = StreamPart {
            index: 1,
            count: 3,
            first_block: 10,
            end_block: Some(20),
        };
        assert_eq!(
            copy_out_sql(&t, Some(&p)),
            "COPY (SELECT a, \"b c\" FROM ONLY s.big WHERE ctid >= '(10,0)'::pg_catalog.tid \
             AND ctid < '(20,0)'::pg_catalog.tid) TO STDOUT (FORMAT binary)"
        );
    }
}
