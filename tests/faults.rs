//! Faults during a backup: the backup fails loudly and leaves no file behind.

use std::time::{Duration, Instant};

use crate::support::*;

#[tokio::test]
async fn terminated_worker_fails_backup_and_leaves_no_file() {
    let src = TestDb::new("terminate").await;
    src.exec(
        "CREATE TABLE big (id int, a text, b text, c text);
         INSERT INTO big SELECT i, md5(i::text), md5((i+1)::text), repeat(md5(i::text), 3) FROM generate_series(1, 400000) i;
         CREATE TABLE small AS SELECT generate_series(1, 100) AS i;",
    )
    .await;
    let dir = Scratch::new("terminate");
    let file = dir.path("never.pgsnap");
    let mut child = spawn_pgsnap(&[
        "backup",
        "-d",
        &src.conninfo(),
        "-f",
        path_str(&file),
        "-j",
        "2",
        "-Z",
        "19",
        "--chunk-kib",
        "256",
    ]);
    let killed = terminate_copy(&src.cluster, &src.name, "big", &mut child).await;
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        killed,
        1,
        "the worker copying 'big' was never seen: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(msg.contains("backup of table public.big failed"), "{msg}");
    // The server's FATAL message arrives unless the connection was reset first.
    assert!(
        msg.contains("terminating connection") || msg.contains("the server ended the connection"),
        "{msg}"
    );
    assert!(msg.contains("no archive was written"), "{msg}");
    assert_only_failed_record(&dir);
}

#[tokio::test]
async fn lock_wait_timeout_fails_fast_and_names_the_blocker() {
    let src = TestDb::new("lockwait").await;
    src.exec(
        "CREATE TABLE free (id int); CREATE TABLE locked (id int); INSERT INTO locked VALUES (1);
         CREATE TABLE indexed (id int PRIMARY KEY, d text DEFAULT 'x');",
    )
    .await;
    let dir = Scratch::new("lockwait");
    let file = dir.path("never.pgsnap");
    // Without an index the wait is in LOCK TABLE; with one, already in reading the catalog.
    for table in ["locked", "indexed"] {
        let holder = src.client().await;
        holder
            .batch_execute(&format!(
                "SET application_name = 'the migration'; BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
            ))
            .await
            .unwrap();
        let started = Instant::now();
        let out = pgsnap(&[
            "backup",
            "-d",
            &src.conninfo(),
            "-f",
            path_str(&file),
            "--lock-wait-timeout",
            "1s",
        ]);
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let msg = stderr(&out);
        assert!(msg.contains("--lock-wait-timeout (1 s)"), "{msg}");
        assert!(
            msg.contains(&format!(
                "table public.{table} is locked ACCESS EXCLUSIVE by pid"
            )),
            "{msg}"
        );
        assert!(msg.contains("the migration"), "{msg}");
        assert_only_failed_record(&dir);
        holder.batch_execute("COMMIT").await.unwrap();
    }
    backup_ok(&src, &file, &["--lock-wait-timeout", "1s"]);
}

