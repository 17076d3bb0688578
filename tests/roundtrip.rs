//! Backup → verify → list → restore → compare, on the corpus and on edge cases.

use crate::support::*;
use pgsnap::cluster::compare;

/// Backs up the corpus (the fidelity one when `fidelity`), restores it, and
/// compares.
async fn roundtrip_corpus(fidelity: bool, jobs: &str) {
    let src = TestDb::new("rt_src").await;
    if fidelity {
        src.load_fidelity().await;
    } else {
        src.load_corpus().await;
    }
    let dir = Scratch::new("rt");
    let file = dir.path("corpus.pgsnap");
    backup_ok(&src, &file, &["-j", jobs]);

    let v = pgsnap(&["verify", path_str(&file)]);
    ok(&v);
    assert!(String::from_utf8_lossy(&v.stdout).contains("OK"));

    let l = pgsnap(&["list", path_str(&file)]);
    ok(&l);
    let listing = String::from_utf8_lossy(&l.stdout);
    assert!(listing.contains("TABLE DATA"), "{listing}");
    assert!(
        listing.contains("pre-data") && listing.contains("post-data"),
        "{listing}"
    );

    let target = src.sibling("restored");
    let conn = src.cluster.conninfo(&target);
    ok(&pgsnap(&[
        "restore",
        "-d",
        &conn,
        "--create",
        "-j",
        jobs,
        path_str(&file),
    ]));
    assert_same(&src.cluster, &src.name, &target).await;
}

#[tokio::test]
async fn corpus_round_trips_exactly_j1() {
    roundtrip_corpus(false, "1").await;
}

#[tokio::test]
async fn corpus_round_trips_exactly_j4() {
    roundtrip_corpus(false, "4").await;
}

#[tokio::test]
async fn fidelity_corpus_round_trips_exactly_j1() {
    roundtrip_corpus(true, "1").await;
}

#[tokio::test]
async fn fidelity_corpus_round_trips_exactly_j4() {
    roundtrip_corpus(true, "4").await;
}

#[tokio::test]
async fn list_json_names_every_entry_and_stream() {
    let src = TestDb::new("listjson").await;
    src.exec(
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 1000) i;
         CREATE VIEW v AS SELECT id FROM t WHERE id > 10;",
    )
    .await;
    let dir = Scratch::new("listjson");
    let file = dir.path("a.pgsnap");
    backup_ok(&src, &file, &[]);
    let out = pgsnap(&["list", "--json", path_str(&file)]);
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list --json is JSON");
    let kinds: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["TABLE", "VIEW", "TABLE DATA", "CONSTRAINT"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let streams = v["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0]["rows"], 1000);
    assert_eq!(streams[0]["table"], "public.t");
}

#[tokio::test]
async fn stdout_archive_restores() {
    let src = TestDb::new("stdout").await;
    src.exec(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE t (id bigserial PRIMARY KEY, m mood, ms mood[], b bytea, big text);
         INSERT INTO t (m, ms, b, big) SELECT 'ok', ARRAY['sad','happy']::mood[], '\\x00ff', repeat('x', 100000) FROM generate_series(1, 50);",
    )
    .await;
    let dir = Scratch::new("stdout");
    let file = dir.path("piped.pgsnap");
    let out = pgsnap(&[
        "backup",
        "-d",
        &src.conninfo(),
        "-f",
        "-",
        "--chunk-kib",
        "64",
    ]);
    ok(&out);
    std::fs::write(&file, &out.stdout).unwrap();
    ok(&pgsnap(&["verify", path_str(&file)]));
    let target = restore_copy(&src, &file, "copy", &[]);
    assert_same(&src.cluster, &src.name, &target).await;
}

#[tokio::test]
async fn restore_refuses_non_empty_target_unless_clean() {
    let src = TestDb::new("clean").await;
    src.exec(
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b');",
    )
    .await;
    let dir = Scratch::new("clean");
    let file = dir.path("a.pgsnap");
    backup_ok(&src, &file, &[]);

    // Restoring over the source itself: refused, nothing touched.
    let out = pgsnap(&["restore", "-d", &src.conninfo(), path_str(&file)]);
    fails_with(&out, 1, "not empty");
    assert!(stderr(&out).contains("--clean"), "{}", stderr(&out));

    // Change the data, then --clean brings back the archived state.
    src.exec("INSERT INTO t VALUES (3, 'c'); UPDATE t SET v = 'z' WHERE id = 1;")
        .await;
    ok(&pgsnap(&[
        "restore",
        "-d",
        &src.conninfo(),
        "--clean",
        path_str(&file),
    ]));
    let rows = src
        .client()
        .await
        .query("SELECT id, v FROM t ORDER BY id", &[])
        .await
        .unwrap();
    let got: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, vec![(1, "a".to_string()), (2, "b".to_string())]);
}

