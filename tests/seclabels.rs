//! Security labels. PostgreSQL ships no label provider outside sepgsql (which
//! needs SELinux), so these tests build a small one from
//! `tests/seclabel/pgsnap_test_seclabel.c` against the server's headers and
//! preload it into a private cluster.

use std::path::PathBuf;
use std::process::Command;

use crate::support::*;
use pgsnap::cluster::{compare, Cluster};

/// A label on every kind of object `SECURITY LABEL` takes that pg_dump dumps.
const LABELLED: &str = r#"
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('ok', 'sad');
CREATE DOMAIN app.pos AS int CHECK (VALUE > 0);
CREATE TABLE app.t (id int PRIMARY KEY, "odd Col" text, m app.mood);
INSERT INTO app.t VALUES (1, 'a', 'ok');
CREATE VIEW app.v AS SELECT id FROM app.t;
CREATE MATERIALIZED VIEW app.mv AS SELECT id FROM app.t;
CREATE SEQUENCE app.s;
CREATE FUNCTION app.f(int) RETURNS int LANGUAGE sql AS 'SELECT $1';
CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1';
CREATE AGGREGATE app.total(int) (SFUNC = int4pl, STYPE = int);
CREATE FOREIGN DATA WRAPPER w;
CREATE SERVER srv FOREIGN DATA WRAPPER w;
CREATE FOREIGN TABLE app.ft (a int) SERVER srv;
CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE EVENT TRIGGER ddl ON ddl_command_start EXECUTE FUNCTION app.on_ddl();
CREATE PUBLICATION pub FOR TABLE app.t;
CREATE SUBSCRIPTION sub CONNECTION 'dbname=nowhere' PUBLICATION pub
  WITH (connect = false, enabled = false, create_slot = false, slot_name = NONE);
SELECT lo_from_bytea(424242, 'label me');

SECURITY LABEL FOR pgsnap_test ON SCHEMA app IS 'schema: secret';
SECURITY LABEL FOR pgsnap_test ON TYPE app.mood IS 'type';
SECURITY LABEL FOR pgsnap_test ON DOMAIN app.pos IS 'domain';
SECURITY LABEL FOR pgsnap_test ON TABLE app.t IS 'it''s a table';
SECURITY LABEL FOR pgsnap_test ON COLUMN app.t."odd Col" IS 'column';
SECURITY LABEL FOR pgsnap_test ON VIEW app.v IS 'view';
SECURITY LABEL FOR pgsnap_test ON MATERIALIZED VIEW app.mv IS 'matview';
SECURITY LABEL FOR pgsnap_test ON SEQUENCE app.s IS 'sequence';
SECURITY LABEL FOR pgsnap_test ON FUNCTION app.f(int) IS 'function';
SECURITY LABEL FOR pgsnap_test ON PROCEDURE app.p() IS 'procedure';
SECURITY LABEL FOR pgsnap_test ON AGGREGATE app.total(int) IS 'aggregate';
SECURITY LABEL FOR pgsnap_test ON FOREIGN TABLE app.ft IS 'foreign table';
SECURITY LABEL FOR pgsnap_test ON EVENT TRIGGER ddl IS 'event trigger';
SECURITY LABEL FOR pgsnap_test ON PUBLICATION pub IS 'publication';
SECURITY LABEL FOR pgsnap_test ON SUBSCRIPTION sub IS 'subscription';
SECURITY LABEL FOR pgsnap_test ON LARGE OBJECT 424242 IS 'large object';
SECURITY LABEL FOR pgsnap_test ON DATABASE labelled IS 'database';
"#;

/// Compiles the test label provider into the cluster's directory, where the
/// server's OS user can read it.
fn build_provider(cluster: &Cluster) -> PathBuf {
    let src =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/seclabel/pgsnap_test_seclabel.c");
    let out = Command::new(cluster.bindir().join("pg_config"))
        .arg("--includedir-server")
        .output()
        .expect("run pg_config");
    assert!(
        out.status.success(),
        "pg_config --includedir-server: {out:?}"
    );
    let include = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        include.join("postgres.h").exists(),
        "the security label tests build a label provider against PostgreSQL's server headers, \
         and {} has none: install them (Debian: postgresql-server-dev-15; .ci/setup does)",
        include.display()
    );
    let so = cluster.socket_dir().join("pgsnap_test_seclabel.so");
    let cc = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-I"])
        .arg(&include)
        .arg("-o")
        .arg(&so)
        .arg(&src)
        .output()
        .expect("run cc");
    assert!(cc.status.success(), "building the label provider: {cc:?}");
    so
}

