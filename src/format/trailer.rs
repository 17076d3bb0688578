//! The 40-byte trailer that closes every archive. It is written last and
//! points at the table of contents, so an archive without a valid trailer is
//! known to be incomplete (the writer never finished), never a short valid one.

use super::le::{put, u32_at, u64_at};
use super::{FormatError, HEADER_LEN};

/// Length of the encoded trailer.
pub const TRAILER_LEN: usize = 40;
/// Largest raw (decompressed) table of contents.
pub const MAX_TOC_RAW: u64 = 1 << 30;
/// Largest stored table of contents: `MAX_TOC_RAW` plus 1 MiB of zstd overhead.
pub const MAX_TOC_STORED: u64 = MAX_TOC_RAW + (1 << 20);
/// Magic bytes that open the trailer.
pub const TRAILER_MAGIC: [u8; 8] = *b"PSTOCEND";

const WHAT: &str = "trailer";

/// The decoded trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// File offset of the stored table of contents.
    pub toc_offset: u64,
    pub toc_stored_len: u64,
    pub toc_raw_len: u64,
    /// CRC-32 of the stored table of contents bytes.
    pub toc_crc: u32,
}

impl Trailer {
    pub fn encode(&self) -> [u8; TRAILER_LEN] {
        let mut b = [0u8; TRAILER_LEN];
        put(&mut b, 0, &TRAILER_MAGIC);
        put(&mut b, 8, &self.toc_offset.to_le_bytes());
        put(&mut b, 16, &self.toc_stored_len.to_le_bytes());
        put(&mut b, 24, &self.toc_raw_len.to_le_bytes());
        put(&mut b, 32, &self.toc_crc.to_le_bytes());
        let crc = crc32fast::hash(&b[..36]);
        put(&mut b, 36, &crc.to_le_bytes());
        b
    }

    /// Decodes the first [`TRAILER_LEN`] bytes of `b` and checks bounds.
    pub fn decode(b: &[u8]) -> Result<Trailer, FormatError> {
        if b.len() < TRAILER_LEN {
            return Err(FormatError::truncated(WHAT, TRAILER_LEN, b.len()));
        }
        if b[..8] != TRAILER_MAGIC {
            return Err(FormatError::bad_magic(WHAT));
        }
        if crc32fast::hash(&b[..36]) != u32_at(b, 36) {
            return Err(FormatError::checksum(WHAT));
        }
        let t = Trailer {
            toc_offset: u64_at(b, 8),
            toc_stored_len: u64_at(b, 16),
            toc_raw_len: u64_at(b, 24),
            toc_crc: u32_at(b, 32),
        };
        if t.toc_raw_len > MAX_TOC_RAW {
            return Err(FormatError::invalid(
                WHAT,
                format!("TOC raw length {} exceeds {MAX_TOC_RAW}", t.toc_raw_len),
            ));
        }
        if t.toc_stored_len > MAX_TOC_STORED {
            return Err(FormatError::invalid(
                WHAT,
                format!(
                    "TOC stored length {} exceeds {MAX_TOC_STORED}",
                    t.toc_stored_len
                ),
            ));
        }
        Ok(t)
    }

    /// Checks that the trailer describes a file of exactly `file_len` bytes:
    /// header, then frames, then the TOC ending where the trailer starts.
    pub fn check_layout(&self, file_len: u64) -> Result<(), FormatError> {
        let end = self
            .toc_offset
            .checked_add(self.toc_stored_len)
            .and_then(|n| n.checked_add(TRAILER_LEN as u64));
        if self.toc_offset < HEADER_LEN as u64 || end != Some(file_len) {
            return Err(FormatError::invalid(
                WHAT,
                format!(
                    "TOC at byte {} of length {} does not end where the trailer starts \
                     (file length {file_len})",
                    self.toc_offset, self.toc_stored_len
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Trailer {
        Trailer {
            toc_offset: 4096,
            toc_stored_len: 300,
            toc_raw_len: 1200,
            toc_crc: 0xdead_beef,
        }
    }

    #[test]
    fn round_trip_and_layout() {
        let t = sample();
        let b = t.encode();
        assert_eq!(&b[..8], b"PSTOCEND");
        assert_eq!(Trailer::decode(&b).unwrap(), t);
        t.check_layout(4096 + 300 + 40).unwrap();
        assert!(t.check_layout(4096 + 300 + 41).is_err());
        assert!(t.check_layout(4096 + 300 + 39).is_err());
        let early = Trailer {
            toc_offset: 23,
            ..t
        };
        assert!(early.check_layout(23 + 300 + 40).is_err());
        let wrap = Trailer {
            toc_offset: u64::MAX - 10,
            ..t
        };
        assert!(wrap.check_layout(100).is_err());
    }

    #[test]
    fn every_flipped_byte_is_rejected() {
        let b = sample().encode();
        for i in 0..TRAILER_LEN {
            let mut d = b;
            d[i] ^= 0x01;
            assert!(Trailer::decode(&d).is_err(), "byte {i}");
        }
    }

    #[test]
    fn truncated_and_oversized() {
        let b = sample().encode();
        for n in 0..TRAILER_LEN {
            assert!(Trailer::decode(&b[..n]).unwrap_err().is_truncated());
        }
        for t in [
            Trailer {
                toc_raw_len: MAX_TOC_RAW + 1,
                ..sample()
            },
            Trailer {
                toc_stored_len: MAX_TOC_STORED + 1,
                ..sample()
            },
        ] {
            assert!(Trailer::decode(&t.encode()).is_err());
        }
    }
}
