//! The error type of the `pg` layer.

use std::fmt;

/// An error talking to PostgreSQL. Opaque: ask it questions instead of matching.
#[derive(Debug)]
pub struct PgError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: Kind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Bad connection parameters given by the user.
    Config,
    /// The server could not be reached or refused us.
    Connect,
    /// The server is there, the database is not.
    NoDatabase,
    /// The server asks for a password and none was given.
    NoPassword,
    /// A statement failed on an open connection.
    Query,
}

impl PgError {
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(Kind::Config, message.into())
    }

    pub(crate) fn connect(what: &str, err: &tokio_postgres::Error) -> Self {
        let missing = err.code() == Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME);
        // tokio-postgres's words when the server asks for a password it lacks.
        if err.as_db_error().is_none() && describe(err).contains("password missing") {
            return Self::new(
                Kind::NoPassword,
                format!(
                    "could not connect to {what}: the server asks for a password and none was \
                     given; set PGPASSWORD, use a password file (--password-file, PGPASSFILE or \
                     ~/.pgpass), or pass -W to be asked for it"
                ),
            );
        }
        Self::new(
            if missing {
                Kind::NoDatabase
            } else {
                Kind::Connect
            },
            format!("could not connect to {what}: {}", describe(err)),
        )
    }

    /// The server could not be reached at all (no socket).
    pub(crate) fn connect_io(what: &str, err: &std::io::Error) -> Self {
        Self::new(Kind::Connect, format!("could not connect to {what}: {err}"))
    }

    pub(crate) fn query(context: &str, err: &tokio_postgres::Error) -> Self {
        Self::query_text(context, &describe(err))
    }

    /// A failed statement whose error text is already rendered.
    pub fn query_text(context: &str, text: &str) -> Self {
        Self::new(Kind::Query, format!("{context}: {text}"))
    }

    fn new(kind: Kind, message: String) -> Self {
        PgError(Box::new(Inner { kind, message }))
    }

    /// True when the problem is the connection parameters or reaching the server
    /// (exit code 2), rather than an operation that failed once connected.
    pub fn is_connection(&self) -> bool {
        matches!(
            self.0.kind,
            Kind::Config | Kind::Connect | Kind::NoDatabase | Kind::NoPassword
        )
    }

    /// True when the server wanted a password that was not given.
    pub fn is_missing_password(&self) -> bool {
        self.0.kind == Kind::NoPassword
    }

    /// True when the server said the database does not exist.
    pub fn is_missing_database(&self) -> bool {
        self.0.kind == Kind::NoDatabase
    }
}

/// Renders a tokio-postgres error with the server's message, detail and hint when present.
pub fn describe(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!(" (detail: {d})"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!(" (hint: {h})"));
        }
        return s;
    }
    let mut s = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        let text = e.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = e.source();
    }
    s
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for PgError {}
