//! Progress reporting: the engine says what it copies as it copies it (bytes
//! and rows per table, against a total), and whoever holds the other end of a
//! [`ProgressHandle`] draws it. The default handle reports to nobody.

use std::fmt;
use std::sync::Arc;

/// Receives progress; called from many tasks at once.
pub trait Progress: Send + Sync {
    /// A phase begins (`backup`, `restore`, `verify`) with about this many bytes to move.
    fn start(&self, phase: &'static str, total_bytes: u64);
    fn table_started(&self, table: &str);
    /// `bytes` more bytes and `rows` more rows of `table` are through.
    fn advance(&self, table: &str, bytes: u64, rows: u64);
    fn table_finished(&self, table: &str);
    /// The phase is over (done or failed).
    fn finish(&self);
}

/// A cheap, clonable handle to an optional [`Progress`].
#[derive(Clone, Default)]
pub struct ProgressHandle(Option<Arc<dyn Progress>>);

impl fmt::Debug for ProgressHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "ProgressHandle(on)"
        } else {
            "ProgressHandle(off)"
        })
    }
}

impl ProgressHandle {
    pub fn new(p: Arc<dyn Progress>) -> Self {
        ProgressHandle(Some(p))
    }

    pub fn start(&self, phase: &'static str, total_bytes: u64) {
        if let Some(p) = &self.0 {
            p.start(phase, total_bytes);
        }
    }

    pub fn table_started(&self, table: &str) {
        if let Some(p) = &self.0 {
            p.table_started(table);
        }
    }

    pub fn advance(&self, table: &str, bytes: u64, rows: u64) {
        if let Some(p) = &self.0 {
            p.advance(table, bytes, rows);
        }
    }

    pub fn table_finished(&self, table: &str) {
        if let Some(p) = &self.0 {
            p.table_finished(table);
        }
    }

    pub fn finish(&self) {
        if let Some(p) = &self.0 {
            p.finish();
        }
    }
}
