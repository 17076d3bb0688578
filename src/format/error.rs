//! The one error type of the format codec.
//!
//! Rules (as in rustic_core's `error.rs`): the type is opaque so variants can
//! change without breaking callers; callers ask questions (`is_version()`,
//! `is_checksum()`, ...) instead of matching; every message names the
//! structure that failed and, where it helps, what the user can do about it.
//! Byte offsets within the *file* are unknown here (the codec sees slices);
//! `crate::archive` adds them.

use std::fmt;

/// An error decoding (or, rarely, encoding) pgsnap archive bytes.
pub struct FormatError(Box<Inner>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Input shorter than the structure needs.
    Truncated,
    /// Magic bytes of the file header are wrong: not an archive at all.
    NotArchive,
    /// Magic bytes of an inner structure (frame, trailer) are wrong.
    BadMagic,
    /// A CRC does not match.
    Checksum,
    /// Major version newer than this build understands.
    Version,
    /// A field holds a value the spec forbids (reserved bits, bounds, ...).
    Invalid,
    /// Compressed bytes do not decompress to what the header promises.
    Compression,
    /// The table of contents is malformed or inconsistent.
    Toc,
    /// Sealed bytes fail authentication: tampered with, or the wrong key.
    Authentication,
}

struct Inner {
    kind: Kind,
    msg: String,
}

impl FormatError {
    fn new(kind: Kind, msg: impl Into<String>) -> Self {
        FormatError(Box::new(Inner {
            kind,
            msg: msg.into(),
        }))
    }

    pub(crate) fn truncated(what: &str, need: usize, got: usize) -> Self {
        Self::new(
            Kind::Truncated,
            format!("{what} is truncated: need {need} bytes, got {got}"),
        )
    }

    pub(crate) fn not_archive() -> Self {
        Self::new(
            Kind::NotArchive,
            "not a pgsnap archive (bad magic bytes in the file header)",
        )
    }

    pub(crate) fn bad_magic(what: &str) -> Self {
        Self::new(Kind::BadMagic, format!("{what} has bad magic bytes"))
    }

    pub(crate) fn checksum(what: &str) -> Self {
        Self::new(Kind::Checksum, format!("{what} checksum mismatch"))
    }

    pub(crate) fn version(major: u16, minor: u16, supported_major: u16) -> Self {
        Self::new(
            Kind::Version,
            format!(
                "archive format version {major}.{minor} is newer than this pgsnap \
                 understands (up to {supported_major}.x); upgrade pgsnap"
            ),
        )
    }

    pub(crate) fn invalid(what: &str, detail: impl fmt::Display) -> Self {
        Self::new(Kind::Invalid, format!("{what}: {detail}"))
    }

    pub(crate) fn compression(what: &str, detail: impl fmt::Display) -> Self {
        Self::new(Kind::Compression, format!("{what}: {detail}"))
    }

    pub(crate) fn toc(detail: impl fmt::Display) -> Self {
        Self::new(Kind::Toc, format!("table of contents: {detail}"))
    }

    pub(crate) fn authentication(what: &str) -> Self {
        Self::new(
            Kind::Authentication,
            format!(
                "{what} fails authentication: its bytes were changed after it was written \
                 (damage or tampering)"
            ),
        )
    }

    /// The input ended before the structure did.
    pub fn is_truncated(&self) -> bool {
        self.0.kind == Kind::Truncated
    }

    /// The file does not start with the pgsnap magic: it is not an archive.
    pub fn is_not_archive(&self) -> bool {
        self.0.kind == Kind::NotArchive
    }

    /// The archive was written by a newer, incompatible format version.
    pub fn is_version(&self) -> bool {
        self.0.kind == Kind::Version
    }

    /// A stored checksum does not match the bytes.
    pub fn is_checksum(&self) -> bool {
        self.0.kind == Kind::Checksum
    }

    /// The bytes are damaged or inconsistent (anything but "not an archive"
    /// and "too new a version").
    pub fn is_damage(&self) -> bool {
        !matches!(self.0.kind, Kind::NotArchive | Kind::Version)
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.msg)
    }
}

impl fmt::Debug for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormatError")
            .field("kind", &self.0.kind)
            .field("msg", &self.0.msg)
            .finish()
    }
}

impl std::error::Error for FormatError {}
