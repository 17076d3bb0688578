//! Across PostgreSQL major versions: an archive of each corpus (the
//! round-trip corpus and the schema-fidelity one) from each version restores
//! into the newest one and into its next major, with the same schema as the
//! target version's own pg_dump + pg_restore make of the same source, and the
//! same rows; the other way round is refused unless `--force`, before anything
//! is created.
//!
//! The oracle is PostgreSQL's own upgrade path. The newer pg_dump's dump of
//! the old server itself is none: each server renders view definitions its
//! own way (16 stopped qualifying column names), a procedure's argument modes
//! (`IN`), and 14+ give every range type a multirange type. Each major's server comes from
//! `PGSNAP_TEST_PG_ROOT/postgresql-<major>/bin` (default `/opt/pgsnap`, where
//! `.ci/setup` installs them), else from `/usr/lib/postgresql/<major>/bin`.

use std::path::PathBuf;

use pgsnap::cluster::{compare, Cluster};

use crate::support::*;

/// The majors tested, oldest first: every one pgsnap supports.
const MAJORS: [u32; 6] = [13, 14, 15, 16, 17, 18];

fn bindir(major: u32) -> PathBuf {
    let root = std::env::var_os("PGSNAP_TEST_PG_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/pgsnap"));
    let installed = root.join(format!("postgresql-{major}")).join("bin");
    let packaged = PathBuf::from(format!("/usr/lib/postgresql/{major}/bin"));
    [installed, packaged]
        .into_iter()
        .find(|d| d.join("postgres").is_file())
        .unwrap_or_else(|| {
            panic!(
                "no PostgreSQL {major} under {} or /usr/lib/postgresql: run .ci/setup, \
                 or set PGSNAP_TEST_PG_ROOT",
                root.display()
            )
        })
}

async fn major_of(cluster: &Cluster) -> u32 {
    server_major(&connect(cluster, "postgres").await).await
}

/// The databases each cluster holds, by corpus: `src` the round-trip corpus,
/// `fid` the schema-fidelity one.
const SOURCES: [&str; 2] = ["src", "fid"];

async fn load_source(c: &Cluster) {
    let admin = connect(c, "postgres").await;
    admin
        .batch_execute(
            "CREATE ROLE regress_owner; CREATE ROLE regress_reader; CREATE ROLE regress_writer; \
             CREATE ROLE \"regress Odd \"\"Role\"\"\"",
        )
        .await
        .unwrap();
    let major = major_of(c).await;
    // The packaged builds have no ICU: the fidelity corpus's one ICU
    // collation is a libc one everywhere here.
    let icu_collation = "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)";
    let fidelity = FIDELITY.replace(icu_collation, "(provider = libc, locale = 'C')");
    for (db, corpus) in SOURCES.into_iter().zip([CORPUS, &fidelity]) {
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await
            .unwrap();
        connect(c, db)
            .await
            .batch_execute(&for_major(corpus, major))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "loading the corpus into {db} on {major}: {}",
                    pgsnap::pg::error_text(&e)
                )
            });
    }
}

/// The one difference from pg_restore that pgsnap makes on purpose: an
/// inheritance child keeps its own column order (`public.inh_child`'s
/// `z, b, a`), where pg_dump puts the parent's columns first. Sorts that
/// table's column lines, after checking that `dump` has the order it should.
fn child_columns_sorted(mut dump: Vec<String>, expect_own_order: bool) -> Vec<String> {
    let Some(start) = dump
        .iter()
        .position(|l| l == "CREATE TABLE public.inh_child (")
    else {
        return dump;
    };
    let end = start + 4;
    let cols: Vec<&str> = dump[start + 1..end].iter().map(|l| l.trim()).collect();
    if expect_own_order {
        assert_eq!(cols, ["z text,", "b integer,", "a integer,"]);
    }
    dump[start + 1..end].sort();
    dump
}

