//! The one error type of the archive layer.
//!
//! Rules: the type is opaque (callers ask `is_damage()`, `is_io()`, ... and
//! never match on variants); every message names the object (table, frame,
//! table of contents, trailer) and the file offset where known, and says what
//! to do. "Damage" means the archive's content is wrong or incomplete: the
//! backup cannot be trusted and `main` exits with code 1. I/O errors are
//! problems with reading or writing the file itself and may go away on retry.

use std::fmt;
use std::io;

use crate::format::FormatError;

/// An error reading, writing or verifying an archive file.
pub struct ArchiveError(Box<Inner>);

enum Inner {
    Io {
        context: String,
        source: io::Error,
    },
    /// No valid trailer: the writer never finished.
    Incomplete {
        path: String,
        detail: String,
    },
    NotArchive {
        path: String,
    },
    Version(FormatError),
    /// Encrypted, and the keys given do not open it.
    Locked {
        path: String,
        detail: String,
    },
    /// The caller asked for something impossible (a bug in pgsnap).
    Bug(String),
    Damage {
        object: String,
        offset: Option<u64>,
        detail: String,
    },
}

impl ArchiveError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        ArchiveError(Box::new(Inner::Io {
            context: context.into(),
            source,
        }))
    }

    pub(crate) fn incomplete(name: &str, detail: impl fmt::Display) -> Self {
        ArchiveError(Box::new(Inner::Incomplete {
            path: name.to_string(),
            detail: detail.to_string(),
        }))
    }

    pub(crate) fn not_archive(name: &str) -> Self {
        ArchiveError(Box::new(Inner::NotArchive {
            path: name.to_string(),
        }))
    }

    pub(crate) fn damage(
        object: impl Into<String>,
        offset: Option<u64>,
        detail: impl fmt::Display,
    ) -> Self {
        ArchiveError(Box::new(Inner::Damage {
            object: object.into(),
            offset,
            detail: detail.to_string(),
        }))
    }

    pub(crate) fn locked(name: &str, detail: impl fmt::Display) -> Self {
        ArchiveError(Box::new(Inner::Locked {
            path: name.to_string(),
            detail: detail.to_string(),
        }))
    }

    pub(crate) fn bug(detail: impl fmt::Display) -> Self {
        ArchiveError(Box::new(Inner::Bug(detail.to_string())))
    }

    /// Maps a codec error about `object` at `offset` to the archive's terms.
    pub(crate) fn format(object: impl Into<String>, offset: u64, e: FormatError) -> Self {
        if e.is_version() {
            ArchiveError(Box::new(Inner::Version(e)))
        } else {
            Self::damage(object, Some(offset), e)
        }
    }

    /// The archive's content is damaged or incomplete: it cannot be trusted.
    pub fn is_damage(&self) -> bool {
        matches!(*self.0, Inner::Damage { .. } | Inner::Incomplete { .. })
    }

    /// The archive has no valid trailer (a backup that did not finish, or a
    /// truncated copy). Also counts as damage.
    pub fn is_incomplete(&self) -> bool {
        matches!(*self.0, Inner::Incomplete { .. })
    }

    /// Reading or writing the file failed (not a problem with its content).
    pub fn is_io(&self) -> bool {
        matches!(*self.0, Inner::Io { .. })
    }

    /// The file is not a pgsnap archive at all.
    pub fn is_not_archive(&self) -> bool {
        matches!(*self.0, Inner::NotArchive { .. })
    }

    /// The archive was written by a newer, incompatible pgsnap.
    pub fn is_version(&self) -> bool {
        matches!(*self.0, Inner::Version(_))
    }

    /// The archive is encrypted and the keys given do not open it.
    pub fn is_locked(&self) -> bool {
        matches!(*self.0, Inner::Locked { .. })
    }

    /// The damaged object ("table public.orders, frame 17", "table of contents").
    pub fn object(&self) -> Option<&str> {
        match &*self.0 {
            Inner::Damage { object, .. } => Some(object),
            _ => None,
        }
    }

    /// File offset of the damaged object, where known.
    pub fn offset(&self) -> Option<u64> {
        match &*self.0 {
            Inner::Damage { offset, .. } => *offset,
            _ => None,
        }
    }
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Inner::Io { context, source } => write!(f, "{context}: {source}"),
            Inner::Incomplete { path, detail } => write!(
                f,
                "{path}: archive is incomplete or truncated (no valid trailer): the backup \
                 that wrote it did not finish ({detail})"
            ),
            Inner::NotArchive { path } => write!(f, "{path}: not a pgsnap archive"),
            Inner::Version(e) => write!(f, "{e}"),
            Inner::Locked { path, detail } => write!(f, "{path}: {detail}"),
            Inner::Bug(detail) => write!(f, "internal error: {detail} (a bug in pgsnap)"),
            Inner::Damage {
                object,
                offset,
                detail,
            } => {
                write!(f, "{object}")?;
                if let Some(o) = offset {
                    write!(f, " at byte {o}")?;
                }
                write!(
                    f,
                    ": {detail} — the archive is damaged; restore from another backup"
                )
            }
        }
    }
}

impl fmt::Debug for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArchiveError({self})")
    }
}

impl std::error::Error for ArchiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            Inner::Io { source, .. } => Some(source),
            Inner::Version(e) => Some(e),
            _ => None,
        }
    }
}
