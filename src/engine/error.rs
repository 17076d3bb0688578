//! The engine's error type: one opaque error whose message names the object that
//! failed and says what to do, and whose kind decides the exit code.

use std::fmt;

use crate::archive::ArchiveError;
use crate::catalog::CatalogError;
use crate::pg::PgError;
use crate::schema::SchemaError;

/// An engine failure. Ask it [`Error::exit_code`]; print it with `Display`.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: Kind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Bad arguments or options (exit 2).
    Usage,
    /// Could not connect (exit 2).
    Connection,
    /// The operation failed (exit 1).
    Failed,
    /// The archive is damaged or incomplete (exit 1).
    Damage,
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message.into())
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Kind::Failed, message.into())
    }

    fn new(kind: Kind, message: String) -> Self {
        Error(Box::new(Inner { kind, message }))
    }

    /// Prefixes the message with what was being done, keeping the kind.
    pub fn context(self, what: impl fmt::Display) -> Self {
        let Inner { kind, message } = *self.0;
        Self::new(kind, format!("{what}: {message}"))
    }

    /// Appends a note (what state things are left in, what to do next).
    pub fn note(self, note: impl fmt::Display) -> Self {
        let Inner { kind, message } = *self.0;
        Self::new(kind, format!("{message}; {note}"))
    }

    /// True when the archive itself is damaged or incomplete.
    pub fn is_damage(&self) -> bool {
        self.0.kind == Kind::Damage
    }

    /// 0 success, 1 operation failed or damage found, 2 usage or connection error.
    pub fn exit_code(&self) -> i32 {
        match self.0.kind {
            Kind::Usage | Kind::Connection => 2,
            Kind::Failed | Kind::Damage => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {}

impl From<PgError> for Error {
    fn from(e: PgError) -> Self {
        let kind = if e.is_connection() {
            Kind::Connection
        } else {
            Kind::Failed
        };
        Self::new(kind, e.to_string())
    }
}

impl From<ArchiveError> for Error {
    fn from(e: ArchiveError) -> Self {
        let kind = if e.is_damage() {
            Kind::Damage
        } else if e.is_locked() {
            Kind::Usage
        } else {
            Kind::Failed
        };
        Self::new(kind, e.to_string())
    }
}

impl From<crate::crypt::CryptError> for Error {
    fn from(e: crate::crypt::CryptError) -> Self {
        Self::new(Kind::Usage, e.to_string())
    }
}

impl From<CatalogError> for Error {
    fn from(e: CatalogError) -> Self {
        Self::new(Kind::Failed, e.to_string())
    }
}

impl From<SchemaError> for Error {
    fn from(e: SchemaError) -> Self {
        Self::new(Kind::Failed, e.to_string())
    }
}

impl From<crate::storage::StorageError> for Error {
    fn from(e: crate::storage::StorageError) -> Self {
        Self::new(Kind::Failed, e.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::new(Kind::Failed, e.to_string())
    }
}
