//! Appends an archive to any `std::io::Write`, strictly sequentially: file
//! header first, then frames as they come (streams may interleave), then the
//! table of contents and the trailer. It never seeks, so it can write to a
//! pipe or an object-store upload; publishing atomically (temporary name,
//! fsync, rename) is the caller's job.

use std::io::Write;

use super::ArchiveError;
use crate::format::toc::{FrameRef, Toc};
use crate::format::{
    encode_toc, validate_toc, EncodedFrame, FileHeader, Trailer, HEADER_LEN, TRAILER_LEN,
};

/// Writes one archive; see the module docs.
#[derive(Debug)]
pub struct ArchiveWriter<W: Write> {
    w: W,
    offset: u64,
}

impl<W: Write> ArchiveWriter<W> {
    /// Writes the file header and returns a writer positioned after it.
    pub fn new(mut w: W) -> Result<Self, ArchiveError> {
        w.write_all(&FileHeader::current().encode())
            .map_err(|e| ArchiveError::io("writing the archive header", e))?;
        Ok(ArchiveWriter {
            w,
            offset: HEADER_LEN as u64,
        })
    }

    /// Appends a frame and returns where it lies, for the stream's TOC entry.
    pub fn write_frame(&mut self, f: &EncodedFrame) -> Result<FrameRef, ArchiveError> {
        let at = self.offset;
        self.w.write_all(&f.bytes).map_err(|e| {
            ArchiveError::io(
                format!(
                    "writing frame {} of stream {} at byte {at}",
                    f.seq, f.stream
                ),
                e,
            )
        })?;
        self.offset += f.bytes.len() as u64;
        Ok(FrameRef {
            offset: at,
            raw_len: f.raw_len,
            stored_len: f.stored_len(),
        })
    }

    /// Bytes written so far (the offset the next frame will get).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Checks `toc` against what was written, appends it and the trailer,
    /// flushes, and returns the inner writer and the archive's total length.
    pub fn finish(mut self, toc: &Toc) -> Result<(W, u64), ArchiveError> {
        let toc_offset = self.offset;
        let bug = |e| ArchiveError::bug(format!("refusing to write a bad {e}"));
        validate_toc(toc, toc_offset).map_err(bug)?;
        let (stored, raw_len) = encode_toc(toc).map_err(bug)?;
        let trailer = Trailer {
            toc_offset,
            toc_stored_len: stored.len() as u64,
            toc_raw_len: raw_len,
            toc_crc: crc32fast::hash(&stored),
        };
        let io = |e| ArchiveError::io("writing the table of contents and trailer", e);
        self.w.write_all(&stored).map_err(io)?;
        self.w.write_all(&trailer.encode()).map_err(io)?;
        self.w.flush().map_err(io)?;
        let total = toc_offset + stored.len() as u64 + TRAILER_LEN as u64;
        Ok((self.w, total))
    }
}
