//! Test support: one throwaway cluster shared by the tests that run at the same
//! time (stopped when the last of them finishes), a database per test, and a
//! runner for the real `pgsnap` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

pub use pgsnap::cluster::corpus::for_major;
use pgsnap::cluster::{compare, find_bindir, Cluster};
use tokio_postgres::Client;

static CLUSTER: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
static DB_COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

pub const CORPUS: &str = include_str!("../corpus/app.sql");
pub const FIDELITY: &str = include_str!("../corpus/fidelity.sql");

/// Roles that `tests/corpus/fidelity.sql` grants to (roles are per cluster).
const ROLES: &str = "CREATE ROLE regress_owner; CREATE ROLE regress_reader; \
    CREATE ROLE regress_writer; CREATE ROLE \"regress Odd \"\"Role\"\"\";";

/// The shared cluster; started on first use. Fails loudly without PostgreSQL.
pub fn cluster() -> Arc<Cluster> {
    let mut slot = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = slot.upgrade() {
        return c;
    }
    let c = Arc::new(private_cluster());
    let psql = c
        .run_tool(
            "psql",
            &[
                "-X".as_ref(),
                "-v".as_ref(),
                "ON_ERROR_STOP=1".as_ref(),
                "-d".as_ref(),
                c.conninfo("postgres").as_ref(),
                "-c".as_ref(),
                ROLES.as_ref(),
            ],
        )
        .unwrap_or_else(|e| panic!("creating the test roles: {e}"));
    assert!(psql.status.success(), "creating the test roles: {psql:?}");
    let version = c
        .run_tool("postgres", &["--version".as_ref()])
        .unwrap_or_else(|e| panic!("postgres --version: {e}"));
    let version = String::from_utf8_lossy(&version.stdout);
    let major = version
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.split('.').next())
        .unwrap_or_else(|| panic!("postgres --version said {version:?}"));
    record(&format!("server {major}"));
    *slot = Arc::downgrade(&c);
    c
}

/// Appends `line` to the file `PGSNAP_TEST_MATRIX` names, if it is set: what
/// the tests ran against, from which `.ci/version_matrix.py` makes the
/// README's table of tested versions.
pub fn record(line: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("PGSNAP_TEST_MATRIX") else {
        return;
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", Path::new(&path).display()));
    writeln!(f, "{line}").unwrap();
}

/// A cluster of its own, for a test that reconfigures or restarts the server.
/// Fails loudly without PostgreSQL.
pub fn private_cluster() -> Cluster {
    let explicit = std::env::var_os("PGSNAP_PG_BINDIR").map(PathBuf::from);
    let bindir = find_bindir(explicit.as_deref())
        .unwrap_or_else(|e| panic!("the integration tests need PostgreSQL server binaries: {e}"));
    Cluster::start(&bindir).unwrap_or_else(|e| panic!("{e}"))
}

/// A database of its own for one test, dropped at the end.
pub struct TestDb {
    pub cluster: Arc<Cluster>,
    pub name: String,
}

impl TestDb {
    pub async fn new(prefix: &str) -> TestDb {
        let cluster = cluster();
        let n = DB_COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("{prefix}_{}_{n}", std::process::id());
        let admin = connect(&cluster, "postgres").await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        TestDb { cluster, name }
    }

    /// Another (not yet existing) database name on the same cluster, dropped with this one.
    pub fn sibling(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.name)
    }

    pub fn conninfo(&self) -> String {
        self.cluster.conninfo(&self.name)
    }

    pub async fn client(&self) -> Client {
        connect(&self.cluster, &self.name).await
    }

    /// The server's major version (13, 14, ...).
    pub async fn major(&self) -> u32 {
        server_major(&self.client().await).await
    }

    /// Loads [`CORPUS`] as this server's version takes it (see [`for_major`]).
    pub async fn load_corpus(&self) {
        self.exec(&for_major(CORPUS, self.major().await)).await;
    }

    /// Loads [`FIDELITY`] as this server's version takes it. On a server
    /// built without ICU (such as the packaged builds the version runs use)
    /// its one ICU collation, which cannot exist there, becomes a libc one.
    /// (The corpus loads as one implicit transaction, so a failed first try
    /// leaves nothing behind.)
    pub async fn load_fidelity(&self) {
        let sql = for_major(FIDELITY, self.major().await);
        let Err(e) = self.client().await.batch_execute(&sql).await else {
            return;
        };
        let text = pgsnap::pg::error_text(&e);
        assert!(text.contains("ICU is not supported"), "SQL failed: {text}");
        let icu_collation = "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)";
        assert!(sql.contains(icu_collation));
        self.exec(&sql.replace(icu_collation, "(provider = libc, locale = 'C')"))
            .await;
    }

    pub async fn exec(&self, sql: &str) {
        self.client()
            .await
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("SQL failed: {}", pgsnap::pg::error_text(&e)));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let cluster = Arc::clone(&self.cluster);
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let c = cluster
                    .params("postgres")
                    .connect("pgsnap tests")
                    .await
                    .ok()?;
                let rows = c
                    .query(
                        "SELECT datname::text FROM pg_database \
                         WHERE datname = $1 OR starts_with(datname, $1 || '_')",
                        &[&name],
                    )
                    .await
                    .ok()?;
                for r in rows {
                    let db: String = r.get(0);
                    let _ = c
                        .batch_execute(&format!("DROP DATABASE \"{db}\" WITH (FORCE)"))
                        .await;
                }
                Some(())
            })
        })
        .join();
    }
}