#[tokio::test]
async fn named_backups_go_to_dir_with_timestamp_and_private_mode() {
    use std::os::unix::fs::PermissionsExt;
    let src = TestDb::new("named").await;
    src.exec("CREATE TABLE t AS SELECT generate_series(1, 10) AS i;")
        .await;
    let dir = Scratch::new("named");
    let backups = dir.path("nightly");
    ok(&pgsnap(&[
        "backup",
        "-d",
        &src.conninfo(),
        "--dir",
        path_str(&backups),
        "--name",
        "shop",
    ]));
    let files: Vec<_> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pgsnap"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mut meta = files[0].clone().into_os_string();
    meta.push(".json");
    assert!(
        std::path::Path::new(&meta).is_file(),
        "no metadata beside the archive"
    );
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("shop_")
            && name.ends_with(".pgsnap")
            && name.len() == "shop_20260101_000000.pgsnap".len(),
        "{name}"
    );
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(&backups).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        dir_mode, 0o700,
        "a backup directory pgsnap creates is private"
    );
}

#[tokio::test]
async fn environment_variables_supply_the_connection() {
    let src = TestDb::new("envconn").await;
    src.exec("CREATE TABLE t AS SELECT generate_series(1, 10) AS i;")
        .await;
    let dir = Scratch::new("env");
    let file = dir.path("e.pgsnap");
    let port = src.cluster.port().to_string();
    let host = path_str(src.cluster.socket_dir()).to_string();
    ok(&pgsnap_env(
        &["backup", "-f", path_str(&file)],
        &[
            ("POSTGRES_HOST", &host),
            ("PGPORT", &port),
            ("POSTGRES_USER", "postgres"),
            ("PGDATABASE", &src.name),
        ],
    ));
    let l = pgsnap(&["list", "--json", path_str(&file)]);
    ok(&l);
    let v: serde_json::Value = serde_json::from_slice(&l.stdout).unwrap();
    assert_eq!(v["database"], src.name.as_str());
}

#[tokio::test]
async fn mutual_foreign_keys_and_many_indexes_restore_in_parallel() {
    let src = TestDb::new("mutual").await;
    let mut sql = String::new();
    for i in 0..6 {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id int PRIMARY KEY, other int, v text);
             INSERT INTO t{i} SELECT g, g, md5(g::text) FROM generate_series(1, 2000) g;
             CREATE INDEX t{i}_v ON t{i} (v); CREATE UNIQUE INDEX t{i}_ov ON t{i} (other, v);"
        ));
    }
    for i in 0..6 {
        for j in 0..6 {
            if i != j {
                sql.push_str(&format!(
                    "ALTER TABLE t{i} ADD CONSTRAINT t{i}_to_t{j} FOREIGN KEY (other) REFERENCES t{j} (id);"
                ));
            }
        }
    }
    src.exec(&sql).await;
    let dir = Scratch::new("mutual");
    let file = dir.path("m.pgsnap");
    backup_ok(&src, &file, &["-j", "4"]);
    let target = restore_copy(&src, &file, "restored", &["-j", "4"]);
    assert_same(&src.cluster, &src.name, &target).await;
}

