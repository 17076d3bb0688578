//! `pgsnap demo`: the whole cycle on a throwaway local cluster. Loads a sample
//! database (the test corpus plus a large table of mixed types), backs it up,
//! verifies the archive, restores it into a new database, compares source and
//! restored with PostgreSQL as the oracle, prints a report and cleans up.

use std::path::PathBuf;
use std::time::Instant;

use crate::cluster::{compare, corpus, find_bindir, Cluster, ClusterError};
use crate::engine::{self, BackupOptions, Error, Output, RestoreOptions};
use crate::format::DEFAULT_CHUNK;
use crate::pg::error_text;
use crate::schema::Selection;

const CORPUS: &str = include_str!("../tests/corpus/app.sql");

fn cluster_err(e: ClusterError) -> Error {
    Error::failed(format!("demo: {e}"))
}

/// SQL for the demo's large table of `rows` rows.
pub fn events_sql(rows: u32) -> String {
    format!(
        "CREATE TABLE public.demo_events (
             id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             at timestamptz NOT NULL,
             kind text NOT NULL,
             ref uuid,
             amount numeric(12,2),
             tags text[],
             payload jsonb,
             blob bytea);
         INSERT INTO public.demo_events (at, kind, ref, amount, tags, payload, blob)
         SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '17 seconds',
                (ARRAY['click','view','purchase','signup'])[1 + i % 4],
                md5(i::text)::uuid,
                CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 100000) / 7.0 END,
                ARRAY['t' || (i % 10), 'g' || (i % 7)],
                jsonb_build_object('user', i % 5000, 'page', '/p/' || (i % 300), 'note', repeat(md5(i::text), 2)),
                decode(md5((i * 7)::text), 'hex')
         FROM generate_series(1, {rows}) AS i;
         CREATE INDEX demo_events_at ON public.demo_events (at);
         ANALYZE;"
    )
}

pub async fn run(rows: u32, jobs: usize, bindir: Option<PathBuf>) -> Result<(), Error> {
    let bindir = find_bindir(bindir.as_deref()).map_err(|e| Error::usage(e.to_string()))?;
    println!("pgsnap demo: PostgreSQL binaries from {}", bindir.display());
    let t = Instant::now();
    let cluster = Cluster::start(&bindir).map_err(cluster_err)?;
    println!(
        "  throwaway cluster on port {} ({:.1} s)",
        cluster.port(),
        t.elapsed().as_secs_f64()
    );
    let work = std::env::temp_dir().join(format!("pgsnap-demo-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let res = cycle(&cluster, &work, rows, jobs).await;
    let _ = std::fs::remove_dir_all(&work);
    drop(cluster);
    res
}

async fn sql(cluster: &Cluster, db: &str, text: &str) -> Result<(), Error> {
    let c = cluster.params(db).connect("pgsnap demo").await?;
    c.batch_execute(text).await.map_err(|e| {
        Error::failed(format!(
            "demo: loading sample data failed: {}",
            error_text(&e)
        ))
    })
}

async fn cycle(
    cluster: &Cluster,
    work: &std::path::Path,
    rows: u32,
    jobs: usize,
) -> Result<(), Error> {
    let t = Instant::now();
    sql(cluster, "postgres", "CREATE DATABASE demo").await?;
    let major = cluster
        .params("demo")
        .connect("pgsnap demo")
        .await?
        .query_one("SELECT current_setting('server_version_num')::int4", &[])
        .await
        .map_err(|e| Error::failed(error_text(&e)))?
        .get::<_, i32>(0)
        / 10_000;
    sql(cluster, "demo", &corpus::for_major(CORPUS, major as u32)).await?;
    sql(cluster, "demo", &events_sql(rows)).await?;
    let src = cluster.params("demo").connect("pgsnap demo").await?;
    let db_size: i64 = src
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .map_err(|e| Error::failed(error_text(&e)))?
        .get(0);
    println!(
        "  sample database loaded: {:.1} MiB ({:.1} s)",
        mib(db_size as u64),
        t.elapsed().as_secs_f64()
    );

    let file = work.join("demo.pgsnap");
    let report = engine::backup(&BackupOptions {
        selection: Selection::default(),
        globals: None,
        conn: cluster.params("demo"),
        output: Output::File(file.clone()),
        jobs,
        level: 1,
        chunk_size: DEFAULT_CHUNK,
        split_bytes: 128 << 20,
        lock_wait: None,
        encryption: None,
        progress: engine::ProgressHandle::default(),
    })
    .await?;
    println!(
        "  backup  -j {jobs}: {:.1} MiB archive from {:.1} MiB of COPY data ({:.1}x), {} tables, {} rows, {:.2} s",
        mib(report.archive_bytes),
        mib(report.raw_bytes),
        report.raw_bytes as f64 / report.archive_bytes.max(1) as f64,
        report.tables,
        report.rows,
        report.elapsed.as_secs_f64()
    );

    let t = Instant::now();
    let v = engine::verify(&file, &Default::default())?;
    println!(
        "  verify: OK, {} frames, {} rows checked, {:.2} s",
        v.frames,
        v.rows,
        t.elapsed().as_secs_f64()
    );

    let r = engine::restore(&RestoreOptions {
        selection: Selection::default(),
        globals: false,
        conn: cluster.params("demo_restored"),
        input: crate::storage::Location::Local(file),
        jobs,
        create: true,
        clean: false,
        settings: engine::restore_settings(&[]),
        single_transaction: false,
        space_check: true,
        analyze: true,
        reindex: false,
        force: false,
        keys: Default::default(),
        progress: engine::ProgressHandle::default(),
    })
    .await?;
    println!(
        "  restore -j {jobs}: {} entries, {} rows into database demo_restored, {:.2} s",
        r.entries,
        r.rows,
        r.elapsed.as_secs_f64()
    );

    let dst = cluster
        .params("demo_restored")
        .connect("pgsnap demo")
        .await?;
    let a = compare::table_digests(&src).await.map_err(cluster_err)?;
    let b = compare::table_digests(&dst).await.map_err(cluster_err)?;
    let data_diffs = compare::data_differences(&a, &b);
    let schema_diffs = if cluster.bindir().join("pg_dump").is_file() {
        let sa = compare::schema_dump(cluster, "demo").map_err(cluster_err)?;
        let sb = compare::schema_dump(cluster, "demo_restored").map_err(cluster_err)?;
        Some(compare::line_differences(&sa, &sb))
    } else {
        None
    };
    println!(
        "  compare: {} tables, {} with different rows; schema: {}",
        a.len(),
        data_diffs.len(),
        match &schema_diffs {
            Some(d) if d.is_empty() => "pg_dump --schema-only identical".to_string(),
            Some(d) => format!("{} lines differ in pg_dump --schema-only", d.len()),
            None => "not compared (no pg_dump next to the server binaries)".to_string(),
        }
    );
    for d in data_diffs
        .iter()
        .chain(schema_diffs.iter().flatten())
        .take(40)
    {
        println!("    {d}");
    }
    if !data_diffs.is_empty() || schema_diffs.as_ref().is_some_and(|d| !d.is_empty()) {
        return Err(Error::failed(
            "demo: the restored database differs from the source",
        ));
    }
    println!("pgsnap demo: OK");
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