/// The major version of the server `client` is connected to.
pub async fn server_major(client: &Client) -> u32 {
    let n: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int4", &[])
        .await
        .unwrap()
        .get(0);
    n as u32 / 10_000
}

pub async fn connect(cluster: &Cluster, db: &str) -> Client {
    cluster
        .params(db)
        .connect("pgsnap tests")
        .await
        .unwrap_or_else(|e| panic!("connect to {db}: {e}"))
}

/// Runs the pgsnap binary with a clean PG* environment.
pub fn pgsnap(args: &[&str]) -> Output {
    pgsnap_env(args, &[])
}

pub fn pgsnap_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    pgsnap_command(args, env).output().expect("run pgsnap")
}

/// The pgsnap binary with a clean PG* environment plus `env`.
fn pgsnap_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgsnap"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") || k.starts_with("POSTGRES_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args).envs(env.iter().copied());
    cmd
}

/// Starts pgsnap (clean PG* environment) with its stderr captured, for a
/// test that acts on the server while it runs.
pub fn spawn_pgsnap(args: &[&str]) -> std::process::Child {
    pgsnap_command(args, &[])
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pgsnap")
}

/// Starts pgsnap as [`pgsnap_env`] would, waits until `started` says it is
/// far enough (it must still be running), sends it SIGINT and returns its
/// output. `what` names the awaited state in the failure message.
pub async fn interrupt_pgsnap(
    args: &[&str],
    env: &[(&str, &str)],
    what: &str,
    started: impl AsyncFn(u32) -> bool,
) -> Output {
    let mut child = pgsnap_command(args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pgsnap");
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started(pid).await {
        assert!(Instant::now() < deadline, "{what} never happened");
        assert!(
            child.try_wait().unwrap().is_none(),
            "pgsnap ended before {what}, so it could not be interrupted"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let kill = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    child.wait_with_output().unwrap()
}

/// A TCP port on 127.0.0.1 that nothing listens on (now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs openssl in `dir`, which must succeed.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is needed for the TLS tests");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts that pgsnap exited with `code` and said `needle` on stderr.
pub fn fails_with(o: &Output, code: i32, needle: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{e}");
    assert!(e.contains(needle), "{e}");
}

/// Asserts success, showing pgsnap's stderr otherwise.
pub fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "pgsnap failed ({}):\n{}",
        o.status,
        stderr(o)
    );
}

/// A scratch directory for archives, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let n = DB_COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("pgsnap-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("scratch dir");
        Scratch(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Asserts that database `b` is an exact copy of `a`: identical `pg_dump
/// --schema-only` output and equal rows in every table.
pub async fn assert_same(cluster: &Cluster, a: &str, b: &str) {
    let sa = compare::schema_dump(cluster, a).expect("pg_dump source");
    let sb = compare::schema_dump(cluster, b).expect("pg_dump restored");
    let diffs = compare::line_differences(&sa, &sb);
    assert!(
        diffs.is_empty(),
        "schema differs ({} lines):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    let da = compare::table_digests(&connect(cluster, a).await)
        .await
        .expect("digest a");
    let db = compare::table_digests(&connect(cluster, b).await)
        .await
        .expect("digest b");
    let data = compare::data_differences(&da, &db);
    assert!(data.is_empty(), "data differs:\n{}", data.join("\n"));
    assert!(!da.is_empty());
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// After a failed backup to a file: no archive, only the run's `failed` record.
pub fn assert_only_failed_record(dir: &Scratch) {
    let files = dir.files();
    assert!(
        files.len() == 1 && files[0].ends_with(".pgsnap.json"),
        "left behind: {files:?}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path(&files[0])).unwrap()).unwrap();
    assert_eq!(v["status"], "failed", "{v}");
    assert!(v["error"].is_string(), "{v}");
    assert!(
        v.get("archive").is_none() && v.get("sha256").is_none(),
        "{v}"
    );
}

/// An empty directory `name` in `scratch` that the server (the `postgres`
/// OS user) owns, for a tablespace.
pub fn tablespace_dir(scratch: &Scratch, name: &str) -> PathBuf {
    let dir = scratch.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new("chown")
        .args(["postgres:", path_str(&dir)])
        .status()
        .unwrap();
    assert!(status.success(), "chown {}", dir.display());
    dir
}

/// `pgsnap backup -d SRC -f FILE EXTRA...`, which must succeed.
pub fn backup_ok(src: &TestDb, file: &Path, extra: &[&str]) {
    backup_conn_ok(&src.conninfo(), file, extra);
}

/// Backs up the database `conninfo` names into FILE (plus EXTRA), which must
/// succeed.
pub fn backup_conn_ok(conninfo: &str, file: &Path, extra: &[&str]) {
    let mut args = vec!["backup", "-d", conninfo, "-f", path_str(file)];
    args.extend(extra);
    ok(&pgsnap(&args));
}

/// Restores FILE into a new database `src.sibling(suffix)` (`--create`, plus
/// EXTRA), which must succeed; returns the new database's name.
pub fn restore_copy(src: &TestDb, file: &Path, suffix: &str, extra: &[&str]) -> String {
    let target = src.sibling(suffix);
    let conn = src.cluster.conninfo(&target);
    let mut args = vec!["restore", "-d", conn.as_str(), "--create"];
    args.extend(extra);
    args.push(path_str(file));
    ok(&pgsnap(&args));
    target
}

/// A CA (`CA.crt`, `CA.key`) and a server certificate for localhost /
/// 127.0.0.1 signed by it (`server.crt`, `server.key`), in `dir`.
pub fn make_certs(dir: &Path, ca: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.crt"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={ca}"),
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

/// A TCP proxy on loopback in front of a cluster's port, whose connections
/// can be cut at once, as a network failure would (both directions shut, no
/// message from the server).
pub struct Proxy {
    pub port: u16,
    conns: Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
    passed: Arc<std::sync::atomic::AtomicU64>,
}

impl Proxy {
    pub fn start(target_port: u16) -> Proxy {
        use std::net::{Shutdown, TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let conns: Arc<std::sync::Mutex<Vec<TcpStream>>> = Arc::default();
        let down = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (c, d) = (Arc::clone(&conns), Arc::clone(&down));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                {
                    let mut all = c.lock().unwrap();
                    all.push(client.try_clone().unwrap());
                    all.push(server.try_clone().unwrap());
                }
                let pipe = |mut from: TcpStream,
                            mut to: TcpStream,
                            count: Arc<std::sync::atomic::AtomicU64>| {
                    std::thread::spawn(move || {
                        let mut buf = vec![0u8; 64 << 10];
                        loop {
                            let n = match std::io::Read::read(&mut from, &mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if std::io::Write::write_all(&mut to, &buf[..n]).is_err() {
                                break;
                            }
                            count.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                        }
                        let _ = to.shutdown(Shutdown::Both);
                        let _ = from.shutdown(Shutdown::Both);
                    });
                };
                pipe(
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    Arc::clone(&d),
                );
                pipe(server, client, Arc::clone(&d));
            }
        });
        Proxy {
            port,
            conns,
            passed: down,
        }
    }

    /// Bytes passed through the proxy so far, both directions.
    pub fn bytes(&self) -> u64 {
        self.passed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Drops every connection through the proxy.
    pub fn cut(&self) {
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Waits (up to 60 s) until more than `bytes` passed, then cuts.
    pub async fn cut_after(&self, bytes: u64, child: &mut std::process::Child) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.bytes() <= bytes {
            assert!(
                child.try_wait().unwrap().is_none(),
                "pgsnap ended before {bytes} bytes passed the proxy"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "proxy saw too little traffic"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.cut();
    }
}
