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

    // PGPASSWORD, then POSTGRES_PASSWORD.
    ok(&run(&with(&[("PGPASSWORD", "s3cr:t pw".into())])));
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
