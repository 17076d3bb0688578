//! Named backups: metadata records, `pgsnap backups`, `pgsnap prune` and
//! `backup --prune`, against a real database.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::*;

async fn small_db(tag: &str) -> TestDb {
    let db = TestDb::new(tag).await;
    db.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text);
         INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;
         CREATE TABLE empty (id int);",
    )
    .await;
    db
}

/// `backup --dir DIR --name NAME`, plus `extra` flags.
fn named_backup(db: &TestDb, dir: &Scratch, name: &str, extra: &[&str]) -> std::process::Output {
    let conninfo = db.conninfo();
    let mut args = vec![
        "backup",
        "-d",
        &conninfo,
        "--dir",
        path_str(&dir.0),
        "--name",
        name,
    ];
    args.extend_from_slice(extra);
    pgsnap(&args)
}

fn file_with_prefix(dir: &Scratch, prefix: &str, suffix: &str) -> String {
    let found: Vec<String> = dir
        .files()
        .into_iter()
        .filter(|f| f.starts_with(prefix) && f.ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{prefix}*{suffix} in {:?}", dir.files());
    found[0].clone()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

#[tokio::test]
async fn named_backup_writes_metadata_matching_the_archive() {
    let db = small_db("opsmeta").await;
    let dir = Scratch::new("opsmeta");
    ok(&named_backup(&db, &dir, "shop", &[]));
    let archive = file_with_prefix(&dir, "shop_", ".pgsnap");
    let meta_name = format!("{archive}.json");
    assert_eq!(dir.files(), [archive.clone(), meta_name.clone()]);
    let meta_path = dir.path(&meta_name);
    assert_eq!(
        std::fs::metadata(&meta_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let m = json(&std::fs::read(&meta_path).unwrap());
    let bytes = std::fs::read(dir.path(&archive)).unwrap();
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(m["sha256"], digest.as_str(), "{m}");
    assert_eq!(m["status"], "success");
    assert_eq!(m["archive"], archive.as_str());
    assert_eq!(m["database"], db.name.as_str());
    assert_eq!(m["archive_bytes"], bytes.len() as u64);
    assert_eq!(m["format_version"], "1.2");
    assert!(m["verified_at"].is_null());
    assert!(m["host"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/{}", db.name)));
    assert!(m["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(m["duration_seconds"].as_f64().unwrap() >= 0.0);
    let tables = m["tables"].as_array().unwrap();
    let rows = |t: &str| {
        tables
            .iter()
            .find(|x| x["schema"] == "public" && x["table"] == t)
            .unwrap_or_else(|| panic!("{t} missing: {m}"))["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(rows("items"), 1000);
    assert_eq!(rows("empty"), 0);
}

#[tokio::test]
async fn failed_backup_leaves_a_failed_record_and_no_archive() {
    let db = small_db("opsfail").await;
    let holder = db.client().await;
    holder
        // A table without indexes: the catalog read itself would wait on an indexed one.
        .batch_execute("BEGIN; LOCK TABLE empty IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let dir = Scratch::new("opsfail");
    let out = named_backup(&db, &dir, "shop", &["--lock-wait-timeout", "1s"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_only_failed_record(&dir);
    let m = json(&std::fs::read(dir.path(&dir.files()[0])).unwrap());
    assert!(
        m["error"].as_str().unwrap().contains("--lock-wait-timeout"),
        "{m}"
    );
    holder.batch_execute("COMMIT").await.unwrap();

    let listed = pgsnap(&["backups", "--dir", path_str(&dir.0)]);
    ok(&listed);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("failed"), "{text}");
}

#[tokio::test]
async fn backups_lists_newest_first_and_prune_keeps_the_newest() {
    let db = small_db("opsprune").await;
    let dir = Scratch::new("opsprune");
    let d = path_str(&dir.0).to_string();
    ok(&named_backup(&db, &dir, "a", &[]));
    // A failed run between two successes.
    let out = pgsnap(&[
        "backup",
        "-d",
        &db.cluster.conninfo("no_such_database_here"),
        "--dir",
        &d,
        "--name",
        "b",
    ]);
    assert!(!out.status.success());
    ok(&named_backup(&db, &dir, "c", &[]));
    // An archive without metadata.
    std::fs::copy(
        dir.path(&file_with_prefix(&dir, "a_", ".pgsnap")),
        dir.path("plain.pgsnap"),
    )
    .unwrap();
    ok(&named_backup(&db, &dir, "d", &[]));

    let listed = pgsnap(&["backups", "--dir", &d, "--json"]);
    ok(&listed);
    let v = json(&listed.stdout);
    let rows = v.as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 5, "{v}");
    assert!(
        names[0].starts_with("d_") && names[1] == "plain.pgsnap",
        "{names:?}"
    );
    assert!(
        names[2].starts_with("c_") && names[3].starts_with("b_"),
        "{names:?}"
    );
    assert!(names[4].starts_with("a_"), "{names:?}");
    assert_eq!(
        status,
        ["success", "unknown", "success", "failed", "success"]
    );

    let before = dir.files();
    let plan = pgsnap(&["prune", "--dir", &d, "--keep-last", "1", "--dry-run"]);
    ok(&plan);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(dir.files(), before, "a dry run deleted files");
    assert!(text.contains(&format!("keep    {}", names[0])), "{text}");
    assert!(text.contains("newest backup, last 1"), "{text}");
    assert!(
        text.contains("failed run older than the newest backup"),
        "{text}"
    );
    assert!(text.contains("1 kept, 4 deleted"), "{text}");
    assert!(text.contains("dry run: nothing was deleted"), "{text}");

    ok(&pgsnap(&["prune", "--dir", &d, "--keep-last", "1"]));
    assert_eq!(
        dir.files(),
        [names[0].to_string(), format!("{}.json", names[0])]
    );

    let none = pgsnap(&["prune", "--dir", &d]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        stderr(&none).contains("no retention rule given"),
        "{}",
        stderr(&none)
    );
    let missing = pgsnap(&["backups", "--dir", &format!("{d}/nope")]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("does not exist"),
        "{}",
        stderr(&missing)
    );
}

#[tokio::test]
async fn backup_with_prune_keeps_the_last_two() {
    let db = small_db("opsbprune").await;
    let dir = Scratch::new("opsbprune");
    for name in ["a", "b", "c"] {
        ok(&named_backup(
            &db,
            &dir,
            name,
            &["--prune", "--keep-last", "2"],
        ));
    }
    let files = dir.files();
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(files
        .iter()
        .all(|f| f.starts_with("b_") || f.starts_with("c_")));

    // -f has no directory policy.
    let out = pgsnap(&[
        "backup",
        "-d",
        &db.conninfo(),
        "-f",
        path_str(&dir.path("x.pgsnap")),
        "--prune",
        "--keep-last",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // The environment's default rule when no flag is given.
    let out = pgsnap_env(
        &["prune", "--dir", path_str(&dir.0)],
        &[("BACKUP_RETENTION_COUNT", "1")],
    );
    ok(&out);
    assert_eq!(dir.files().len(), 2, "{:?}", dir.files());
}

/// Moves a named backup's recorded start `hours` into the past.
fn age_backup(dir: &Scratch, archive: &str, hours: u64) {
    let path = dir.path(&format!("{archive}.json"));
    let mut m = json(&std::fs::read(&path).unwrap());
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(hours * 3600);
    m["started_at"] = Value::String(pgsnap::ops::time::rfc3339(then));
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
}

/// `pgsnap health --dir D EXTRA...`; the disk check is off (this machine's
/// free space is not the test's business) unless EXTRA sets its thresholds.
fn health(d: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["health", "--dir", d];
    if !extra.contains(&"--disk-warning") {
        args.extend(["--disk-warning", "0", "--disk-critical", "0"]);
    }
    args.extend_from_slice(extra);
    let out = pgsnap(&args);
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Parses a Prometheus textfile with the reference Python client's parser
/// (installed by `.ci/setup`) and returns `name{labels} value` lines.
fn prometheus_samples(path: &std::path::Path) -> String {
    let script = "import sys\n\
        from prometheus_client.parser import text_string_to_metric_families\n\
        for fam in text_string_to_metric_families(open(sys.argv[1]).read()):\n\
        \x20   for s in fam.samples:\n\
        \x20       print(s.name, ','.join(f'{k}={v}' for k, v in sorted(s.labels.items())), float(s.value))\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, path_str(path)])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "the Prometheus parser rejected {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn health_judges_age_size_integrity_disk_and_failures() {
    let db = small_db("opshealth").await;
    let dir = Scratch::new("opshealth");
    let d = path_str(&dir.0).to_string();

    let (code, text) = health(&d, &[]);
    assert_eq!(code, 2, "an empty directory: {text}");
    assert!(
        text.starts_with("PGSNAP CRITICAL - no successful backup"),
        "{text}"
    );

    ok(&named_backup(&db, &dir, "a", &[]));
    age_backup(&dir, &file_with_prefix(&dir, "a_", ".pgsnap"), 48);
    ok(&named_backup(&db, &dir, "b", &[]));
    age_backup(&dir, &file_with_prefix(&dir, "b_", ".pgsnap"), 24);
    ok(&named_backup(&db, &dir, "c", &[]));
    let prom = dir.path("metrics/pgsnap.prom");
    std::fs::create_dir_all(prom.parent().unwrap()).unwrap();
    let (code, text) = health(&d, &["--min-backups", "3", "--prometheus", path_str(&prom)]);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("PGSNAP OK - latest backup c_"), "{text}");
    assert!(text.contains("SHA-256 matches the metadata"), "{text}");
    let samples = prometheus_samples(&prom);
    assert!(
        samples.contains(&format!("pgsnap_health_status dir={d} 0.0")),
        "{samples}"
    );
    assert!(
        samples.contains(&format!("pgsnap_backups dir={d} 3.0")),
        "{samples}"
    );
    assert!(
        samples.contains("pgsnap_last_success_timestamp_seconds"),
        "{samples}"
    );
    assert!(samples.contains(&format!("pgsnap_check_status check=integrity,dir={d} 0.0")));

    // Too few backups kept.
    let (code, text) = health(&d, &["--min-backups", "5"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("3 backups, fewer than the minimum of 5"),
        "{text}"
    );

    // A full disk, simulated by demanding more free space than any volume has.
    let (code, text) = health(&d, &["--disk-warning", "100", "--disk-critical", "99.999"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("[CRITICAL] disk:") && text.contains("critical below 99.999%"),
        "{text}"
    );
    let (code, _) = health(&d, &["--disk-warning", "100", "--disk-critical", "0"]);
    assert_eq!(code, 1);
    let (code, text) = health(&d, &["--disk-warning", "5", "--disk-critical", "10"]);
    assert_eq!(code, 3, "contradicting thresholds are UNKNOWN: {text}");

    // The thresholds also come from the environment; flags win.
    let env = pgsnap_env(
        &["health", "--dir", &d],
        &[
            ("PGSNAP_DISK_WARNING", "100"),
            ("PGSNAP_DISK_CRITICAL", "0"),
        ],
    );
    assert_eq!(env.status.code(), Some(1));

    // A stale latest backup: warning after --age-warning, critical after --age-critical.
    let b = file_with_prefix(&dir, "b_", ".pgsnap");
    let c = file_with_prefix(&dir, "c_", ".pgsnap");
    age_backup(&dir, &b, 40);
    age_backup(&dir, &c, 30);
    let (code, text) = health(&d, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("(warning after 1d 2h)"), "{text}");
    let (code, _) = health(&d, &["--age-warning", "1d", "--age-critical", "28h"]);
    assert_eq!(code, 2);
    age_backup(&dir, &b, 24);
    age_backup(&dir, &c, 1);

    // A failed run after the latest success.
    let failed = pgsnap(&[
        "backup",
        "-d",
        &db.cluster.conninfo("no_such_database_here"),
        "--dir",
        &d,
        "--name",
        "z",
    ]);
    assert_eq!(failed.status.code(), Some(2));
    let (code, text) = health(&d, &["--json"]);
    assert_eq!(code, 1);
    let v = json(text.as_bytes());
    assert_eq!(v["status"], "WARNING");
    assert_eq!(v["failed_since_success"], 1);
    let errors = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "errors")
        .unwrap();
    assert!(
        errors["summary"]
            .as_str()
            .unwrap()
            .contains("no_such_database_here"),
        "{errors}"
    );
    for f in dir.files() {
        if f.starts_with("z_") {
            std::fs::remove_file(dir.path(&f)).unwrap();
        }
    }

    // A shrunken backup: most rows gone.
    db.exec("DELETE FROM items WHERE id > 10").await;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(&named_backup(&db, &dir, "d", &[]));
    let (code, text) = health(&d, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("[WARNING] size:") && text.contains("smaller than the median"),
        "{text}"
    );
    let (code, _) = health(&d, &["--size-change", "99"]);
    assert_eq!(code, 0);

    // A corrupted latest archive: a flipped byte inside a frame. --quick reads
    // only the trailer and TOC, so it passes; the full check does not.
    let latest = dir.path(&file_with_prefix(&dir, "d_", ".pgsnap"));
    let at = {
        let reader = pgsnap::archive::ArchiveReader::open(&latest).unwrap();
        let s = reader.toc().streams.iter().find(|s| !s.frames.is_empty());
        let f = &s.expect("a stream with rows").frames[0];
        (f.offset + 32 + u64::from(f.stored_len) / 2) as usize
    };
    let mut bytes = std::fs::read(&latest).unwrap();
    bytes[at] ^= 0x55;
    std::fs::write(&latest, &bytes).unwrap();
    let (code, text) = health(&d, &["--size-change", "99", "--quick"]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = health(
        &d,
        &["--size-change", "99", "--prometheus", path_str(&prom)],
    );
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("[CRITICAL] integrity: latest archive d_"),
        "{text}"
    );
    let samples = prometheus_samples(&prom);
    assert!(
        samples.contains(&format!("pgsnap_health_status dir={d} 2.0")),
        "{samples}"
    );

    // A truncated latest archive fails even the quick check.
    std::fs::write(&latest, &bytes[..bytes.len() - 10]).unwrap();
    let (code, text) = health(&d, &["--size-change", "99", "--quick"]);
    assert_eq!(code, 2, "{text}");
}
