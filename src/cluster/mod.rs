//! Throwaway local PostgreSQL clusters for the demo and the integration tests:
//! find the server binaries, `initdb` into a private temporary directory, start
//! on a free loopback port with a private socket directory (as the `postgres`
//! OS user when we run as root), and stop and delete everything on drop.

pub mod compare;
pub mod corpus;

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::pg::{ConnArgs, ConnParams};

/// Why a cluster could not be found, started or used.
#[derive(Debug)]
pub struct ClusterError(String);

impl std::fmt::Display for ClusterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClusterError {}

fn err(msg: impl Into<String>) -> ClusterError {
    ClusterError(msg.into())
}

/// Finds a directory holding `initdb`, `pg_ctl` and `postgres`: the explicit
/// one, then `PATH`, then `pg_config --bindir`, then the newest
/// `/usr/lib/postgresql/*/bin`.
pub fn find_bindir(explicit: Option<&Path>) -> Result<PathBuf, ClusterError> {
    let has_server = |d: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    if let Some(d) = explicit {
        return if has_server(d) {
            Ok(d.to_path_buf())
        } else {
            Err(err(format!(
                "{} has no initdb, pg_ctl and postgres",
                d.display()
            )))
        };
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                    Some((v, e.path().join("bin")))
                })
                .collect()
        })
        .unwrap_or_default();
    versioned.sort();
    candidates.extend(versioned.into_iter().rev().map(|(_, p)| p));
    // Symlinks (say /usr/local/bin/initdb) lead to the real bin directory, where
    // PostgreSQL finds its share directory and where pg_dump lives.
    candidates
        .into_iter()
        .filter_map(|d| {
            let real = std::fs::canonicalize(d.join("initdb")).ok()?;
            real.parent().map(Path::to_path_buf)
        })
        .find(|d| has_server(d))
        .ok_or_else(|| {
            err(
                "no PostgreSQL server binaries found (initdb, pg_ctl, postgres): install the \
             PostgreSQL server package, put its bin directory on PATH, or set PGSNAP_PG_BINDIR",
            )
        })
}

/// A running throwaway cluster; stopped and deleted on drop.
pub struct Cluster {
    root: PathBuf,
    bindir: PathBuf,
    port: u16,
    owner: Option<(u32, u32)>,
    server_opts: String,
    running: bool,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Cluster {
    /// Creates and starts a new cluster with superuser `postgres` and trust auth.
    pub fn start(bindir: &Path) -> Result<Cluster, ClusterError> {
        let owner = if running_as_root() {
            Some(postgres_ids()?)
        } else {
            None
        };
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!("pgsnap-cluster-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root)
            .map_err(|e| err(format!("cannot create {}: {e}", root.display())))?;
        let mut cluster = Cluster {
            root,
            bindir: bindir.to_path_buf(),
            port: 0,
            owner,
            server_opts: String::new(),
            running: false,
        };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&cluster.root, Some(uid), Some(gid)).map_err(|e| {
                err(format!(
                    "cannot hand {} to postgres: {e}",
                    cluster.root.display()
                ))
            })?;
        }
        let data = cluster.root.join("data");
        cluster.run_tool(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        for _ in 0..5 {
            cluster.port = free_port()?;
            // No JIT: a throwaway cluster runs small queries, and a packaged
            // build may lack the LLVM library its JIT provider needs.
            let opts = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
                 -c full_page_writes=off -c max_connections=100 -c jit=off",
                cluster.port,
                cluster.root.display()
            );
            cluster.server_opts = opts;
            let res = cluster.pg_ctl_with_options("start");
            if res.is_ok() {
                cluster.running = true;
                return Ok(cluster);
            }
        }
        let log = std::fs::read_to_string(cluster.root.join("log")).unwrap_or_default();
        Err(err(format!("could not start a PostgreSQL server:\n{log}")))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The private socket directory (also the cluster's root).
    pub fn socket_dir(&self) -> &Path {
        &self.root
    }

    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// A conninfo string for database `db` as the superuser.
    pub fn conninfo(&self, db: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={db}",
            self.root.display(),
            self.port
        )
    }

    /// Resolved connection parameters for database `db`.
    pub fn params(&self, db: &str) -> ConnParams {
        ConnParams::resolve_with(
            &ConnArgs {
                dbname: Some(self.conninfo(db)),
                ..Default::default()
            },
            &|_| None,
        )
        .expect("cluster conninfo is valid")
    }

    /// Runs one of the cluster's binaries (as the cluster's owner) and returns its output.
    pub fn run_tool(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Result<Output, ClusterError> {
        let path = self.bindir.join(tool);
        let mut cmd = Command::new(&path);
        cmd.args(args).current_dir(&self.root);
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        let out = cmd
            .output()
            .map_err(|e| err(format!("cannot run {}: {e}", path.display())))?;
        if !out.status.success() {
            return Err(err(format!(
                "{tool} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(out)
    }

    /// Writes a file into the data directory, owned by the server's OS user, mode 0600.
    pub fn write_data_file(&self, name: &str, contents: &[u8]) -> Result<PathBuf, ClusterError> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.root.join("data").join(name);
        std::fs::write(&path, contents)
            .map_err(|e| err(format!("cannot write {}: {e}", path.display())))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| err(e.to_string()))?;
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid))
                .map_err(|e| err(e.to_string()))?;
        }
        Ok(path)
    }

    /// Appends `conf` to postgresql.conf, replaces pg_hba.conf with `hba` if
    /// given, and restarts the server.
    pub fn reconfigure(&mut self, conf: &str, hba: Option<&str>) -> Result<(), ClusterError> {
        let data = self.root.join("data");
        let mut current = std::fs::read_to_string(data.join("postgresql.conf"))
            .map_err(|e| err(e.to_string()))?;
        current.push('\n');
        current.push_str(conf);
        current.push('\n');
        std::fs::write(data.join("postgresql.conf"), current).map_err(|e| err(e.to_string()))?;
        if let Some(hba) = hba {
            std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| err(e.to_string()))?;
        }
        self.pg_ctl_with_options("restart")?;
        Ok(())
    }

    /// `pg_ctl start` or `restart` with the server options chosen at start.
    fn pg_ctl_with_options(&self, action: &str) -> Result<Output, ClusterError> {
        let data = self.root.join("data");
        let log = self.root.join("log");
        self.run_tool(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-o".as_ref(),
                self.server_opts.as_ref(),
                action.as_ref(),
            ],
        )
    }

    /// Stops the server (fast shutdown).
    pub fn stop(&mut self) {
        if self.running {
            let data = self.root.join("data");
            let _ = self.run_tool(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-m".as_ref(),
                    "fast".as_ref(),
                    "-w".as_ref(),
                    "stop".as_ref(),
                ],
            );
            self.running = false;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn postgres_ids() -> Result<(u32, u32), ClusterError> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 3 && f[0] == "postgres")
                .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
        })
        .ok_or_else(|| {
            err(
                "running as root, but there is no 'postgres' OS user to run the server as \
                 (PostgreSQL refuses to run as root): create one, or run as an ordinary user",
            )
        })
}

fn free_port() -> Result<u16, ClusterError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| err(format!("no free port: {e}")))?;
    let port = l.local_addr().map_err(|e| err(e.to_string()))?.port();
    if port == 5432 {
        return free_port();
    }
    Ok(port)
}
