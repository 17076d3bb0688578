//! Archives in an S3-compatible store: moto's server on loopback (installed by
//! `.ci/setup`), reached through the standard AWS environment variables.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

struct S3 {
    child: Child,
    endpoint: String,
}

impl S3 {
    /// Starts moto_server and creates `bucket`.
    fn start(bucket: &str) -> S3 {
        Self::start_with(bucket, &[])
    }

    /// Starts moto_server with `env` (e.g. enforcing credentials), creates `bucket`.
    fn start_with(bucket: &str, env: &[(&str, &str)]) -> S3 {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server (.ci/setup installs it)");
        let s3 = S3 {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        // Until the server answers (with credentials enforced, it refuses
        // the unsigned request; the bucket is not needed then).
        loop {
            let status = s3.http("PUT", &format!("/{bucket}"));
            if status == "200" || (!env.is_empty() && status != "000") {
                break;
            }
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        s3
    }

    /// An unsigned request (moto takes any); returns the HTTP status.
    fn http(&self, method: &str, path: &str) -> String {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method])
            .arg(format!("{}{path}", self.endpoint))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn get(&self, path: &str) -> String {
        let out = Command::new("curl")
            .arg("-s")
            .arg(format!("{}{path}", self.endpoint))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
        ]
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn backup_to_s3_then_list_verify_and_restore_from_it() {
    let s3 = S3::start("pgsnap-rt");
    let db = TestDb::new("s3rt").await;
    db.load_corpus().await;
    db.exec(
        "CREATE TABLE big (id int PRIMARY KEY, payload text);
         INSERT INTO big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 150000) g;",
    )
    .await;
    let env = s3.env();
    let url = "s3://pgsnap-rt/nightly/shop.pgsnap";
    let conn = db.conninfo();
    // Level 0: 20+ MiB of archive, so the upload takes two parts or more.
    let out = pgsnap_env(
        &["backup", "-d", &conn, "-f", url, "-j", "2", "-Z", "0"],
        &env,
    );
    ok(&out);
    let listing = s3.get("/pgsnap-rt?list-type=2");
    assert!(
        listing.contains("<Key>nightly/shop.pgsnap</Key>"),
        "{listing}"
    );
    assert!(
        listing.contains("<Key>nightly/shop.pgsnap.json</Key>"),
        "{listing}"
    );
    let etag_parts = listing
        .split("<Key>nightly/shop.pgsnap</Key>")
        .nth(1)
        .and_then(|r| r.split("&#34;").nth(1).or_else(|| r.split('"').nth(1)))
        .unwrap_or_default()
        .to_string();
    assert!(etag_parts.contains('-'), "a multipart ETag: {listing}");

    let out = pgsnap_env(&["list", url], &env);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("TABLE DATA public big"));
    ok(&pgsnap_env(&["verify", url], &env));
    // The verification is recorded in the metadata object beside it.
    let out = pgsnap_env(
        &["backups", "--dir", "s3://pgsnap-rt/nightly/", "--json"],
        &env,
    );
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v[0]["verified_at"].is_string(), "{v}");

    let target = db.sibling("copy");
    let tconn = db.cluster.conninfo(&target);
    ok(&pgsnap_env(
        &["restore", "-d", &tconn, "--create", "-j", "4", url],
        &env,
    ));
    assert_same(&db.cluster, &db.name, &target).await;

    // One table out of the archive: only its frames are fetched.
    let one = db.sibling("one");
    let oconn = db.cluster.conninfo(&one);
    ok(&pgsnap_env(
        &["restore", "-d", &oconn, "--create", "-t", "public.big", url],
        &env,
    ));
    let c = connect(&db.cluster, &one).await;
    let n: i64 = c
        .query_one("SELECT count(*) FROM public.big", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 150_000);

    let maint = db.cluster.conninfo("postgres");
    let out = pgsnap_env(&["verify", url, "--restore-check", "-d", &maint], &env);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("restore check PASSED"));

    // Missing object, unreachable store: clear errors, exit 1.
    let out = pgsnap_env(&["list", "s3://pgsnap-rt/nightly/none.pgsnap"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("check the bucket and the object's name"),
        "{}",
        stderr(&out)
    );
    let mut bad = env.clone();
    bad[0] = ("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
    let out = pgsnap_env(&["--storage-timeout", "5s", "list", url], &bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("after 5 retries"), "{}", stderr(&out));
    // No Google credentials here: GCS says so (no emulator to go further).
    let out = pgsnap_env(
        &["--storage-timeout", "5s", "list", "gs://bucket/x.pgsnap"],
        &env,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("gs://bucket/x.pgsnap: ") && stderr(&out).contains("GCS"),
        "{}",
        stderr(&out)
    );
}

/// SIGINT while the archive is uploading: the upload is aborted, no object
/// appears, and the failed run is recorded beside where it would have been.
#[tokio::test]
async fn an_interrupted_upload_leaves_no_object() {
    let s3 = S3::start("pgsnap-int");
    let db = TestDb::new("s3int").await;
    db.exec(
        "CREATE TABLE big (id int, payload text);
         INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 400000) g;",
    )
    .await;
    let env = s3.env();
    let conn = db.conninfo();
    let out = interrupt_pgsnap(
        &[
            "backup",
            "-d",
            &conn,
            "-f",
            "s3://pgsnap-int/x.pgsnap",
            "-Z",
            "0",
            "-j",
            "1",
        ],
        &env,
        "a multipart upload",
        async |_| s3.get("/pgsnap-int?uploads").contains("<UploadId>"),
    )
    .await;
    fails_with(&out, 1, "interrupted by SIGINT");
    let listing = s3.get("/pgsnap-int?list-type=2");
    assert!(!listing.contains("<Key>x.pgsnap</Key>"), "{listing}");
    assert!(
        listing.contains("<Key>x.pgsnap.json</Key>"),
        "the failed run is recorded: {listing}"
    );
}

