//! Connection parameters, resolved the way pg_dump users expect.
//!
//! Precedence, highest first: the conninfo string or URI given as `-d`, the
//! `-h/-p/-U` flags, the libpq environment (`PGHOST`, `PGPORT`, `PGUSER`,
//! `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`,
//! `PGSSLKEY`), the container-style variables
//! (`POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_DB`, `POSTGRES_USER`,
//! `POSTGRES_PASSWORD`), the password file, then libpq's defaults. Passwords are
//! kept out of every `Display`/`Debug` rendering.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::conninfo::split_tls;
use super::error::{describe, PgError};
use super::pgpass;
use super::tap::{CopySink, RawSocket, Tap, TapTls};
use super::tls::TlsSettings;

/// What the user typed on the command line.
#[derive(Debug, Clone, Default)]
pub struct ConnArgs {
    /// `-d`: a database name, a `key=value` conninfo string or a `postgres://` URI.
    pub dbname: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// From `--password-file`; the conninfo's own password still wins.
    pub password: Option<String>,
}

/// Fully resolved connection parameters.
#[derive(Clone)]
pub struct ConnParams {
    config: Config,
    tls: TlsSettings,
}

impl fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

fn looks_like_conninfo(s: &str) -> bool {
    s.contains('=') || s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl ConnParams {
    /// Resolves parameters from the arguments and the process environment.
    pub fn resolve(args: &ConnArgs) -> Result<Self, PgError> {
        Self::resolve_with(args, &|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Like [`ConnParams::resolve`], reading variables through `env` (for tests).
    pub fn resolve_with(
        args: &ConnArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, PgError> {
        let either = |a: &str, b: &str| env(a).or_else(|| env(b));
        let mut tls_given: Vec<(String, String)> = Vec::new();
        let mut config = match args.dbname.as_deref() {
            Some(s) if looks_like_conninfo(s) => {
                let (rest, tls) = split_tls(s).map_err(|e| {
                    PgError::config(format!(
                        "invalid connection string given with -d/--dbname: {e}"
                    ))
                })?;
                tls_given = tls;
                Config::from_str(&rest).map_err(|e| {
                    PgError::config(format!(
                        "invalid connection string given with -d/--dbname: {e}; use key=value pairs \
                         (host=... dbname=...) or a postgresql://user@host:port/db URI"
                    ))
                })?
            }
            Some(name) => {
                let mut c = Config::new();
                c.dbname(name);
                c
            }
            None => Config::new(),
        };
        if config.get_hosts().is_empty() {
            match args
                .host
                .clone()
                .or_else(|| either("PGHOST", "POSTGRES_HOST"))
            {
                Some(h) => {
                    for part in h.split(',') {
                        config.host(part);
                    }
                }
                None => {
                    for dir in ["/var/run/postgresql", "/tmp"] {
                        if std::path::Path::new(dir).is_dir() {
                            config.host_path(dir);
                        }
                    }
                    config.host("localhost");
                }
            }
        }
        if config.get_ports().is_empty() {
            let port = match args.port {
                Some(p) => p,
                None => match either("PGPORT", "POSTGRES_PORT") {
                    Some(p) => p.parse().map_err(|_| {
                        PgError::config(format!("invalid port {p:?} in PGPORT/POSTGRES_PORT"))
                    })?,
                    None => 5432,
                },
            };
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = args
                .user
                .clone()
                .or_else(|| either("PGUSER", "POSTGRES_USER"))
                .or_else(|| env("USER"))
                .or_else(|| env("LOGNAME"))
                .ok_or_else(|| {
                    PgError::config("no user name given: use -U, PGUSER or POSTGRES_USER")
                })?;
            config.user(&user);
        }
        if config.get_dbname().is_none() {
            let db = either("PGDATABASE", "POSTGRES_DB")
                .unwrap_or_else(|| config.get_user().unwrap_or_default().to_string());
            config.dbname(&db);
        }
        if config.get_password().is_none() {
            if let Some(pw) = &args.password {
                config.password(pw);
            } else if let Some(pw) = either("PGPASSWORD", "POSTGRES_PASSWORD") {
                config.password(pw);
            } else if let Some(pw) = Self::pgpass_password(&config, env) {
                config.password(pw);
            }
        }
        let tls_value = |key: &str, var: &str| {
            tls_given
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .or_else(|| env(var))
        };
        let home = env("HOME").map(PathBuf::from);
        let tls = TlsSettings::resolve(
            tls_value("sslmode", "PGSSLMODE").as_deref(),
            tls_value("sslrootcert", "PGSSLROOTCERT").as_deref(),
            tls_value("sslcert", "PGSSLCERT").as_deref(),
            tls_value("sslkey", "PGSSLKEY").as_deref(),
            home.as_deref(),
        )?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        Ok(ConnParams { config, tls })
    }

    fn pgpass_password(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let path = env("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
        let host = match config.get_hosts().first()? {
            Host::Tcp(h) => h.clone(),
            Host::Unix(_) => "localhost".to_string(),
        };
        let port = *config.get_ports().first().unwrap_or(&5432);
        pgpass::lookup(
            &path,
            &host,
            port,
            config.get_dbname().unwrap_or_default(),
            config.get_user().unwrap_or_default(),
        )
    }

    /// The same server and credentials, another database.
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut config = self.config.clone();
        config.dbname(dbname);
        ConnParams {
            config,
            tls: self.tls.clone(),
        }
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }

    /// Whether a password is known (conninfo, flag, environment or password file).
    pub fn has_password(&self) -> bool {
        self.config.get_password().is_some()
    }

    /// Sets the password (one typed at a prompt).
    pub fn set_password(&mut self, password: &str) {
        self.config.password(password);
    }

    /// A password-free description such as `postgres@/tmp:5433/app`.
    pub fn describe(&self) -> String {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(s) => s.clone(),
                Host::Unix(p) => p.display().to_string(),
            })
            .collect();
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!(
            "{}@{}:{}/{}",
            self.user(),
            hosts.join(","),
            port,
            self.dbname()
        )
    }

    /// Opens a connection tagged with `application_name` and spawns its driver task.
    pub async fn connect(&self, application_name: &str) -> Result<Client, PgError> {
        Ok(self.connect_watched(application_name).await?.0)
    }

    /// Like [`ConnParams::connect`], also returning where the reason for an
    /// unexpected close (a FATAL from the server, say) will be recorded.
    pub async fn connect_watched(
        &self,
        application_name: &str,
    ) -> Result<(Client, CloseReason), PgError> {
        let mut config = self.config.clone();
        config.application_name(application_name);
        // As in libpq, sslmode does not apply to Unix-domain sockets.
        let all_unix = config
            .get_hosts()
            .iter()
            .all(|h| matches!(h, Host::Unix(_)));
        let tls = if all_unix {
            None
        } else {
            self.tls.client_config()?
        };
        let fail = |e: tokio_postgres::Error| PgError::connect(&self.describe(), &e);
        let reason = CloseReason::default();
        let client = match tls {
            None => {
                config.ssl_mode(SslMode::Disable);
                reason.watch(config.connect(NoTls).await.map_err(fail)?)
            }
            Some(tls) => {
                config.ssl_mode(self.tls_mode());
                reason.watch(
                    config
                        .connect(MakeRustlsConnect::new(tls))
                        .await
                        .map_err(fail)?,
                )
            }
        };
        Ok((client, reason))
    }
}

impl ConnParams {
    /// Like [`ConnParams::connect_watched`], with the COPY data this
    /// connection reads taken off the socket into `sink` (see [`super::tap`]).
    /// Hosts are tried in order as tokio-postgres tries them, and a host is
    /// taken once `ready` accepts its session: a backup worker's check is
    /// that the server has the leader's snapshot, which also finds the
    /// leader's server among several (`target_session_attrs`, load balancing).
    /// On a TCP host TLS is negotiated by tokio-postgres and tapped above the
    /// encryption.
    pub async fn connect_tapped(
        &self,
        application_name: &str,
        sink: &Arc<CopySink>,
        ready: impl AsyncFn(&Client) -> Result<(), PgError>,
    ) -> Result<(Client, CloseReason), PgError> {
        let mut config = self.config.clone();
        config.application_name(application_name);
        let hosts = config.get_hosts().to_vec();
        let addrs = config.get_hostaddrs().to_vec();
        let ports = config.get_ports().to_vec();
        // What the server said outranks not reaching one.
        let (mut refused, mut unreachable) = (None, None);
        for i in 0..hosts.len().max(addrs.len()) {
            let port = match ports.as_slice() {
                [one] => *one,
                many => many.get(i).copied().unwrap_or(5432),
            };
            let socket = match self
                .open_socket(&config, hosts.get(i), addrs.get(i), port)
                .await
            {
                Ok(s) => s,
                Err(e) => {
                    unreachable = Some(e);
                    continue;
                }
            };
            let reason = CloseReason::default();
            let tls = match (&socket, self.tls.client_config()?) {
                (RawSocket::Tcp(_), Some(tls)) => Some(tls),
                _ => None,
            };
            let connected = match tls {
                None => {
                    config.ssl_mode(SslMode::Disable);
                    config
                        .connect_raw(Tap::new(socket, Some(Arc::clone(sink))), NoTls)
                        .await
                        .map(|pair| reason.watch(pair))
                }
                Some(tls) => {
                    config.ssl_mode(self.tls_mode());
                    let name = match (hosts.get(i), addrs.get(i)) {
                        (Some(Host::Tcp(h)), _) => h.clone(),
                        (_, Some(ip)) => ip.to_string(),
                        _ => String::new(),
                    };
                    let connector = MakeTlsConnect::<Tap<RawSocket>>::make_tls_connect(
                        &mut MakeRustlsConnect::new(tls),
                        &name,
                    )
                    .map_err(|e| {
                        PgError::config(format!("invalid host name {name:?} for TLS: {e}"))
                    })?;
                    let tapped = TapTls {
                        inner: connector,
                        sink: Arc::clone(sink),
                    };
                    config
                        .connect_raw(Tap::new(socket, None), tapped)
                        .await
                        .map(|pair| reason.watch(pair))
                }
            };
            match connected {
                Ok(client) => match ready(&client).await {
                    Ok(()) => return Ok((client, reason)),
                    Err(e) => refused = Some(e),
                },
                Err(e) => refused = Some(PgError::connect(&self.describe(), &e)),
            }
        }
        Err(refused
            .or(unreachable)
            .unwrap_or_else(|| PgError::config("no host to connect to")))
    }

    /// The sslmode tokio-postgres is given when TLS is configured at all.
    fn tls_mode(&self) -> SslMode {
        if self.tls.mode.required() {
            SslMode::Require
        } else {
            SslMode::Prefer
        }
    }

    async fn open_socket(
        &self,
        config: &Config,
        host: Option<&Host>,
        addr: Option<&IpAddr>,
        port: u16,
    ) -> Result<RawSocket, PgError> {
        let timeout = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(30));
        let fail = |e: std::io::Error| PgError::connect_io(&self.describe(), &e);
        let timed_out =
            || std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out");
        if let (Some(Host::Unix(dir)), None) = (host, addr) {
            let path = dir.join(format!(".s.PGSQL.{port}"));
            let s = tokio::time::timeout(timeout, tokio::net::UnixStream::connect(path))
                .await
                .map_err(|_| fail(timed_out()))?
                .map_err(fail)?;
            return Ok(RawSocket::Unix(s));
        }
        let targets: Vec<SocketAddr> = match (addr, host) {
            (Some(ip), _) => vec![SocketAddr::new(*ip, port)],
            (None, Some(Host::Tcp(h))) => tokio::net::lookup_host((h.as_str(), port))
                .await
                .map_err(fail)?
                .collect(),
            _ => Vec::new(),
        };
        let mut last = timed_out();
        for target in targets {
            match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(target)).await {
                Ok(Ok(s)) => {
                    s.set_nodelay(true).map_err(fail)?;
                    if config.get_keepalives() {
                        let mut ka =
                            socket2::TcpKeepalive::new().with_time(config.get_keepalives_idle());
                        if let Some(i) = config.get_keepalives_interval() {
                            ka = ka.with_interval(i);
                        }
                        if let Some(r) = config.get_keepalives_retries() {
                            ka = ka.with_retries(r);
                        }
                        socket2::SockRef::from(&s)
                            .set_tcp_keepalive(&ka)
                            .map_err(fail)?;
                    }
                    return Ok(RawSocket::Tcp(s));
                }
                Ok(Err(e)) => last = e,
                Err(_) => last = timed_out(),
            }
        }
        Err(fail(last))
    }
}