/// pgbench's TPC-B-like transactions keep four sums equal; a backup whose
/// workers read different snapshots would break that on the copy.
#[tokio::test]
async fn backup_under_concurrent_writes_is_one_consistent_snapshot() {
    let src = TestDb::new("pgbench").await;
    let bin = src.cluster.bindir().to_path_buf();
    let pgbench = |args: &[&str]| {
        std::process::Command::new(bin.join("pgbench"))
            .args(args)
            .arg("-d")
            .arg(src.conninfo())
            .output()
            .expect("run pgbench")
    };
    let init = pgbench(&["-i", "-q", "-s", "4"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let load = std::process::Command::new(bin.join("pgbench"))
        .args([
            "-c",
            "6",
            "-j",
            "2",
            "-T",
            "12",
            "-n",
            "-d",
            &src.conninfo(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let dir = Scratch::new("pgbench");
    let mut restored = Vec::new();
    for i in 0..3 {
        let file = dir.path(&format!("b{i}.pgsnap"));
        backup_ok(&src, &file, &["-j", "4", "--split-mib", "1"]);
        let target = src.sibling(&format!("copy{i}"));
        ok(&pgsnap(&[
            "restore",
            "-d",
            &src.cluster.conninfo(&target),
            "--create",
            "-j",
            "4",
            path_str(&file),
        ]));
        restored.push(target);
    }
    let out = load.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pgbench: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for target in restored {
        let c = connect(&src.cluster, &target).await;
        let row = c
            .query_one(
                "SELECT (SELECT sum(abalance) FROM pgbench_accounts)::int8, (SELECT sum(tbalance) FROM pgbench_tellers)::int8, \
                        (SELECT sum(bbalance) FROM pgbench_branches)::int8, (SELECT coalesce(sum(delta), 0) FROM pgbench_history)::int8, \
                        (SELECT count(*) FROM pgbench_history)",
                &[],
            )
            .await
            .unwrap();
        let sums: Vec<i64> = (0..4).map(|i| row.get(i)).collect();
        let history: i64 = row.get(4);
        assert!(
            history > 0,
            "{target}: the backup ran before any pgbench transaction"
        );
        assert!(
            sums.iter().all(|s| *s == sums[0]),
            "{target}: inconsistent copy, sums {sums:?}"
        );
    }
}

/// Terminates, as soon as it is seen, the backend in database `db` that runs a
/// COPY of `table`; returns how many were terminated (0 if `child` ended first
/// or none showed up within a minute).
async fn terminate_copy(
    cluster: &pgsnap::cluster::Cluster,
    db: &str,
    table: &str,
    child: &mut std::process::Child,
) -> i64 {
    let admin = connect(cluster, "postgres").await;
    let pattern = format!("COPY%{table}%");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        let killed: i64 = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = $1 AND query LIKE $2 AND state = 'active' \
                   AND pid <> pg_backend_pid()",
                &[&db, &pattern],
            )
            .await
            .unwrap()
            .get(0);
        if killed > 0 {
            return killed;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    0
}

/// A tmpfs of 4 MiB, unmounted on drop. Mounting needs root, which the test
/// machines have; without it this test fails rather than skipping in silence.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn new(dir: &std::path::Path) -> SmallDisk {
        let mnt = dir.join("small-disk");
        std::fs::create_dir_all(&mnt).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(&mnt)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "the disk-full test mounts a small tmpfs and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk(mnt)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test]
async fn full_disk_fails_clearly_and_leaves_nothing() {
    let src = TestDb::new("diskfull").await;
    src.exec("CREATE TABLE t AS SELECT i, md5(i::text) || md5((i * 7)::text) AS v FROM generate_series(1, 200000) i;").await;
    let dir = Scratch::new("diskfull");
    let disk = SmallDisk::new(&dir.0);
    let file = disk.0.join("full.pgsnap");
    let out = pgsnap(&[
        "backup",
        "-d",
        &src.conninfo(),
        "-f",
        path_str(&file),
        "-Z",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(msg.contains("No space left on device"), "{msg}");
    assert!(msg.contains("no archive was written"), "{msg}");
    // The partial archive is gone; only the failed run's record remains.
    let left: Vec<String> = std::fs::read_dir(&disk.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["full.pgsnap.json"], "left behind on the full disk");
}

#[tokio::test]
async fn server_restart_during_backup_fails_and_leaves_no_file() {
    let mut cluster = cluster_with_big("restartdb", 400_000).await;
    let dir = Scratch::new("restart");
    let file = dir.path("never.pgsnap");
    let child = spawn_pgsnap(&[
        "backup",
        "-d",
        &cluster.conninfo("restartdb"),
        "-f",
        path_str(&file),
        "-Z",
        "19",
        "--chunk-kib",
        "256",
    ]);
    restart_during_copy_of_big(&mut cluster, "restartdb").await;
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(msg.contains("backup of table public.big failed"), "{msg}");
    assert!(
        msg.contains("terminating connection") || msg.contains("the server ended the connection"),
        "{msg}"
    );
    assert_only_failed_record(&dir);
}

#[tokio::test]
async fn terminated_restore_worker_names_the_table_and_the_target_state() {
    let src = TestDb::new("rterm").await;
    src.exec(
        "CREATE TABLE big (id int, a text, b text);
         INSERT INTO big SELECT i, md5(i::text), repeat(md5(i::text), 4) FROM generate_series(1, 300000) i;",
    )
    .await;
    let dir = Scratch::new("rterm");
    let file = dir.path("r.pgsnap");
    backup_ok(&src, &file, &["--chunk-kib", "64"]);
    for single in [false, true] {
        let target = src.sibling(if single { "single" } else { "parallel" });
        let mut args = vec!["restore", "-d"];
        let conn = src.cluster.conninfo(&target);
        args.push(&conn);
        args.extend(["--create", path_str(&file)]);
        if single {
            args.push("--single-transaction");
        }
        let mut child = spawn_pgsnap(&args);
        let killed = terminate_copy(&src.cluster, &target, "big", &mut child).await;
        let out = child.wait_with_output().unwrap();
        assert_eq!(killed, 1, "no COPY into big was seen: {}", stderr(&out));
        assert_failed_restore_of_big(&out, &src.cluster, &target, single).await;
    }
}

/// The network drops (a dead socket, no message from the server) in the
/// middle of a backup, of a restore, and of a single-transaction restore.
#[tokio::test]
async fn network_drop_fails_backup_and_restore_clearly() {
    let src = TestDb::new("netdrop").await;
    src.exec(
        "CREATE TABLE big (id int, a text, b text);
         INSERT INTO big SELECT i, md5(i::text), repeat(md5(i::text), 4) FROM generate_series(1, 300000) i;",
    )
    .await;
    let proxy = Proxy::start(src.cluster.port());
    let via_proxy = |db: &str| {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={db} sslmode=disable",
            proxy.port
        )
    };
    let dir = Scratch::new("netdrop");
    let file = dir.path("never.pgsnap");
    let conn = via_proxy(&src.name);
    let mut child = spawn_pgsnap(&[
        "backup",
        "-d",
        &conn,
        "-f",
        path_str(&file),
        "-j",
        "2",
        "--chunk-kib",
        "64",
    ]);
    proxy.cut_after(4 << 20, &mut child).await;
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(msg.contains("backup of table public.big failed"), "{msg}");
    assert!(msg.contains("connection"), "{msg}");
    assert!(msg.contains("no archive was written"), "{msg}");
    assert_only_failed_record(&dir);

    let good = dir.path("good.pgsnap");
    backup_ok(&src, &good, &["--chunk-kib", "64"]);
    for single in [false, true] {
        let target = src.sibling(if single { "netsingle" } else { "netparallel" });
        let conn = via_proxy(&target);
        let mut args = vec!["restore", "-d", &conn, "--create", path_str(&good)];
        if single {
            args.push("--single-transaction");
        }
        let before = proxy.bytes();
        let mut child = spawn_pgsnap(&args);
        proxy.cut_after(before + (4 << 20), &mut child).await;
        let out = child.wait_with_output().unwrap();
        assert_failed_restore_of_big(&out, &src.cluster, &target, single).await;
    }
}

/// The server restarts in the middle of a restore's COPY.
#[tokio::test]
async fn server_restart_during_restore_names_the_table_and_the_target_state() {
    let mut cluster = cluster_with_big("rrsrc", 1_000_000).await;
    let dir = Scratch::new("rrestart");
    let file = dir.path("r.pgsnap");
    ok(&pgsnap(&[
        "backup",
        "-d",
        &cluster.conninfo("rrsrc"),
        "-f",
        path_str(&file),
        "--chunk-kib",
        "64",
    ]));
    let child = spawn_pgsnap(&[
        "restore",
        "-d",
        &cluster.conninfo("rrcopy"),
        "--create",
        path_str(&file),
    ]);
    restart_during_copy_of_big(&mut cluster, "rrcopy").await;
    let out = child.wait_with_output().unwrap();
    assert_failed_restore_of_big(&out, &cluster, "rrcopy", false).await;
}

/// A restore interrupted during the COPY into `big`: exit 1, the table named,
/// and the target's state said: with --single-transaction nothing committed
/// (and nothing there), otherwise partly restored.
async fn assert_failed_restore_of_big(
    out: &std::process::Output,
    cluster: &pgsnap::cluster::Cluster,
    target: &str,
    single: bool,
) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    let msg = stderr(out);
    assert!(msg.contains("restore of table public.big failed"), "{msg}");
    if single {
        assert!(msg.contains("nothing was committed"), "{msg}");
        let tables: i64 = connect(cluster, target)
            .await
            .query_one("SELECT count(*) FROM pg_class WHERE relname = 'big'", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(tables, 0);
    } else {
        assert!(msg.contains("is left partly restored"), "{msg}");
    }
}

/// A cluster of its own whose database `db` holds `big` with `rows` rows.
async fn cluster_with_big(db: &str, rows: u32) -> pgsnap::cluster::Cluster {
    let cluster = private_cluster();
    connect(&cluster, "postgres")
        .await
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    connect(&cluster, db)
        .await
        .batch_execute(&format!(
            "CREATE TABLE big (id int, a text, b text);
             INSERT INTO big SELECT i, md5(i::text), repeat(md5(i::text), 4) FROM generate_series(1, {rows}) i;"
        ))
        .await
        .unwrap();
    cluster
}

/// Waits (up to 60 s) until a COPY of `big` runs in database `db`, then
/// restarts the server under it.
async fn restart_during_copy_of_big(cluster: &mut pgsnap::cluster::Cluster, db: &str) {
    let admin = connect(cluster, "postgres").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let copying: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
                 AND query LIKE 'COPY%big%' AND state = 'active'",
                &[&db],
            )
            .await
            .unwrap()
            .get(0);
        if copying > 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(admin);
    cluster.reconfigure("", None).expect("restart the server");
}
