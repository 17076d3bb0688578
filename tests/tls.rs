//! TLS connections with libpq's sslmode semantics against a server that only
//! accepts TLS on TCP.

use crate::support::*;

#[tokio::test]
async fn tls_modes_behave_like_libpq() {
    let dir = Scratch::new("tls");
    make_certs(&dir.0, "good-ca");
    openssl(
        &dir.0,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "other-ca.key",
            "-out",
            "other-ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=other-ca",
        ],
    );
    let mut cluster = private_cluster();
    cluster
        .write_data_file(
            "server.crt",
            &std::fs::read(dir.path("server.crt")).unwrap(),
        )
        .unwrap();
    cluster
        .write_data_file(
            "server.key",
            &std::fs::read(dir.path("server.key")).unwrap(),
        )
        .unwrap();
    cluster
        .reconfigure(
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'",
            Some("local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n"),
        )
        .unwrap();
    connect(&cluster, "postgres")
        .await
        .batch_execute("CREATE DATABASE tlsdb")
        .await
        .unwrap();
    connect(&cluster, "tlsdb").await
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 5000) i;")
        .await
        .unwrap();
    let port = cluster.port();
    let good = path_str(&dir.path("good-ca.crt")).to_string();
    let other = path_str(&dir.path("other-ca.crt")).to_string();
    let file = dir.path("tls.pgsnap");
    let conn = |host: &str, extra: &str| format!("host={host} port={port} user=postgres {extra}");

    // verify-full against the right CA, by name and by IP address.
    ok(&pgsnap(&[
        "backup",
        "-d",
        &conn(
            "localhost",
            &format!("dbname=tlsdb sslmode=verify-full sslrootcert={good}"),
        ),
        "-f",
        path_str(&file),
    ]));
    ok(&pgsnap(&["verify", path_str(&file)]));
    let uri = format!(
        "postgresql://postgres@127.0.0.1:{port}/tlsdb?sslmode=verify-full&sslrootcert={good}"
    );
    ok(&pgsnap(&["backup", "-d", &uri, "-f", path_str(&file)]));

    // The environment works too; require encrypts without checking the certificate.
    ok(&pgsnap_env(
        &[
            "restore",
            "-d",
            &conn("127.0.0.1", "dbname=tlscopy"),
            "--create",
            path_str(&file),
        ],
        &[("PGSSLMODE", "require")],
    ));
    assert_same(&cluster, "tlsdb", "tlscopy").await;

    // A certificate from another CA is refused; so is a plain-text connection.
    let out = pgsnap(&[
        "backup",
        "-d",
        &conn(
            "localhost",
            &format!("dbname=tlsdb sslmode=verify-ca sslrootcert={other}"),
        ),
        "-f",
        path_str(&dir.path("x.pgsnap")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).to_lowercase().contains("certificate"),
        "{}",
        stderr(&out)
    );
    let out = pgsnap(&[
        "backup",
        "-d",
        &conn("127.0.0.1", "dbname=tlsdb sslmode=disable"),
        "-f",
        path_str(&dir.path("x.pgsnap")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no encryption") || stderr(&out).contains("pg_hba"),
        "{}",
        stderr(&out)
    );
    // verify-full without a root certificate is a usage problem, caught before connecting.
    let out = pgsnap_env(
        &[
            "backup",
            "-d",
            &conn("localhost", "dbname=tlsdb sslmode=verify-full"),
            "-f",
            "x",
        ],
        &[("HOME", path_str(&dir.0))],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("root certificate"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path("x.pgsnap").exists());
}