/// "Back up locally, copy to the cloud": --upload (or S3_BACKUP_BUCKET) sends
/// the finished archive and its metadata; a failed upload keeps the local
/// archive and fails the run.
#[tokio::test]
async fn upload_copies_a_local_backup_to_the_store() {
    let s3 = S3::start("pgsnap-up");
    let db = TestDb::new("s3up").await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);")
        .await;
    let dir = Scratch::new("s3up");
    let conn = db.conninfo();
    let mut env = s3.env();
    ok(&pgsnap_env(
        &[
            "backup",
            "-d",
            &conn,
            "--dir",
            path_str(&dir.0),
            "--name",
            "a",
            "--upload",
            "s3://pgsnap-up/nightly/",
        ],
        &env,
    ));
    env.push(("S3_BACKUP_BUCKET", "pgsnap-up"));
    ok(&pgsnap_env(
        &[
            "backup",
            "-d",
            &conn,
            "--dir",
            path_str(&dir.0),
            "--name",
            "b",
        ],
        &env,
    ));
    let listing = s3.get("/pgsnap-up?list-type=2");
    for f in dir.files() {
        let key = if f.starts_with("a_") {
            format!("nightly/{f}")
        } else {
            f.clone()
        };
        assert!(
            listing.contains(&format!("<Key>{key}</Key>")),
            "{key} not in {listing}"
        );
    }
    // Restore straight from the uploaded copy.
    let a = dir
        .files()
        .into_iter()
        .find(|f| f.starts_with("a_") && f.ends_with(".pgsnap"))
        .unwrap();
    let target = db.sibling("copy");
    ok(&pgsnap_env(
        &[
            "restore",
            "-d",
            &db.cluster.conninfo(&target),
            "--create",
            &format!("s3://pgsnap-up/nightly/{a}"),
        ],
        &env,
    ));
    assert_same(&db.cluster, &db.name, &target).await;

    let out = pgsnap_env(
        &[
            "backup",
            "-d",
            &conn,
            "--dir",
            path_str(&dir.0),
            "--name",
            "c",
            "--upload",
            "s3://no-such-bucket-here/",
        ],
        &env,
    );
    fails_with(&out, 1, "is complete; upload it again later");
    assert!(dir
        .files()
        .iter()
        .any(|f| f.starts_with("c_") && f.ends_with(".pgsnap")));
    let out = pgsnap_env(
        &[
            "backup",
            "-d",
            &conn,
            "-f",
            "-",
            "--upload",
            "s3://pgsnap-up/",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(2));
}

