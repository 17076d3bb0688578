//! Password authentication (SCRAM) from the environment and the password file,
//! and that a password never shows up in pgsnap's output.

use crate::support::*;

#[tokio::test]
async fn passwords_come_from_env_and_pgpass_and_never_leak() {
    let mut cluster = private_cluster();
    let admin = connect(&cluster, "postgres").await;
    admin
        .batch_execute(
            "SET password_encryption = 'scram-sha-256'; ALTER ROLE postgres PASSWORD 's3cr:t pw'",
        )
        .await
        .unwrap();
    admin.batch_execute("CREATE DATABASE authdb").await.unwrap();
    connect(&cluster, "authdb")
        .await
        .batch_execute(
            "CREATE TABLE t AS SELECT i, md5(i::text) AS v FROM generate_series(1, 20000) i",
        )
        .await
        .unwrap();
    cluster
        .reconfigure(
            "",
            Some("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"),
        )
        .unwrap();
    let dir = Scratch::new("auth");
    let file = dir.path("a.pgsnap");
    let port = cluster.port().to_string();
    let base = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", "postgres"),
        ("PGDATABASE", "authdb"),
    ];
    let with = |extra: &[(&'static str, String)]| {
        let mut env: Vec<(&str, String)> = base.iter().map(|(k, v)| (*k, v.to_string())).collect();
        env.extend(extra.iter().cloned());
        env
    };
    let run = |env: &[(&str, String)]| {
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        pgsnap_env(&["backup", "-f", path_str(&file)], &pairs)
    };

    // No password: refused, exit 2.
    let out = run(&with(&[("HOME", path_str(&dir.0).to_string())]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // PGPASSWORD, then POSTGRES_PASSWORD. The server offers no TLS, so under
    // the default sslmode (prefer) the rows come through tokio-postgres; with
    // sslmode=disable through the tap on the socket (see pg::tap): both whole.
    let rows = || -> u64 {
        let out = pgsnap(&["list", "--json", path_str(&file)]);
        ok(&out);
        let toc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        toc["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["rows"].as_u64().unwrap())
            .sum()
    };
    ok(&run(&with(&[("PGPASSWORD", "s3cr:t pw".into())])));
    assert_eq!(rows(), 20000);
    ok(&run(&with(&[
        ("PGPASSWORD", "s3cr:t pw".into()),
        ("PGSSLMODE", "disable".into()),
    ])));
    assert_eq!(rows(), 20000);
    ok(&run(&with(&[("POSTGRES_PASSWORD", "s3cr:t pw".into())])));

    // The password file, with an escaped ':' in the password.
    let pgpass = dir.path("pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{port}:authdb:postgres:s3cr\\:t pw\n"),
    )
    .unwrap();
    ok(&run(&with(&[(
        "PGPASSFILE",
        path_str(&pgpass).to_string(),
    )])));

    // --password-file (a mounted secret), which wins over a wrong PGPASSWORD.
    let secret = dir.path("secret");
    std::fs::write(&secret, "s3cr:t pw\n").unwrap();
    let out = pgsnap_env(
        &[
            "backup",
            "-f",
            path_str(&file),
            "--password-file",
            path_str(&secret),
        ],
        &base
            .iter()
            .copied()
            .chain([("PGPASSWORD", "nope")])
            .collect::<Vec<_>>(),
    );
    ok(&out);

    // No password anywhere: -w refuses and says how to give one; -W without a
    // terminal cannot ask; on a terminal pgsnap asks, as pg_dump does, without echo.
    let home = [("HOME", path_str(&dir.0))];
    let env: Vec<(&str, &str)> = base.iter().copied().chain(home).collect();
    let out = pgsnap_env(&["backup", "-w", "-f", path_str(&file)], &env);
    fails_with(&out, 2, "pass -W to be asked");
    let out = pgsnap_env(&["backup", "-W", "-f", path_str(&file)], &env);
    fails_with(&out, 2, "cannot ask for the password");
    let typed = dir.path("typed.pgsnap");
    let screen = type_password(&["backup", "-f", path_str(&typed)], &env, &dir, "s3cr:t pw");
    assert!(screen.contains("Password for user postgres:"), "{screen}");
    assert!(
        !screen.contains("s3cr"),
        "the password was echoed: {screen}"
    );
    assert!(
        typed.exists(),
        "no archive after typing the password: {screen}"
    );

    // A wrong password: exit 2, and neither password appears anywhere.
    let out = run(&with(&[
        ("PGPASSWORD", "wrong-Pa55".into()),
        ("PGSNAP_LOG", "debug".into()),
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(all.contains("password authentication failed"), "{all}");
    assert!(
        !all.contains("wrong-Pa55") && !all.contains("s3cr"),
        "{all}"
    );
    // md5 authentication too.
    connect(&cluster, "postgres")
        .await
        .batch_execute("SET password_encryption = 'md5'; ALTER ROLE postgres PASSWORD 's3cr:t pw'")
        .await
        .unwrap();
    cluster
        .reconfigure(
            "",
            Some("local all all trust\nhost all all 127.0.0.1/32 md5\n"),
        )
        .unwrap();
    ok(&run(&with(&[("PGPASSWORD", "s3cr:t pw".into())])));

    // Nor in the archive's table of contents.
    let listing = pgsnap(&["list", "--json", path_str(&file)]);
    ok(&listing);
    assert!(!String::from_utf8_lossy(&listing.stdout).contains("s3cr"));
}

/// Runs pgsnap on a pseudo-terminal (`script`), types `password` once it asks,
/// and returns what the terminal showed.
fn type_password(args: &[&str], env: &[(&str, &str)], dir: &Scratch, password: &str) -> String {
    use std::io::Write;
    let typescript = dir.path("typescript");
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_pgsnap").to_string())
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = std::process::Command::new("script");
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") || k.starts_with("POSTGRES_") {
            script.env_remove(k);
        }
    }
    let mut child = script
        .args(["-qefc", &cmd, path_str(&typescript)])
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("script (util-linux)");
    let mut stdin = child.stdin.take().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let shown = || std::fs::read(&typescript).unwrap_or_default();
    while !String::from_utf8_lossy(&shown()).contains("Password for user") {
        assert!(
            std::time::Instant::now() < deadline,
            "no password prompt: {}",
            String::from_utf8_lossy(&shown())
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    let screen = String::from_utf8_lossy(&shown()).into_owned();
    assert!(status.success(), "{screen}");
    screen
}