/// Restores `archive` (of `from`'s database `src`) into `to` as database
/// `name` and compares it with what `to`'s pg_dump + pg_restore make of `src`.
async fn restore_and_compare(
    archive: &std::path::Path,
    from: &Cluster,
    src: &str,
    to: &Cluster,
    name: &str,
) {
    let (fm, tm) = (major_of(from).await, major_of(to).await);
    ok(&pgsnap(&[
        "restore",
        "-d",
        &to.conninfo(name),
        "--create",
        "-j",
        "2",
        path_str(archive),
    ]));
    let oracle = format!("{name}_oracle");
    connect(to, "postgres")
        .await
        .batch_execute(&format!("CREATE DATABASE {oracle}"))
        .await
        .unwrap();
    let conn = from.conninfo(src);
    let dump = to
        .run_tool("pg_dump", &["-Fc".as_ref(), "-d".as_ref(), conn.as_ref()])
        .unwrap();
    let file = to
        .write_data_file(&format!("{oracle}.dump"), &dump.stdout)
        .unwrap();
    let target = to.conninfo(&oracle);
    to.run_tool(
        "pg_restore",
        &["-d".as_ref(), target.as_ref(), file.as_os_str()],
    )
    .unwrap();
    let want = child_columns_sorted(compare::schema_dump(to, &oracle).unwrap(), false);
    let got = child_columns_sorted(compare::schema_dump(to, name).unwrap(), true);
    let has_child = got.iter().any(|l| l == "CREATE TABLE public.inh_child (");
    assert_eq!(has_child, src == "fid", "{fm} → {tm}: {src} restored");
    let diffs = compare::line_differences(&want, &got);
    assert!(diffs.is_empty(), "{fm} → {tm}:\n{}", diffs.join("\n"));
    let a = compare::table_digests(&connect(from, src).await)
        .await
        .unwrap();
    let b = compare::table_digests(&connect(to, name).await)
        .await
        .unwrap();
    assert!(!a.is_empty());
    let data = compare::data_differences(&a, &b);
    assert!(data.is_empty(), "{fm} → {tm}:\n{}", data.join("\n"));
    record(&format!("restore {fm} {tm} {src}"));
}

#[tokio::test]
async fn each_major_restores_into_the_newest_and_the_next_and_not_back() {
    let mut all = Vec::new();
    for m in MAJORS {
        all.push(Cluster::start(&bindir(m)).unwrap());
    }
    let mut majors = Vec::new();
    for c in &all {
        majors.push(major_of(c).await);
        load_source(c).await;
    }
    assert!(majors.windows(2).all(|w| w[0] < w[1]), "{majors:?}");
    let dir = Scratch::new("versions");
    let newest = all.len() - 1;
    for (i, from) in all.iter().enumerate().take(newest) {
        for src in SOURCES {
            let name = format!("{src}{}", majors[i]);
            let archive = dir.path(&format!("{name}.pgsnap"));
            backup_conn_ok(&from.conninfo(src), &archive, &["-j", "2"]);
            restore_and_compare(&archive, from, src, &all[newest], &name).await;
            if i + 1 < newest {
                restore_and_compare(&archive, from, src, &all[i + 1], &name).await;
            }
        }
    }

    // Newest into the one before: refused with the reason, nothing created;
    // --force tries (and here succeeds: the corpus needs nothing newer).
    let (old, new) = (&all[newest - 1], &all[newest]);
    let down = dir.path("down.pgsnap");
    backup_conn_ok(&new.conninfo("src"), &down, &[]);
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
        msg.contains(&format!(
            "the archive comes from PostgreSQL {}",
            majors[newest]
        )) && msg.contains("--force"),
        "{msg}"
    );
    let created: i64 = connect(old, "postgres")
        .await
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = 'down'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(created, 0);
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
    record(&format!(
        "refused-then-forced {} {}",
        majors[newest],
        majors[newest - 1]
    ));
}
