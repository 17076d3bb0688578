//! The 24-byte file header that opens every archive: magic, format version,
//! flags and its own CRC. A reader checks it first, so "not an archive",
//! "too new" and "encrypted" are told apart from damage before anything else
//! is read.
//!
//! Two majors exist: 1 for plain archives and 2 for encrypted ones (flag
//! [`FLAG_ENCRYPTED`], a key block follows the header). Plain archives stay
//! at major 1 so that older readers still read them, and an older reader
//! given an encrypted archive says "upgrade pgsnap" instead of "damaged".

use super::le::{put, u16_at, u32_at};
use super::FormatError;

/// Newest major format version this build reads (and writes for encrypted
/// archives); readers reject any newer major.
pub const FORMAT_MAJOR: u16 = 2;
/// Major version of plain (unencrypted) archives.
pub const PLAIN_MAJOR: u16 = 1;
/// Minor version written for plain archives: additive changes only (see
/// `format-spec/v1.md`).
pub const FORMAT_MINOR: u16 = 2;
/// Minor version written for encrypted archives.
pub const ENCRYPTED_MINOR: u16 = 1;
/// Header flag: the archive is encrypted (major 2 only).
pub const FLAG_ENCRYPTED: u32 = 1;
/// Length of the encoded file header.
pub const HEADER_LEN: usize = 24;
/// The first 8 bytes of every archive (PNG-style: high bit, name, newline).
pub const MAGIC: [u8; 8] = *b"\x89PGSNAP\n";

const WHAT: &str = "file header";

/// The decoded file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeader {
    pub major: u16,
    pub minor: u16,
    /// A key block follows the header; frames and the TOC are sealed.
    pub encrypted: bool,
}

impl FileHeader {
    /// The header this build writes for a plain or an encrypted archive.
    pub fn current(encrypted: bool) -> Self {
        if encrypted {
            FileHeader {
                major: FORMAT_MAJOR,
                minor: ENCRYPTED_MINOR,
                encrypted,
            }
        } else {
            FileHeader {
                major: PLAIN_MAJOR,
                minor: FORMAT_MINOR,
                encrypted,
            }
        }
    }

    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        put(&mut b, 0, &MAGIC);
        put(&mut b, 8, &self.major.to_le_bytes());
        put(&mut b, 10, &self.minor.to_le_bytes());
        let flags = if self.encrypted { FLAG_ENCRYPTED } else { 0 };
        put(&mut b, 12, &flags.to_le_bytes());
        // reserved (16..20) stays zero.
        let crc = crc32fast::hash(&b[..20]);
        put(&mut b, 20, &crc.to_le_bytes());
        b
    }

    /// Decodes the first [`HEADER_LEN`] bytes of `b` (extra bytes are ignored).
    pub fn decode(b: &[u8]) -> Result<FileHeader, FormatError> {
        if b.len() < HEADER_LEN {
            if !b.is_empty() && !MAGIC.starts_with(&b[..b.len().min(MAGIC.len())]) {
                return Err(FormatError::not_archive());
            }
            return Err(FormatError::truncated(WHAT, HEADER_LEN, b.len()));
        }
        if b[..8] != MAGIC {
            return Err(FormatError::not_archive());
        }
        if crc32fast::hash(&b[..20]) != u32_at(b, 20) {
            return Err(FormatError::checksum(WHAT));
        }
        let (major, minor) = (u16_at(b, 8), u16_at(b, 10));
        if major > FORMAT_MAJOR {
            return Err(FormatError::version(major, minor, FORMAT_MAJOR));
        }
        if major == 0 {
            return Err(FormatError::invalid(
                WHAT,
                "format major version 0 does not exist",
            ));
        }
        let flags = u32_at(b, 12);
        let want = if major == PLAIN_MAJOR {
            0
        } else {
            FLAG_ENCRYPTED
        };
        if flags != want {
            return Err(FormatError::invalid(
                WHAT,
                format!("flags {flags:#010x} are not valid for format {major} (must be {want:#x})"),
            ));
        }
        if u32_at(b, 16) != 0 {
            return Err(FormatError::invalid(WHAT, "reserved field is not zero"));
        }
        Ok(FileHeader {
            major,
            minor,
            encrypted: flags == FLAG_ENCRYPTED,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for encrypted in [false, true] {
            let h = FileHeader::current(encrypted);
            let b = h.encode();
            assert_eq!(&b[..8], b"\x89PGSNAP\n");
            assert_eq!(FileHeader::decode(&b).unwrap(), h);
            assert_eq!(h.major, if encrypted { 2 } else { 1 });
        }
    }

    #[test]
    fn every_flipped_byte_is_rejected() {
        for encrypted in [false, true] {
            let b = FileHeader::current(encrypted).encode();
            for i in 0..HEADER_LEN {
                for bit in 0..8 {
                    let mut d = b;
                    d[i] ^= 1 << bit;
                    assert!(FileHeader::decode(&d).is_err(), "byte {i} bit {bit}");
                }
            }
        }
    }

    #[test]
    fn truncated_and_foreign_input() {
        let b = FileHeader::current(false).encode();
        for n in 0..HEADER_LEN {
            let e = FileHeader::decode(&b[..n]).unwrap_err();
            assert!(e.is_truncated(), "{n}: {e}");
        }
        let e = FileHeader::decode(b"PGDMP\x01\x0e\x00 and the rest of it").unwrap_err();
        assert!(e.is_not_archive());
        assert!(e.to_string().contains("not a pgsnap archive"));
    }

    fn with_crc(mut b: [u8; HEADER_LEN]) -> [u8; HEADER_LEN] {
        let crc = crc32fast::hash(&b[..20]);
        b[20..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    #[test]
    fn newer_major_says_upgrade() {
        let mut b = FileHeader::current(false).encode();
        b[8..10].copy_from_slice(&3u16.to_le_bytes());
        b[10..12].copy_from_slice(&3u16.to_le_bytes());
        let e = FileHeader::decode(&with_crc(b)).unwrap_err();
        assert!(e.is_version());
        assert_eq!(
            e.to_string(),
            "archive format version 3.3 is newer than this pgsnap understands (up to 2.x); upgrade pgsnap"
        );
    }

    #[test]
    fn newer_minor_is_accepted() {
        let mut b = FileHeader::current(false).encode();
        b[10..12].copy_from_slice(&7u16.to_le_bytes());
        let h = FileHeader::decode(&with_crc(b)).unwrap();
        assert_eq!((h.major, h.minor), (1, 7));
    }

    #[test]
    fn flags_must_match_the_major() {
        for (encrypted, at, v) in [
            (false, 12, 1),
            (false, 16, 1),
            (true, 12, 0),
            (true, 12, 3),
            (true, 16, 1),
        ] {
            let mut b = FileHeader::current(encrypted).encode();
            b[at] = v;
            let e = FileHeader::decode(&with_crc(b)).unwrap_err();
            assert!(e.is_damage(), "{e}");
        }
    }
}
