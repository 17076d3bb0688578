//! Selection options (pg_dump's and pg_restore's names) on backup and
//! restore, checked against the source database.

use crate::support::*;

/// `SELECT` one text column of every row, in order, on database `db`.
async fn texts(src: &TestDb, db: &str, sql: &str) -> Vec<String> {
    let c = connect(&src.cluster, db).await;
    c.query(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

const TABLES: &str = "SELECT n.nspname || '.' || c.relname FROM pg_class c \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
    AND n.nspname !~ '^pg_toast' ORDER BY 1";

#[tokio::test]
async fn schema_only_then_data_only_rebuilds_the_database() {
    let src = TestDb::new("sel_split").await;
    src.load_fidelity().await;
    if src.major().await >= 18 {
        // A schema restored before its data enforces its NOT VALID
        // constraints on the rows loaded later (as with pg_restore): the one
        // row that breaks one goes.
        src.exec("DELETE FROM public.nn_kinds WHERE a IS NULL")
            .await;
    }
    let dir = Scratch::new("sel_split");
    let (schema, data) = (dir.path("schema.pgsnap"), dir.path("data.pgsnap"));
    backup_ok(&src, &schema, &["--schema-only"]);
    backup_ok(&src, &data, &["--data-only"]);
    let target = restore_copy(&src, &schema, "copy", &[]);
    let rows = texts(&src, &target, "SELECT count(*)::text FROM sec.accounts").await;
    assert_eq!(rows, ["0"]);
    let conn = src.cluster.conninfo(&target);
    ok(&pgsnap(&["restore", "-d", &conn, path_str(&data)]));
    assert_same(&src.cluster, &src.name, &target).await;
}

#[tokio::test]
async fn restoring_section_by_section_equals_a_full_restore() {
    let src = TestDb::new("sel_sections").await;
    src.load_corpus().await;
    let dir = Scratch::new("sel_sections");
    let file = dir.path("all.pgsnap");
    backup_ok(&src, &file, &["-j", "2"]);
    let target = restore_copy(&src, &file, "copy", &["--section", "pre-data"]);
    let conn = src.cluster.conninfo(&target);
    for section in ["data", "post-data"] {
        ok(&pgsnap(&[
            "restore",
            "-d",
            &conn,
            "--section",
            section,
            "-j",
            "3",
            path_str(&file),
        ]));
    }
    assert_same(&src.cluster, &src.name, &target).await;
}

/// A full backup of `src` in `dir` (made once).
fn full_archive(src: &TestDb, dir: &Scratch) -> std::path::PathBuf {
    let full = dir.path("full.pgsnap");
    if !full.exists() {
        backup_ok(src, &full, &[]);
    }
    full
}

#[tokio::test]
async fn table_and_schema_patterns_pick_objects_like_pg_dump() {
    let src = TestDb::new("sel_pat").await;
    src.load_fidelity().await;
    let dir = Scratch::new("sel_pat");

    // -t: the tables and view, their data, indexes, policies, grants; the owned
    // sequence; no functions, schemas or extensions.
    let t = dir.path("t.pgsnap");
    src.exec(
        "CREATE TABLE sec.\"Orders\" (id serial PRIMARY KEY, n int); \
         INSERT INTO sec.\"Orders\" (n) SELECT g FROM generate_series(1, 5) g",
    )
    .await;
    backup_ok(&src, &t, &["-t", "sec.acc*", "-t", "sec.\"Orders\""]);
    // As with pg_dump, -t leaves out what the tables use (schema, extension
    // types, collations): restore into a database that has them.
    let target = restore_copy(
        &src,
        &full_archive(&src, &dir),
        "t",
        &["-T", "sec.*", "-T", "public.agg_use"],
    );
    ok(&pgsnap(&[
        "restore",
        "-d",
        &src.cluster.conninfo(&target),
        path_str(&t),
    ]));
    let sec_tables: Vec<String> = texts(&src, &target, TABLES)
        .await
        .into_iter()
        .filter(|t| t.starts_with("sec."))
        .collect();
    assert_eq!(
        sec_tables,
        [
            "sec.Orders",
            "sec.Orders_id_seq",
            "sec.account_names",
            "sec.accounts"
        ]
    );
    let listing = pgsnap(&["list", path_str(&t)]);
    ok(&listing);
    let listing = String::from_utf8_lossy(&listing.stdout);
    for absent in ["FUNCTION", "EXTENSION", "SCHEMA", "COLLATION", "audit"] {
        assert!(!listing.contains(absent), "{absent} in {listing}");
    }
    let same = "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM sec.accounts t";
    assert_eq!(
        texts(&src, &target, same).await,
        texts(&src, &src.name, same).await
    );
    let policies = "SELECT polname::text FROM pg_policy ORDER BY 1";
    assert_eq!(
        texts(&src, &target, policies).await,
        ["no_negative", "own_rows", "small_inserts"]
    );
    let next = "SELECT nextval('sec.\"Orders_id_seq\"')::text";
    assert_eq!(texts(&src, &target, next).await, ["6"]);

    // -n with -T and --exclude-table-data, applied at restore time from a full archive.
    let full = full_archive(&src, &dir);
    let target = restore_copy(&src, &full, "n", &["-N", "sec", "-T", "public.agg_use"]);
    ok(&pgsnap(&[
        "restore",
        "-d",
        &src.cluster.conninfo(&target),
        "-n",
        "SEC",
        "-T",
        "sec.audit",
        "--exclude-table-data",
        "*.acc*",
        path_str(&full),
    ]));
    let tables: Vec<String> = texts(&src, &target, TABLES)
        .await
        .into_iter()
        .filter(|t| t.starts_with("sec."))
        .collect();
    assert_eq!(
        tables,
        [
            "sec.Orders",
            "sec.Orders_id_seq",
            "sec.account_names",
            "sec.accounts",
            "sec.ticket_seq"
        ]
    );
    let rows = "SELECT (SELECT count(*) FROM sec.accounts) || '/' || (SELECT count(*) FROM sec.\"Orders\")";
    assert_eq!(texts(&src, &target, rows).await, ["0/5"]);
}

#[tokio::test]
async fn no_owner_no_acl_no_comments_leave_those_out() {
    let src = TestDb::new("sel_noacl").await;
    src.load_fidelity().await;
    let dir = Scratch::new("sel_noacl");
    let file = dir.path("f.pgsnap");
    backup_ok(&src, &file, &[]);
    let target = restore_copy(
        &src,
        &file,
        "copy",
        &["--no-owner", "--no-privileges", "--no-comments"],
    );
    let owners = "SELECT DISTINCT pg_get_userbyid(relowner)::text FROM pg_class \
        WHERE relnamespace = 'sec'::regnamespace";
    assert_eq!(texts(&src, &target, owners).await, ["postgres"]);
    let acls = "SELECT count(*)::text FROM pg_class WHERE relacl IS NOT NULL \
        AND relnamespace IN ('sec'::regnamespace, 'public'::regnamespace)";
    assert_eq!(texts(&src, &target, acls).await, ["0"]);
    let defaults = "SELECT count(*)::text FROM pg_default_acl";
    assert_eq!(texts(&src, &target, defaults).await, ["0"]);
    let comments =
        "SELECT count(*)::text FROM pg_description d JOIN pg_class c ON c.oid = d.objoid \
        WHERE c.relnamespace = 'sec'::regnamespace";
    assert_eq!(texts(&src, &target, comments).await, ["0"]);
    // The same archive restored in full keeps all three.
    let full = restore_copy(&src, &file, "full", &[]);
    assert_same(&src.cluster, &src.name, &full).await;
}

#[tokio::test]
async fn a_pattern_that_matches_nothing_fails_loudly() {
    let src = TestDb::new("sel_typo").await;
    src.load_corpus().await;
    let dir = Scratch::new("sel_typo");
    let file = dir.path("x.pgsnap");
    let conn = src.conninfo();
    let out = pgsnap(&[
        "backup",
        "-d",
        &conn,
        "-f",
        path_str(&file),
        "-t",
        "no_such_tabel",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no table, view or sequence matches -t no_such_tabel"));
    assert!(!file.exists());
    let out = pgsnap(&["backup", "-d", &conn, "-f", path_str(&file), "-t", "a.b.c"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = pgsnap(&["backup", "-d", &conn, "-f", path_str(&file), "-s", "-a"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// pg_restore's `--clean --if-exists` and `-e`: a second restore over a copy
/// that lost a table and gained rows puts it back exactly, and `-e` stops at
/// the first error with exit 1 (which pgsnap always does).
#[tokio::test]
async fn clean_if_exists_and_exit_on_error_as_pg_restore_takes_them() {
    let src = TestDb::new("sel_clean").await;
    src.load_corpus().await;
    let dir = Scratch::new("sel_clean");
    let file = dir.path("all.pgsnap");
    backup_ok(&src, &file, &[]);
    let target = restore_copy(&src, &file, "copy", &[]);
    let conn = src.cluster.conninfo(&target);
    let copy = connect(&src.cluster, &target).await;
    copy.batch_execute(
        "DROP TABLE app.order_items CASCADE; UPDATE app.users SET nickname = 'changed'",
    )
    .await
    .unwrap();
    drop(copy);
    ok(&pgsnap(&[
        "restore",
        "-d",
        &conn,
        "--clean",
        "--if-exists",
        "-e",
        path_str(&file),
    ]));
    assert_same(&src.cluster, &src.name, &target).await;
    let out = pgsnap(&["restore", "-d", &conn, "--exit-on-error", path_str(&file)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("is not empty"), "{}", stderr(&out));
}
