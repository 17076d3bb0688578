//! Across PostgreSQL major versions: an archive from the default server (15)
//! restores into a newer one (17) with the same schema as pg_dump/pg_restore
//! of that newer version give, and the same rows; the other way round is refused unless
//! `--force`, before anything is created. The newer server comes from
//! `PGSNAP_TEST_NEWER_BINDIR`, else where `.ci/setup` installs it.

use std::path::PathBuf;

use pgsnap::cluster::{compare, Cluster};

use crate::support::*;

fn newer_bindir() -> PathBuf {
    let dir = std::env::var_os("PGSNAP_TEST_NEWER_BINDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/pgsnap/postgresql-17/bin"));
    assert!(
        dir.join("postgres").is_file(),
        "no newer PostgreSQL at {}: run .ci/setup, or set PGSNAP_TEST_NEWER_BINDIR",
        dir.display()
    );
    dir
}

async fn server_major(cluster: &Cluster) -> u32 {
    let n: i32 = connect(cluster, "postgres")
        .await
        .query_one("SELECT current_setting('server_version_num')::int4", &[])
        .await
        .unwrap()
        .get(0);
    n as u32 / 10_000
}

#[tokio::test]
async fn restore_into_a_newer_major_and_refuse_an_older_one() {
    let old = private_cluster();
    let new = Cluster::start(&newer_bindir()).unwrap();
    let (old_major, new_major) = (server_major(&old).await, server_major(&new).await);
    assert!(
        new_major > old_major,
        "{new_major} is not newer than {old_major}"
    );
    for (c, db) in [(&old, "src"), (&new, "src_new")] {
        let admin = connect(c, "postgres").await;
        admin
            .batch_execute(
                "CREATE ROLE regress_owner; CREATE ROLE regress_reader; CREATE ROLE regress_writer; \
                 CREATE ROLE \"regress Odd \"\"Role\"\"\"",
            )
            .await
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await
            .unwrap();
        connect(c, db).await.batch_execute(CORPUS).await.unwrap();
    }
    let dir = Scratch::new("versions");

    // Older into newer. The oracle is PostgreSQL's own upgrade path: the newer
    // pg_dump of the source, restored by the newer pg_restore. (The newer
    // pg_dump of the old server itself is no oracle: each server renders view
    // definitions its own way, e.g. 16 stopped qualifying column names.)
    let up = dir.path("up.pgsnap");
    ok(&pgsnap(&[
        "backup",
        "-d",
        &old.conninfo("src"),
        "-f",
        path_str(&up),
        "-j",
        "2",
    ]));
    ok(&pgsnap(&[
        "restore",
        "-d",
        &new.conninfo("copy"),
        "--create",
        "-j",
        "2",
        path_str(&up),
    ]));
    let conn = old.conninfo("src");
    let dump = new
        .run_tool("pg_dump", &["-Fc".as_ref(), "-d".as_ref(), conn.as_ref()])
        .unwrap();
    let file = new.write_data_file("oracle.dump", &dump.stdout).unwrap();
    let maint = new.conninfo("postgres");
    new.run_tool(
        "pg_restore",
        &[
            "-C".as_ref(),
            "-d".as_ref(),
            maint.as_ref(),
            file.as_os_str(),
        ],
    )
    .unwrap();
    let oracle = compare::schema_dump(&new, "src").unwrap();
    let copy = compare::schema_dump(&new, "copy").unwrap();
    let diffs = compare::line_differences(&oracle, &copy);
    assert!(
        diffs.is_empty(),
        "{old_major} → {new_major}:\n{}",
        diffs.join("\n")
    );
    let a = compare::table_digests(&connect(&old, "src").await)
        .await
        .unwrap();
    let b = compare::table_digests(&connect(&new, "copy").await)
        .await
        .unwrap();
    assert!(!a.is_empty());
    let data = compare::data_differences(&a, &b);
    assert!(data.is_empty(), "{}", data.join("\n"));

    // Newer into older: refused with the reason, nothing created.
    let down = dir.path("down.pgsnap");
    ok(&pgsnap(&[
        "backup",
        "-d",
        &new.conninfo("src_new"),
        "-f",
        path_str(&down),
    ]));
    let out = pgsnap(&[
        "restore",
        "-d",
        &old.conninfo("down"),
        "--create",
        path_str(&down),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(
        msg.contains(&format!("the archive comes from PostgreSQL {new_major}"))
            && msg.contains("--force"),
        "{msg}"
    );
    let created: i64 = connect(&old, "postgres")
        .await
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = 'down'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(created, 0);
    // With --force it is tried (this corpus uses nothing 15 lacks), with a warning.
    let out = pgsnap(&[
        "restore",
        "-d",
        &old.conninfo("down"),
        "--create",
        "--force",
        path_str(&down),
    ]);
    ok(&out);
    assert!(
        stderr(&out).contains("restoring anyway (--force)"),
        "{}",
        stderr(&out)
    );
}
