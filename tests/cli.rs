//! Exit codes and messages of the command line.

use crate::support::*;

#[test]
fn connection_failure_exits_2() {
    let dir = Scratch::new("noconn");
    let file = dir.path("x.pgsnap");
    let out = pgsnap(&[
        "backup",
        "-d",
        "host=127.0.0.1 port=1 user=nobody dbname=x connect_timeout=5",
        "-f",
        path_str(&file),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not connect"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("password"));
    // Monitoring sees the failed run; there is no archive.
    assert_only_failed_record(&dir);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        pgsnap(&["backup", "-j", "0", "-d", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        pgsnap(&["backup", "-Z", "99", "-d", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(pgsnap(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn not_an_archive_and_missing_file_fail_clearly() {
    let dir = Scratch::new("notarchive");
    let f = dir.path("junk.pgsnap");
    std::fs::write(&f, b"this is not an archive, just some bytes that are long enough to have a header and a trailer in them").unwrap();
    let out = pgsnap(&["verify", path_str(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a pgsnap archive"),
        "{}",
        stderr(&out)
    );
    let out = pgsnap(&["list", path_str(&dir.path("missing.pgsnap"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.pgsnap"), "{}", stderr(&out));
}

#[tokio::test]
async fn truncated_archive_is_refused_before_touching_the_target() {
    let src = TestDb::new("trunc").await;
    src.exec("CREATE TABLE t AS SELECT generate_series(1, 1000) AS i;")
        .await;
    let dir = Scratch::new("trunc");
    let file = dir.path("t.pgsnap");
    backup_ok(&src, &file, &[]);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 7]).unwrap();
    let target = src.sibling("never");
    let out = pgsnap(&[
        "restore",
        "-d",
        &src.cluster.conninfo(&target),
        "--create",
        path_str(&file),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("truncated") || stderr(&out).contains("incomplete"),
        "{}",
        stderr(&out)
    );
    let exists = connect(&src.cluster, "postgres")
        .await
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&target])
        .await
        .unwrap();
    assert!(
        exists.is_none(),
        "target database was created for an unusable archive"
    );
}
