//! The catalog layer's one error type: which part of the catalog could not be
//! read, and why.

use std::fmt;

/// Reading the system catalogs failed. Opaque: the message names the query
/// that failed and says what to check.
#[derive(Debug)]
pub struct CatalogError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    what: &'static str,
    source: tokio_postgres::Error,
}

impl CatalogError {
    pub(crate) fn query(what: &'static str, source: tokio_postgres::Error) -> Self {
        CatalogError(Box::new(Inner { what, source }))
    }

    /// The SQLSTATE the server reported, if the failure came from the server.
    pub fn code(&self) -> Option<&tokio_postgres::error::SqlState> {
        self.0.source.code()
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "reading the system catalogs failed while loading {}: {}; check that the server is \
             PostgreSQL 13 or later and that the backup role may read the catalogs",
            self.0.what,
            crate::pg::error_text(&self.0.source)
        )
    }
}

impl std::error::Error for CatalogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.source)
    }
}
