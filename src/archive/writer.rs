//! Appends an archive to any `std::io::Write`, strictly sequentially: file
//! header first, then frames as they come (streams may interleave), then the
//! table of contents and the trailer. It never seeks, so it can write to a
//! pipe or an object-store upload; publishing atomically (temporary name,
//! fsync, rename) is the caller's job.
//!
//! An encrypted archive gets its key block right after the header and its
//! TOC sealed; its frames arrive already sealed (callers encode them with
//! [`ArchiveWriter::key`]).

use std::io::Write;

use super::ArchiveError;
use crate::format::toc::{FrameRef, Toc};
use crate::format::{
    encode_toc, toc_aad, validate_toc, DataKey, EncodedFrame, FileHeader, KeyBlock, TocContext,
    Trailer, TRAILER_LEN,
};

/// How an archive is encrypted: its data key and the key block that holds
/// that key wrapped for the recipients (see `crate::crypt`).
#[derive(Debug, Clone)]
pub struct Sealing {
    pub key: DataKey,
    pub block: KeyBlock,
}

/// Writes one archive; see the module docs.
#[derive(Debug)]
pub struct ArchiveWriter<W: Write> {
    w: W,
    offset: u64,
    header: FileHeader,
    /// Header and key block as written: what the sealed TOC authenticates.
    prefix: Vec<u8>,
    key: Option<DataKey>,
}

impl<W: Write> ArchiveWriter<W> {
    /// Writes the file header (and, encrypted, the key block) and returns a
    /// writer positioned after it.
    pub fn new(mut w: W, sealing: Option<&Sealing>) -> Result<Self, ArchiveError> {
        let header = FileHeader::current(sealing.is_some());
        let mut prefix = header.encode().to_vec();
        if let Some(s) = sealing {
            let block = s
                .block
                .encode()
                .map_err(|e| ArchiveError::bug(format!("refusing to write a bad {e}")))?;
            prefix.extend_from_slice(&block);
        }
        w.write_all(&prefix)
            .map_err(|e| ArchiveError::io("writing the archive header", e))?;
        Ok(ArchiveWriter {
            w,
            offset: prefix.len() as u64,
            header,
            prefix,
            key: sealing.map(|s| s.key.clone()),
        })
    }

    /// The key frames must be sealed with (encrypted archives).
    pub fn key(&self) -> Option<&DataKey> {
        self.key.as_ref()
    }

    /// The format version this archive is written in: the TOC repeats it.
    pub fn version(&self) -> (u16, u16) {
        (self.header.major, self.header.minor)
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
        let cx = TocContext {
            major: self.header.major,
            data_start: self.prefix.len() as u64,
            seal: None,
        };
        validate_toc(toc, &cx, toc_offset).map_err(bug)?;
        let (mut stored, raw_len) = encode_toc(toc).map_err(bug)?;
        if let Some(key) = &self.key {
            let header_len = crate::format::HEADER_LEN;
            let aad = toc_aad(
                &self.prefix[..header_len],
                &self.prefix[header_len..],
                toc_offset,
                raw_len,
            );
            stored = key.seal_toc(&aad, stored);
        }
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