/// Named backups in a store prefix: `backups`, `health` and `prune` work on it
/// as on a directory.
#[tokio::test]
async fn named_backups_health_and_prune_on_a_store_prefix() {
    let s3 = S3::start("pgsnap-named");
    let db = TestDb::new("s3named").await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 5000);")
        .await;
    let env = s3.env();
    let conn = db.conninfo();
    let dir = "s3://pgsnap-named/nightly/";
    for name in ["a", "b"] {
        ok(&pgsnap_env(
            &["backup", "-d", &conn, "--dir", dir, "--name", name],
            &env,
        ));
    }
    let out = pgsnap_env(&["backups", "--dir", dir, "--json"], &env);
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert!(rows.iter().all(|r| r["status"] == "success"), "{v}");
    assert!(rows[0]["name"].as_str().unwrap().starts_with("b_"), "{v}");

    let out = pgsnap_env(&["health", "--dir", dir], &env);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("[OK] disk: an object store"), "{text}");
    assert!(text.contains("[OK] integrity: b_"), "{text}");

    // A corrupted latest archive in the store is CRITICAL.
    let latest = rows[0]["name"].as_str().unwrap().to_string();
    let put = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "PUT",
            "--data-binary",
            "not an archive",
        ])
        .arg(format!("{}/pgsnap-named/nightly/{latest}", s3.endpoint))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&put.stdout), "200");
    let out = pgsnap_env(&["health", "--dir", dir, "--size-change", "100"], &env);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("[CRITICAL] integrity"), "{text}");

    ok(&pgsnap_env(
        &["prune", "--dir", dir, "--keep-last", "1"],
        &env,
    ));
    let listing = s3.get("/pgsnap-named?list-type=2");
    assert!(
        listing.contains(&format!("<Key>nightly/{latest}</Key>")),
        "{listing}"
    );
    assert_eq!(listing.matches("<Key>nightly/a_").count(), 0, "{listing}");
}

/// Credentials from an AWS profile (shared credentials and config files);
/// wrong credentials are refused with a message that says what to check, and
/// a backup with them leaves no object.
#[tokio::test]
async fn profiles_are_read_and_bad_credentials_are_explained() {
    let s3 = S3::start("pgsnap-prof");
    let db = TestDb::new("s3prof").await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
        .await;
    let dir = Scratch::new("s3prof");
    let creds = dir.path("credentials");
    let config = dir.path("config");
    std::fs::write(&creds, "[default]\naws_access_key_id = nope\n\n[backup]\naws_access_key_id = test\naws_secret_access_key = test\n").unwrap();
    std::fs::write(&config, "[profile backup]\nregion = eu-west-1\n").unwrap();
    let conn = db.conninfo();
    let env = [
        ("AWS_ENDPOINT_URL", s3.endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_SHARED_CREDENTIALS_FILE", path_str(&creds)),
        ("AWS_CONFIG_FILE", path_str(&config)),
        ("AWS_PROFILE", "backup"),
        ("HOME", path_str(&dir.0)),
    ];
    ok(&pgsnap_env(
        &["backup", "-d", &conn, "-f", "s3://pgsnap-prof/p.pgsnap"],
        &env,
    ));
    assert!(s3
        .get("/pgsnap-prof?list-type=2")
        .contains("<Key>p.pgsnap</Key>"));

    // A server that checks credentials refuses made-up ones.
    let strict = S3::start_with("pgsnap-strict", &[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let bad = [
        ("AWS_ENDPOINT_URL", strict.endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "AKIAMADEUP"),
        ("AWS_SECRET_ACCESS_KEY", "made-up"),
    ];
    let out = pgsnap_env(
        &[
            "--storage-timeout",
            "5s",
            "list",
            "s3://pgsnap-strict/p.pgsnap",
        ],
        &bad,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("check the credentials"),
        "{}",
        stderr(&out)
    );
    let out = pgsnap_env(
        &[
            "--storage-timeout",
            "5s",
            "backup",
            "-d",
            &conn,
            "-f",
            "s3://pgsnap-strict/q.pgsnap",
        ],
        &bad,
    );
    fails_with(&out, 1, "check the credentials");
}
