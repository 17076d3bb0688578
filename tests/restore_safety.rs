//! Restore safety: production targets need confirmation, free space is
//! measured where it can be (and a too-small volume refuses the restore before
//! anything is created), and the restored tables are analyzed.

use crate::support::*;

async fn source(tag: &str, rows: u32) -> (TestDb, Scratch, std::path::PathBuf) {
    let db = TestDb::new(tag).await;
    db.exec(&format!(
        "CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, {rows}) g;"
    ))
    .await;
    let dir = Scratch::new(tag);
    let file = dir.path("s.pgsnap");
    backup_ok(&db, &file, &[]);
    (db, dir, file)
}

fn restore(
    conn: &str,
    file: &std::path::Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut args = vec!["restore", "-d", conn];
    args.extend_from_slice(extra);
    args.push(path_str(file));
    pgsnap_env(&args, env)
}

/// Runs each statement on its own (CREATE/DROP DATABASE refuse a batch).
async fn run_each(client: &tokio_postgres::Client, statements: &[String]) {
    for sql in statements {
        client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

async fn tables_in(cluster: &pgsnap::cluster::Cluster, db: &str) -> i64 {
    connect(cluster, db)
        .await
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn production_targets_need_yes_and_restores_are_analyzed() {
    let (db, _dir, file) = source("rsafe", 20_000).await;
    let target = db.sibling("copy");
    let conn = db.cluster.conninfo(&target);
    let admin = connect(&db.cluster, "postgres").await;
    run_each(
        &admin,
        &[
            format!("CREATE DATABASE {target}"),
            format!("ALTER DATABASE {target} SET pgsnap.environment = 'production'"),
        ],
    )
    .await;

    // Marked by the database, by the environment, by the flag: refused
    // without --yes (standard input is not a terminal), nothing restored.
    for (extra, env) in [
        (vec![], vec![]),
        (vec!["--production"], vec![]),
        (vec![], vec![("PGSNAP_ENVIRONMENT", "production")]),
    ] {
        let out = restore(&conn, &file, &extra, &env);
        fails_with(&out, 2, "is production");
        assert!(
            stderr(&out).contains("confirm with --yes"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(tables_in(&db.cluster, &target).await, 0);

    let out = restore(&conn, &file, &["--yes", "-j", "2"], &[]);
    ok(&out);
    let err = stderr(&out);
    assert!(err.contains("confirmed by --yes"), "{err}");
    // Run as root beside the server: the space check measured the volume.
    assert!(err.contains("free on ") && err.contains("needed"), "{err}");
    assert!(err.contains("analyzed 1 tables"), "{err}");
    let c = connect(&db.cluster, &target).await;
    let analyzed: bool = c
        .query_one(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 't'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(analyzed);

    // --no-analyze leaves the statistics to autovacuum; --reindex rebuilds.
    let plain = db.sibling("plain");
    let out = restore(
        &db.cluster.conninfo(&plain),
        &file,
        &["--create", "--no-analyze", "--reindex"],
        &[],
    );
    ok(&out);
    assert!(
        stderr(&out).contains("reindexed 1 tables"),
        "{}",
        stderr(&out)
    );
    let c = connect(&db.cluster, &plain).await;
    let analyzed: bool = c
        .query_one(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 't'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!analyzed);
    drop(c);
    run_each(
        &admin,
        &[
            format!("DROP DATABASE {target} WITH (FORCE)"),
            format!("DROP DATABASE {plain} WITH (FORCE)"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_role_that_cannot_see_the_data_directory_is_told_space_was_not_checked() {
    let (db, _dir, file) = source("rsafespace", 1000).await;
    let role = format!("{}_r", db.name);
    let target = db.sibling("copy");
    let admin = connect(&db.cluster, "postgres").await;
    run_each(
        &admin,
        &[
            format!("CREATE ROLE {role} LOGIN"),
            format!("CREATE DATABASE {target} OWNER {role}"),
        ],
    )
    .await;
    let conn = format!("{} user={role}", db.cluster.conninfo(&target));
    let out = restore(&conn, &file, &["--no-owner"], &[]);
    ok(&out);
    assert!(
        stderr(&out).contains(
            "free space not checked: the server does not show this role its data directory"
        ),
        "{}",
        stderr(&out)
    );
    run_each(
        &admin,
        &[
            format!("DROP DATABASE {target} WITH (FORCE)"),
            format!("DROP ROLE {role}"),
        ],
    )
    .await;
}

/// A tablespace on a 16 MiB tmpfs: a database there (8 MB of it for the empty
/// database) cannot take the archive's 11 MB of rows and its index, and the
/// restore says so before creating anything.
#[tokio::test]
async fn a_volume_too_small_refuses_the_restore_before_it_starts() {
    let (db, dir, file) = source("rsafefull", 80_000).await;
    let mnt = tablespace_dir(&dir, "tiny");
    let uid = String::from_utf8(
        std::process::Command::new("id")
            .args(["-u", "postgres"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let mounted = std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size=16m,mode=0700,uid={}", uid.trim()),
            "tmpfs",
            path_str(&mnt),
        ])
        .output()
        .unwrap();
    assert!(
        mounted.status.success(),
        "this test mounts a tmpfs (it runs as root, as the suite does): {}",
        String::from_utf8_lossy(&mounted.stderr)
    );
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let ts = format!("{}_ts", db.name);
    let target = db.sibling("copy");
    let admin = connect(&db.cluster, "postgres").await;
    run_each(
        &admin,
        &[
            format!("CREATE TABLESPACE {ts} LOCATION '{}'", path_str(&mnt)),
            format!("CREATE DATABASE {target} TABLESPACE {ts}"),
        ],
    )
    .await;
    let conn = db.cluster.conninfo(&target);
    let out = restore(&conn, &file, &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("not enough disk space for the restore"),
        "{err}"
    );
    assert!(
        err.contains(path_str(&mnt)) && err.contains("--no-space-check"),
        "{err}"
    );
    assert_eq!(tables_in(&db.cluster, &target).await, 0);
    run_each(
        &admin,
        &[
            format!("DROP DATABASE {target} WITH (FORCE)"),
            format!("DROP TABLESPACE {ts}"),
        ],
    )
    .await;
}
