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
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pgsnap"))
        .args([
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
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let admin = connect(&src.cluster, "postgres").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut killed = 0i64;
    while killed == 0 && Instant::now() < deadline {
        killed = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE application_name LIKE 'pgsnap worker%' AND query LIKE 'COPY%big%' AND state = 'active'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
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
    assert!(dir.files().is_empty(), "left behind: {:?}", dir.files());
}