/// Why a connection's driver stopped with an error, once it has.
#[derive(Debug, Clone, Default)]
pub struct CloseReason(Arc<Mutex<Option<String>>>);

impl CloseReason {
    /// Spawns the connection's driver, which records here why it stopped;
    /// returns the client.
    fn watch<F>(&self, (client, connection): (Client, F)) -> Client
    where
        F: std::future::Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
    {
        tokio::spawn(drive(connection, self.clone()));
        client
    }

    /// Describes `err`; when it only says the connection closed, waits briefly
    /// for the driver to record the server's reason and adds it.
    pub async fn describe(&self, err: &tokio_postgres::Error) -> String {
        let text = describe(err);
        if !err.is_closed() {
            return text;
        }
        let mut reason = None;
        for _ in 0..40 {
            reason = self.0.lock().expect("close reason lock").clone();
            if reason.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        match reason {
            // The server said why (FATAL: terminating connection due to administrator command, ...).
            Some(r) if r.starts_with("FATAL") || r.starts_with("PANIC") => format!("{text}: {r}"),
            other => format!(
                "{text}{} (the server ended the connection: an administrator terminated the \
                 session, the server restarted, or the network failed)",
                other.map(|r| format!(": {r}")).unwrap_or_default()
            ),
        }
    }
}

async fn drive<F>(connection: F, reason: CloseReason)
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>>,
{
    if let Err(e) = connection.await {
        tracing::debug!("connection closed: {e}");
        *reason.0.lock().expect("close reason lock") = Some(describe(&e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(args: ConnArgs, vars: &[(&str, &str)]) -> Result<ConnParams, PgError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ConnParams::resolve_with(&args, &|k| map.get(k).cloned())
    }

    #[test]
    fn uri_wins_over_flags_and_env() {
        let p = resolve(
            ConnArgs {
                dbname: Some("postgresql://alice:pw@db.example:6000/shop".into()),
                user: Some("bob".into()),
                ..Default::default()
            },
            &[("PGUSER", "carol"), ("PGPORT", "7000")],
        )
        .unwrap();
        assert_eq!(p.describe(), "alice@db.example:6000/shop");
        assert!(!format!("{p:?}").contains("pw"));
    }

    #[test]
    fn environment_fills_in_and_pg_vars_beat_postgres_vars() {
        let p = resolve(
            ConnArgs::default(),
            &[
                ("PGHOST", "h1"),
                ("POSTGRES_HOST", "h2"),
                ("POSTGRES_PORT", "6543"),
                ("POSTGRES_USER", "app"),
                ("POSTGRES_DB", "appdb"),
                ("POSTGRES_PASSWORD", "secret"),
            ],
        )
        .unwrap();
        assert_eq!(p.describe(), "app@h1:6543/appdb");
        assert_eq!(p.config.get_password(), Some(&b"secret"[..]));
    }

    #[test]
    fn plain_dbname_and_flags() {
        let p = resolve(
            ConnArgs {
                dbname: Some("orders".into()),
                host: Some("10.0.0.5".into()),
                port: Some(5433),
                user: Some("ops".into()),
                password: None,
            },
            &[],
        )
        .unwrap();
        assert_eq!(p.describe(), "ops@10.0.0.5:5433/orders");
        assert_eq!(p.with_dbname("x").dbname(), "x");
    }

    #[test]
    fn bad_input_is_reported() {
        assert!(resolve(ConnArgs::default(), &[("USER", "u"), ("PGPORT", "abc")]).is_err());
        assert!(resolve(
            ConnArgs::default(),
            &[("USER", "u"), ("PGSSLMODE", "bogus")]
        )
        .is_err());
        let e = resolve(
            ConnArgs {
                dbname: Some("host=x port=notaport".into()),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err();
        assert!(e.is_connection());
    }
}
