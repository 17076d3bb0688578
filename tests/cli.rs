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
    fails_with(&out, 2, "could not connect");
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

/// `--log-format json`: every stderr line is a JSON object, the last one the
/// run's summary; `--log-file` gets the same events with timestamps, also
/// under `--quiet`.
#[tokio::test]
async fn json_logs_and_log_file_end_with_a_summary() {
    let db = TestDb::new("logjson").await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);")
        .await;
    let dir = Scratch::new("logjson");
    let file = dir.path("l.pgsnap");
    let log = dir.path("run.log");
    let conn = db.conninfo();
    let out = pgsnap(&[
        "backup",
        "-d",
        &conn,
        "-f",
        path_str(&file),
        "--log-format",
        "json",
        "--log-file",
        path_str(&log),
    ]);
    ok(&out);
    let lines: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let last = lines.last().expect("some log lines");
    assert_eq!(last["target"], "pgsnap::summary", "{last}");
    assert_eq!(last["fields"]["command"], "backup");
    assert_eq!(last["fields"]["exit_code"], 0);
    assert!(lines.iter().any(|l| l["fields"]["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("backup written to")));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(logged.lines().count(), lines.len(), "{logged}");

    // Failure, quiet, text: stderr has only the error line; the file has the summary.
    let out = pgsnap(&[
        "-q",
        "verify",
        path_str(&dir.path("missing.pgsnap")),
        "--log-file",
        path_str(&log),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).starts_with("pgsnap: error: "));
    let last = std::fs::read_to_string(&log).unwrap();
    let last = last.lines().last().unwrap();
    assert!(
        last.contains("ERROR")
            && last.contains("pgsnap verify: failed in")
            && last.contains("exit 1"),
        "{last}"
    );
    assert!(last.starts_with("20"), "timestamped: {last}");
}

/// `--config FILE`: settings named like the environment variables; the
/// environment wins over the file and a flag over both; a typo is an error.
#[tokio::test]
async fn config_file_settings_yield_to_environment_and_flags() {
    let db = TestDb::new("config").await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
        .await;
    let dir = Scratch::new("config");
    let (from_file, from_env, from_flag) = (dir.path("file"), dir.path("env"), dir.path("flag"));
    let config = dir.path("pgsnap.toml");
    std::fs::write(
        &config,
        format!(
            "# settings for the nightly job\nbackup_dir = \"{}\"\nBACKUP_NAME = \"nightly\"\npgsnap_jobs = 1\n",
            path_str(&from_file)
        ),
    )
    .unwrap();
    let conn = db.conninfo();
    ok(&pgsnap(&[
        "--config",
        path_str(&config),
        "backup",
        "-d",
        &conn,
    ]));
    let files: Vec<String> = std::fs::read_dir(&from_file)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("nightly_") && f.ends_with(".pgsnap")),
        "{files:?}"
    );

    ok(&pgsnap_env(
        &["backup", "-d", &conn, "--config", path_str(&config)],
        &[("BACKUP_DIR", path_str(&from_env))],
    ));
    assert!(from_env.is_dir());
    ok(&pgsnap_env(
        &["backup", "-d", &conn, "--dir", path_str(&from_flag)],
        &[
            ("BACKUP_DIR", path_str(&from_env)),
            ("PGSNAP_CONFIG", path_str(&config)),
        ],
    ));
    assert!(from_flag.is_dir());

    std::fs::write(&config, "backup_dri = \"/tmp\"\n").unwrap();
    let out = pgsnap(&["--config", path_str(&config), "backups"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown setting \"backup_dri\""),
        "{}",
        stderr(&out)
    );
}

/// Runs pgsnap under `script`, on a pseudo-terminal, and returns what it drew.
fn on_terminal(args: &[&str]) -> String {
    let dir = Scratch::new("pty");
    let typescript = dir.path("typescript");
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_pgsnap").to_string())
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, path_str(&typescript)])
        .output()
        .expect("script (util-linux)");
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned()
}

/// Progress bars appear on a terminal for backup, verify and restore, and
/// never with --no-progress or when stderr is not a terminal.
#[tokio::test]
async fn progress_bars_only_on_a_terminal() {
    let db = TestDb::new("progress").await;
    db.exec("CREATE TABLE t (id int, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 300000) g;")
        .await;
    let dir = Scratch::new("progress");
    let file = dir.path("p.pgsnap");
    let conn = db.conninfo();
    let drawn = on_terminal(&[
        "backup",
        "-d",
        &conn,
        "-f",
        path_str(&file),
        "--chunk-kib",
        "64",
    ]);
    assert!(
        drawn.contains("backup [") && drawn.contains(" rows"),
        "{drawn}"
    );
    let drawn = on_terminal(&["verify", path_str(&file)]);
    assert!(drawn.contains("verify ["), "{drawn}");
    let target = db.sibling("copy");
    let tconn = db.cluster.conninfo(&target);
    let drawn = on_terminal(&["restore", "-d", &tconn, "--create", path_str(&file)]);
    assert!(drawn.contains("restore ["), "{drawn}");
    let quiet = on_terminal(&["verify", "--no-progress", path_str(&file)]);
    assert!(!quiet.contains("verify ["), "{quiet}");
    let piped = pgsnap(&["verify", path_str(&file)]);
    assert!(!stderr(&piped).contains("verify ["));
}