#[tokio::test]
async fn big_table_split_into_ctid_ranges_round_trips() {
    let src = TestDb::new("split").await;
    src.exec(
        "CREATE TABLE big (id bigint PRIMARY KEY, v text, d timestamptz DEFAULT now());
         INSERT INTO big (id, v) SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 60000) i;
         DELETE FROM big WHERE id % 7 = 0;
         CREATE INDEX big_v ON big (v);
         CREATE TABLE child (id int REFERENCES big, n int);
         INSERT INTO child SELECT i, i FROM generate_series(1, 1000) i WHERE i % 7 <> 0;",
    )
    .await;
    let dir = Scratch::new("split");
    let file = dir.path("s.pgsnap");
    backup_ok(&src, &file, &["-j", "3", "--split-mib", "2"]);
    let out = pgsnap(&["list", "--json", path_str(&file)]);
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let parts: Vec<&serde_json::Value> = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["table"] == "public.big")
        .collect();
    if src.major().await >= 14 {
        assert!(
            parts.len() >= 4,
            "expected several ranges, got {}",
            parts.len()
        );
    } else {
        // No TID range scans before 14: a range would be a full scan.
        assert_eq!(parts.len(), 1, "ranges on a server without TID range scans");
    }
    let rows: u64 = parts.iter().map(|s| s["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, 60000 - 60000 / 7);
    ok(&pgsnap(&["verify", path_str(&file)]));
    let target = restore_copy(
        &src,
        &file,
        "restored",
        &["-j", "3", "--set", "maintenance_work_mem=64MB"],
    );
    assert_same(&src.cluster, &src.name, &target).await;

    let out = pgsnap(&[
        "restore",
        "-d",
        &src.cluster.conninfo(&src.sibling("x")),
        "--create",
        "--set",
        "nonsense",
        path_str(&file),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[tokio::test]
async fn large_single_stream_tables_load_frozen() {
    let src = TestDb::new("freeze").await;
    src.exec(
        "CREATE TABLE wide (id int PRIMARY KEY, v text);
         INSERT INTO wide SELECT i, repeat(md5(i::text), 3) FROM generate_series(1, 100000) i;
         CREATE TABLE small (id int);
         INSERT INTO small VALUES (1), (2);",
    )
    .await;
    let dir = Scratch::new("freeze");
    let file = dir.path("f.pgsnap");
    backup_ok(&src, &file, &[]);
    let target = restore_copy(&src, &file, "restored", &["-j", "2"]);
    assert_same(&src.cluster, &src.name, &target).await;
    let c = connect(&src.cluster, &target).await;
    // Frozen tuples have both HEAP_XMIN_COMMITTED and HEAP_XMIN_INVALID set
    // (on 14+ COPY FREEZE also sets the visibility map, but not on 13).
    c.batch_execute("CREATE EXTENSION pageinspect")
        .await
        .unwrap();
    let frozen = |table: &str| {
        format!(
            "SELECT count(*) FILTER (WHERE t_infomask & 768 = 768) \
             FROM heap_page_items(get_raw_page('{table}', 0))"
        )
    };
    let row = c
        .query_one(
            &format!("SELECT ({}), ({})", frozen("wide"), frozen("small")),
            &[],
        )
        .await
        .unwrap();
    let (wide, small): (i64, i64) = (row.get(0), row.get(1));
    assert!(wide > 0, "the large table was not loaded with COPY FREEZE");
    assert_eq!(small, 0, "small tables are not truncated and frozen");
}

#[tokio::test]
async fn subscriptions_are_dumped_or_named_as_not_backed_up() {
    // Subscriptions are dumped for a role that may read their connection
    // strings (a superuser); a backup by another role names them instead.
    let src = TestDb::new("unsupported").await;
    let role = format!("unsup_{}", src.name);
    src.exec(&format!(
        "CREATE ROLE {role} LOGIN; CREATE TABLE t (a int); ALTER TABLE t OWNER TO {role}; \
         CREATE SUBSCRIPTION pgsnap_test_sub CONNECTION 'dbname=nowhere' PUBLICATION p \
           WITH (connect = false, enabled = false, slot_name = NONE);"
    ))
    .await;
    let dir = Scratch::new("unsupported");
    let conn = format!("{} user={role}", src.conninfo());
    let out = pgsnap(&[
        "backup",
        "-d",
        &conn,
        "--dir",
        path_str(&dir.path("")),
        "--name",
        "u",
    ]);
    let other = Scratch::new("unsupported_full");
    let full = other.path("full.pgsnap");
    let by_superuser = pgsnap(&["backup", "-d", &src.conninfo(), "-f", path_str(&full)]);
    ok(&out);
    let err = stderr(&out);
    assert!(err.contains("does not back up 1 object(s)"), "{err}");
    assert!(err.contains("subscription pgsnap_test_sub"), "{err}");
    let meta = dir
        .files()
        .into_iter()
        .find(|f| f.ends_with(".pgsnap.json"))
        .expect("metadata");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path(&meta)).unwrap()).unwrap();
    assert_eq!(
        m["not_backed_up"],
        serde_json::json!(["subscription pgsnap_test_sub"]),
        "{m}"
    );
    // The superuser's backup holds it, disconnected, with its options.
    ok(&by_superuser);
    assert!(!stderr(&by_superuser).contains("does not back up"));
    let target = src.sibling("sub");
    ok(&pgsnap(&[
        "restore",
        "-d",
        &src.cluster.conninfo(&target),
        "--create",
        path_str(&full),
    ]));
    let copy = connect(&src.cluster, &target).await;
    let row = copy
        .query_one(
            "SELECT subconninfo || ' ' || array_to_string(subpublications, ',') || ' ' || subenabled \
             || ' ' || coalesce(subslotname::text, 'none') FROM pg_subscription \
             WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "dbname=nowhere p false none");
    copy.batch_execute("DROP SUBSCRIPTION pgsnap_test_sub")
        .await
        .unwrap();
    drop(copy);
    let admin = connect(&src.cluster, "postgres").await;
    admin
        .batch_execute(&format!("DROP DATABASE {target} WITH (FORCE)"))
        .await
        .unwrap();
    src.exec(&format!(
        "DROP SUBSCRIPTION pgsnap_test_sub; DROP TABLE t; DROP ROLE {role};"
    ))
    .await;
}

/// The database-level properties of `db`, in a comparable form.
async fn database_properties(src: &TestDb, db: &str) -> Vec<String> {
    let c = connect(&src.cluster, "postgres").await;
    let sql = "SELECT pg_get_userbyid(d.datdba)::text, coalesce(shobj_description(d.oid, 'pg_database'), ''), \
               coalesce(d.datacl::text, ''), d.datconnlimit::text, \
               coalesce((SELECT string_agg(coalesce(pg_get_userbyid(s.setrole)::text, '') || ':' || \
                 array_to_string(s.setconfig, ','), ';' ORDER BY s.setrole) \
                 FROM pg_db_role_setting s WHERE s.setdatabase = d.oid), '') \
               FROM pg_database d WHERE d.datname = $1";
    let r = c.query_one(sql, &[&db]).await.unwrap();
    (0..5)
        .map(|i| r.get::<_, String>(i).replace(db, "DB"))
        .collect()
}

#[tokio::test]
async fn database_settings_owner_comment_and_privileges_restore_with_create() {
    let src = TestDb::new("dbprops").await;
    let name = &src.name;
    src.exec(&format!(
        "CREATE TABLE t (a int); \
         ALTER DATABASE {name} SET work_mem = '12MB'; \
         ALTER DATABASE {name} SET search_path = \"$user\", public, \"odd %s\"; \
         ALTER DATABASE {name} SET application_name = 'app %p 100%'; \
         ALTER ROLE regress_reader IN DATABASE {name} SET statement_timeout = '5s'; \
         ALTER DATABASE {name} CONNECTION LIMIT 42; \
         COMMENT ON DATABASE {name} IS 'the app''s database'; \
         REVOKE CONNECT, TEMPORARY ON DATABASE {name} FROM PUBLIC; \
         GRANT CONNECT ON DATABASE {name} TO regress_reader; \
         ALTER DATABASE {name} OWNER TO regress_owner;"
    ))
    .await;
    let before = database_properties(&src, name).await;
    assert!(before[4].contains("work_mem=12MB"), "{before:?}");
    let dir = Scratch::new("dbprops");
    let file = dir.path("db.pgsnap");
    backup_ok(&src, &file, &[]);
    let copy = restore_copy(&src, &file, "copy", &["-j", "2"]);
    assert_eq!(database_properties(&src, &copy).await, before);

    // Into a database the restore did not create: the properties stay as they were.
    let admin = connect(&src.cluster, "postgres").await;
    let plain = src.sibling("plain");
    admin
        .batch_execute(&format!("CREATE DATABASE {plain}"))
        .await
        .unwrap();
    let untouched = database_properties(&src, &plain).await;
    ok(&pgsnap(&[
        "restore",
        "-d",
        &src.cluster.conninfo(&plain),
        path_str(&file),
    ]));
    assert_eq!(database_properties(&src, &plain).await, untouched);
    for db in [&copy, &plain] {
        admin
            .batch_execute(&format!("DROP DATABASE {db}"))
            .await
            .unwrap();
    }
}

/// Every large object of `db`: oid, owner, privileges, comment, size, digest.
#[tokio::test]
async fn database_locale_provider_restores_with_create() {
    // A database's locale provider is fixed by CREATE DATABASE, so --create
    // must name it: ICU where the server has it, else the builtin provider
    // (17+). Before 15 there is only libc.
    let src = TestDb::new("locale").await;
    let major = src.major().await;
    let admin = connect(&src.cluster, "postgres").await;
    let db = src.sibling("prov");
    let create = |provider: &str| {
        format!(
            "CREATE DATABASE {db} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' \
             LC_CTYPE 'C' {provider}"
        )
    };
    if major < 15 {
        return;
    }
    let icu = admin
        .batch_execute(&create("LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'"))
        .await;
    match icu {
        Ok(()) => {}
        // A build without ICU (the packaged ones): the builtin provider.
        Err(_) if major >= 17 => admin
            .batch_execute(&create("LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8'"))
            .await
            .unwrap(),
        Err(_) => return,
    }
    let dir = Scratch::new("locale");
    let file = dir.path("l.pgsnap");
    backup_conn_ok(&src.cluster.conninfo(&db), &file, &[]);
    let copy = restore_copy(&src, &file, "prov_copy", &[]);
    let locale = |name: String| {
        let admin = &admin;
        async move {
            let r = admin
                .query_one(
                    "SELECT d.datlocprovider::text, COALESCE(j ->> 'datlocale', j ->> 'daticulocale'), \
                            d.datcollate::text, d.datctype::text \
                     FROM pg_catalog.pg_database d, pg_catalog.to_jsonb(d.*) j WHERE d.datname = $1",
                    &[&name],
                )
                .await
                .unwrap();
            (0..4)
                .map(|i| r.get::<_, Option<String>>(i))
                .collect::<Vec<_>>()
        }
    };
    let want = locale(db).await;
    assert_ne!(want[0].as_deref(), Some("c"), "{want:?}");
    assert_eq!(locale(copy).await, want);
}

async fn large_objects(src: &TestDb, db: &str) -> Vec<String> {
    let c = connect(&src.cluster, db).await;
    let sql = "SELECT m.oid::text || '|' || pg_get_userbyid(m.lomowner) || '|' || \
               coalesce(m.lomacl::text, '') || '|' || coalesce(obj_description(m.oid, 'pg_largeobject'), '') \
               || '|' || length(lo_get(m.oid)) || '|' || md5(lo_get(m.oid)) \
               FROM pg_largeobject_metadata m ORDER BY m.oid";
    c.query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn large_objects_round_trip_with_owner_privileges_and_comments() {
    let src = TestDb::new("lobs").await;
    src.exec(
        "CREATE TABLE docs (id int, body oid); \
         SELECT lo_from_bytea(424242, 'hello'); \
         SELECT lo_from_bytea(424243, ''); \
         SELECT lo_from_bytea(424244, decode(repeat(md5('x'), 80000), 'hex')); \
         INSERT INTO docs VALUES (1, 424242), (2, 424244); \
         ALTER LARGE OBJECT 424244 OWNER TO regress_owner; \
         GRANT SELECT ON LARGE OBJECT 424242 TO regress_reader; \
         COMMENT ON LARGE OBJECT 424243 IS 'an empty one';",
    )
    .await;
    let before = large_objects(&src, &src.name).await;
    assert_eq!(before.len(), 3);
    assert!(before[2].contains("|1280000|"), "{before:?}");
    let dir = Scratch::new("lobs");
    let file = dir.path("lo.pgsnap");
    backup_ok(&src, &file, &["-j", "2"]);
    let copy = restore_copy(&src, &file, "copy", &["-j", "3"]);
    assert_eq!(large_objects(&src, &copy).await, before);
    assert_same(&src.cluster, &src.name, &copy).await;

    let without = restore_copy(&src, &file, "nolo", &["--no-large-objects"]);
    assert!(large_objects(&src, &without).await.is_empty());
    let tables_only = restore_copy(&src, &file, "t", &["-t", "docs"]);
    assert!(large_objects(&src, &tables_only).await.is_empty());
    let with = restore_copy(&src, &file, "tb", &["-t", "docs", "--large-objects"]);
    assert_eq!(large_objects(&src, &with).await, before);
}

#[tokio::test]
async fn globals_bring_the_roles_to_another_cluster() {
    let src = TestDb::new("globals").await;
    let (owner, group) = (
        format!("glob_owner_{}", src.name),
        format!("glob group {}", src.name),
    );
    src.exec(&format!(
        "CREATE ROLE \"{group}\" NOLOGIN; \
         CREATE ROLE {owner} LOGIN CREATEDB CONNECTION LIMIT 5 PASSWORD 'pw-{owner}' IN ROLE \"{group}\"; \
         ALTER ROLE {owner} SET work_mem = '9MB'; \
         CREATE TABLE t (a int); ALTER TABLE t OWNER TO {owner}; \
         GRANT SELECT ON t TO \"{group}\"; INSERT INTO t VALUES (1);"
    ))
    .await;
    let dir = Scratch::new("globals");
    let file = dir.path("g.pgsnap");
    backup_ok(&src, &file, &["--globals", "--role-passwords"]);
    let listing = String::from_utf8_lossy(&pgsnap(&["list", path_str(&file)]).stdout).to_string();
    assert!(listing.contains("ROLE MEMBERSHIP"), "{listing}");

    let mut other = private_cluster();
    let conn = other.conninfo("copy");
    ok(&pgsnap(&[
        "restore",
        "-d",
        &conn,
        "--create",
        "--globals",
        path_str(&file),
    ]));
    let role_sql = format!(
        "SELECT r.rolname || ' ' || r.rolcanlogin || ' ' || r.rolcreatedb || ' ' || r.rolconnlimit || ' ' || \
         coalesce(a.rolpassword, '') || ' ' || coalesce(array_to_string(s.setconfig, ','), '') || ' ' || \
         (SELECT string_agg(g.rolname, ',') FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid \
          WHERE m.member = r.oid) \
         FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid \
         LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0 \
         WHERE r.rolname = '{owner}'"
    );
    let there = connect(&other, "copy").await;
    let here = src.client().await;
    let get = |rows: Vec<tokio_postgres::Row>| {
        rows.iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
    };
    let expected = get(here.query(&role_sql, &[]).await.unwrap());
    assert_eq!(expected.len(), 1, "{expected:?}");
    assert_eq!(get(there.query(&role_sql, &[]).await.unwrap()), expected);
    assert_eq!(
        compare::schema_dump(&other, "copy").unwrap(),
        compare::schema_dump(&src.cluster, &src.name).unwrap()
    );
    // A second restore finds the roles there and leaves them as they are.
    there
        .batch_execute(&format!("ALTER ROLE {owner} CONNECTION LIMIT 7"))
        .await
        .unwrap();
    let conn2 = other.conninfo("copy2");
    ok(&pgsnap(&[
        "restore",
        "-d",
        &conn2,
        "--create",
        "--globals",
        path_str(&file),
    ]));
    let limit = there
        .query_one(
            &format!("SELECT rolconnlimit FROM pg_roles WHERE rolname = '{owner}'"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(limit.get::<_, i32>(0), 7);
    drop(there);
    other.stop();
    src.exec(&format!(
        "DROP TABLE t; DROP ROLE {owner}; DROP ROLE \"{group}\";"
    ))
    .await;
}

#[tokio::test]
async fn objects_in_another_tablespace_stay_there() {
    let src = TestDb::new("tblspc").await;
    let location = Scratch::new("tblspc");
    let dir = tablespace_dir(&location, "space");
    let space = format!("space_{}", src.name);
    let admin = connect(&src.cluster, "postgres").await;
    admin
        .batch_execute(&format!(
            "CREATE TABLESPACE {space} LOCATION '{}'",
            path_str(&dir)
        ))
        .await
        .unwrap();
    src.exec(&format!(
        "CREATE TABLE t (a int PRIMARY KEY USING INDEX TABLESPACE {space}, b text) TABLESPACE {space}; \
         CREATE INDEX t_b ON t (b) TABLESPACE {space} WHERE b IS NOT NULL; \
         INSERT INTO t VALUES (1, 'x'); \
         CREATE MATERIALIZED VIEW mv TABLESPACE {space} AS SELECT a FROM t;"
    ))
    .await;
    let scratch = Scratch::new("tblspc_archive");
    let file = scratch.path("t.pgsnap");
    backup_ok(&src, &file, &[]);
    let copy = restore_copy(&src, &file, "copy", &["-j", "2"]);
    assert_same(&src.cluster, &src.name, &copy).await;
    for db in [copy.as_str(), src.name.as_str()] {
        admin
            .batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
            .await
            .unwrap();
    }
    admin
        .batch_execute(&format!("DROP TABLESPACE {space}"))
        .await
        .unwrap();
}

#[tokio::test]
async fn globals_create_a_missing_tablespace() {
    let src = TestDb::new("glob_space").await;
    let location = Scratch::new("glob_space");
    let dir = tablespace_dir(&location, "space");
    let space = format!("gspace_{}", src.name);
    let admin = connect(&src.cluster, "postgres").await;
    admin
        .batch_execute(&format!(
            "CREATE TABLESPACE {space} LOCATION '{}' WITH (random_page_cost = 2)",
            path_str(&dir)
        ))
        .await
        .unwrap();
    src.exec(&format!(
        "CREATE TABLE spaced (a int) TABLESPACE {space}; INSERT INTO spaced VALUES (1);"
    ))
    .await;
    let scratch = Scratch::new("glob_space_archive");
    let file = scratch.path("s.pgsnap");
    backup_ok(&src, &file, &["--globals"]);
    // Free the directory, as if the archive went to another host.
    src.exec("DROP TABLE spaced").await;
    admin
        .batch_execute(&format!("DROP TABLESPACE {space}"))
        .await
        .unwrap();

    let mut other = private_cluster();
    ok(&pgsnap(&[
        "restore",
        "-d",
        &other.conninfo("copy"),
        "--create",
        "--globals",
        path_str(&file),
    ]));
    let there = connect(&other, "copy").await;
    let row = there
        .query_one(
            "SELECT t.spcname || ' ' || pg_tablespace_location(t.oid) || ' ' || \
             array_to_string(t.spcoptions, ',') || ' ' || (SELECT count(*) FROM spaced) \
             FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE c.relname = 'spaced'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, String>(0),
        format!("{space} {} random_page_cost=2 1", path_str(&dir))
    );
    // Restored again, the tablespace is found and left alone.
    ok(&pgsnap(&[
        "restore",
        "-d",
        &other.conninfo("copy2"),
        "--create",
        "--globals",
        path_str(&file),
    ]));
    drop(there);
    other.stop();
}
