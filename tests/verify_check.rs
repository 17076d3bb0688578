//! `pgsnap verify --restore-check`: the seven checks pass on a sound archive,
//! fail (and say where) on a damaged one or one the server cannot restore,
//! and the temporary database is dropped in every case, also on Ctrl-C.

use serde_json::Value;

use crate::support::*;

async fn check_databases(db: &TestDb, pid: Option<u32>) -> Vec<String> {
    let pattern = match pid {
        Some(p) => format!("pgsnap\\_check\\_%\\_{p}"),
        None => "pgsnap\\_check\\_%".to_string(),
    };
    let c = connect(&db.cluster, "postgres").await;
    c.query(
        "SELECT datname FROM pg_database WHERE datname LIKE $1",
        &[&pattern],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

fn outcomes(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn restore_check_passes_records_and_reports() {
    let db = TestDb::new("vcheck").await;
    db.load_corpus().await;
    db.exec(
        "CREATE TABLE big (id int PRIMARY KEY, payload text);
         INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 20000) g;",
    )
    .await;
    let dir = Scratch::new("vcheck");
    let conninfo = db.conninfo();
    // Named, so there is metadata to record the verification in; big is
    // split into several ranges so the digest of its parts is merged.
    ok(&pgsnap(&[
        "backup",
        "-d",
        &conninfo,
        "--dir",
        path_str(&dir.0),
        "--name",
        "v",
        "--split-mib",
        "1",
    ]));
    let archive = dir
        .files()
        .into_iter()
        .find(|f| f.ends_with(".pgsnap"))
        .unwrap();
    let archive = dir.path(&archive);
    let parts = pgsnap::archive::ArchiveReader::open(&archive)
        .unwrap()
        .toc()
        .streams
        .iter()
        .filter(|s| s.table == "big")
        .count();
    // (No TID range scans before 14, so no ranges there.)
    assert!(
        parts > 1 || db.major().await < 14,
        "big should be split, got {parts} part(s)"
    );
    let report = dir.path("check.md");
    let maint = db.cluster.conninfo("postgres");
    let out = pgsnap(&[
        "verify",
        path_str(&archive),
        "--restore-check",
        "-d",
        &maint,
        "-j",
        "3",
        "--json",
        "--report",
        path_str(&report),
    ]);
    ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["passed"], true, "{v:#}");
    assert_eq!(outcomes(&v), vec!["pass"; 7], "{v:#}");
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("Result: **PASSED**"), "{md}");
    assert_eq!(md.matches("| PASS |").count(), 7, "{md}");
    // Other tests may be checking at the same time: look for this run's database.
    let temp = v["temporary_database"].as_str().unwrap();
    assert!(!check_databases(&db, None).await.iter().any(|d| d == temp));
    // The verification is in the metadata.
    let meta: Value =
        serde_json::from_slice(&std::fs::read(format!("{}.json", archive.display())).unwrap())
            .unwrap();
    assert!(meta["verified_at"].is_string(), "{meta:#}");
    assert_eq!(meta["verification"]["method"], "restore-check");
    assert_eq!(meta["verification"]["passed"], true);
    assert_eq!(meta["verification"]["checks"].as_array().unwrap().len(), 7);
    let listed = pgsnap(&["backups", "--dir", path_str(&dir.0)]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(meta["verified_at"].as_str().unwrap()),
        "backups shows verified-at"
    );

    // A damaged frame: checks 2 or 3 fail, the restore checks are skipped,
    // nothing is created, exit code 1, and the metadata says so.
    let at = {
        let r = pgsnap::archive::ArchiveReader::open(&archive).unwrap();
        let s = r.toc().streams.iter().find(|s| s.table == "big").unwrap();
        let f = &s.frames[0];
        (f.offset + 32 + u64::from(f.stored_len) / 2) as usize
    };
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(&archive, &bytes).unwrap();
    let out = pgsnap(&[
        "verify",
        path_str(&archive),
        "--restore-check",
        "-d",
        &maint,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[PASS] 1.") && text.contains("[FAIL] 2."),
        "{text}"
    );
    assert!(
        text.contains("[SKIP] 4.") && text.contains("restore check FAILED"),
        "{text}"
    );
    let meta: Value =
        serde_json::from_slice(&std::fs::read(format!("{}.json", archive.display())).unwrap())
            .unwrap();
    assert_eq!(meta["verification"]["passed"], false);
    assert!(meta["verification"]["error"]
        .as_str()
        .unwrap()
        .contains("big"));
    let temp = text
        .split("temporary database ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap();
    assert!(!check_databases(&db, None).await.iter().any(|d| d == temp));
}

#[tokio::test]
async fn restore_check_reports_a_schema_the_server_cannot_restore() {
    let db = TestDb::new("vcheckrole").await;
    let role = format!("{}_gone", db.name);
    db.exec(&format!(
        "CREATE ROLE {role}; CREATE TABLE t (id int); INSERT INTO t VALUES (1);
         ALTER TABLE t OWNER TO {role};"
    ))
    .await;
    let dir = Scratch::new("vcheckrole");
    let file = dir.path("r.pgsnap");
    backup_ok(&db, &file, &[]);
    db.exec(&format!("DROP TABLE t; DROP ROLE {role};")).await;
    let out = pgsnap(&[
        "verify",
        path_str(&file),
        "--restore-check",
        "-d",
        &db.conninfo(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        outcomes(&v),
        ["pass", "pass", "pass", "fail", "skipped", "skipped", "skipped"],
        "{v:#}"
    );
    assert!(
        v["checks"][3]["detail"].as_str().unwrap().contains(&role),
        "{v:#}"
    );
    let temp = v["temporary_database"].as_str().unwrap();
    assert!(check_databases(&db, None).await.iter().all(|d| d != temp));
}

#[tokio::test]
async fn an_interrupted_restore_check_drops_its_database() {
    let db = TestDb::new("vcheckint").await;
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 400000) g;",
    )
    .await;
    let dir = Scratch::new("vcheckint");
    let file = dir.path("i.pgsnap");
    backup_ok(&db, &file, &[]);
    let conn = db.conninfo();
    let pid = std::cell::Cell::new(0);
    let out = interrupt_pgsnap(
        &[
            "verify",
            path_str(&file),
            "--restore-check",
            "-d",
            &conn,
            "-j",
            "1",
        ],
        &[],
        "the temporary database",
        async |p| {
            pid.set(p);
            !check_databases(&db, Some(p)).await.is_empty()
        },
    )
    .await;
    let pid = pid.get();
    fails_with(&out, 1, "interrupted by SIGINT; the temporary database");
    assert!(check_databases(&db, Some(pid)).await.is_empty());
}