/// Every label comes back, in the schema dump and in the catalogs (large
/// objects and the database, which `pg_dump --schema-only` leaves out);
/// `--no-security-labels` leaves them all out; a server without the
/// provider gets a restore error that says so.
#[tokio::test(flavor = "multi_thread")]
async fn security_labels_round_trip() {
    let mut cluster = private_cluster();
    let so = build_provider(&cluster);
    cluster
        .reconfigure(
            &format!("shared_preload_libraries = '{}'", path_str(&so)),
            None,
        )
        .expect("preload the label provider");
    let admin = connect(&cluster, "postgres").await;
    admin
        .batch_execute("CREATE DATABASE labelled")
        .await
        .unwrap();
    connect(&cluster, "labelled")
        .await
        .batch_execute(LABELLED)
        .await
        .unwrap_or_else(|e| panic!("{}", pgsnap::pg::error_text(&e)));
    let dir = Scratch::new("seclabel");
    let file = dir.path("labelled.pgsnap");
    ok(&pgsnap(&[
        "backup",
        "-d",
        &cluster.conninfo("labelled"),
        "-f",
        path_str(&file),
        "-j",
        "2",
    ]));
    ok(&pgsnap(&[
        "restore",
        "-d",
        &cluster.conninfo("copy"),
        "--create",
        "-j",
        "2",
        path_str(&file),
    ]));
    let dump = compare::schema_dump(&cluster, "labelled").unwrap();
    let labels = dump
        .iter()
        .filter(|l| l.starts_with("SECURITY LABEL FOR pgsnap_test"))
        .count();
    assert_eq!(
        labels, 15,
        "pg_dump shows every label but the database's and the large object's"
    );
    assert_same(&cluster, "labelled", "copy").await;
    // pg_seclabels shows the labels of every database and of every
    // database's subscriptions: keep the current database's.
    let this_db = "(objtype NOT IN ('database', 'subscription') OR objoid IN \
                   (SELECT oid FROM pg_database WHERE datname = current_database() \
                    UNION ALL SELECT s.oid FROM pg_subscription s JOIN pg_database d \
                    ON d.oid = s.subdbid AND d.datname = current_database()))";
    let all = format!(
        "SELECT provider || ' ' || label FROM pg_seclabels \
         WHERE objtype IN ('large object', 'database') AND {this_db} ORDER BY 1"
    );
    let listed = |rows: Vec<tokio_postgres::Row>| {
        rows.iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
    };
    let source = listed(
        connect(&cluster, "labelled")
            .await
            .query(&all, &[])
            .await
            .unwrap(),
    );
    assert_eq!(source.len(), 2, "{source:?}");
    let copied = connect(&cluster, "copy").await;
    let copied_rows = listed(copied.query(&all, &[]).await.unwrap());
    assert_eq!(copied_rows, source);

    ok(&pgsnap(&[
        "restore",
        "-d",
        &cluster.conninfo("unlabelled"),
        "--create",
        "--no-security-labels",
        path_str(&file),
    ]));
    let bare = connect(&cluster, "unlabelled").await;
    let left = bare
        .query_one(
            &format!(
                "SELECT count(*), string_agg(objtype || ' ' || objname, ', ') \
                 FROM pg_seclabels WHERE {this_db}"
            ),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        left.get::<_, i64>(0),
        0,
        "{:?}",
        left.get::<_, Option<String>>(1)
    );
    drop((admin, copied, bare));

    // A server without the provider: the restore fails and says what to do.
    cluster
        .reconfigure("shared_preload_libraries = ''", None)
        .expect("restart without the label provider");
    let out = pgsnap(&[
        "restore",
        "-d",
        &cluster.conninfo("noprovider"),
        "--create",
        path_str(&file),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains("is not loaded") && err.contains("--no-security-labels"),
        "{err}"
    );
    cluster.stop();
}
