//! Random-access reading of a finished archive, from a file or any other
//! [`Source`] of positioned reads (an object store's ranged GETs).
//!
//! `open` checks the file header, the trailer (read from the end), the layout
//! and the table of contents, so everything after it can trust the TOC's
//! offsets. Frames are read with positioned reads, so `&self` methods work
//! from many threads at once: parallel restore workers share one reader in an
//! `Arc`.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::ArchiveError;
use crate::format::toc::{StreamInfo, Toc};
use crate::format::{
    check_payload, decode_payload, decode_toc, FileHeader, FrameHeader, Trailer, FRAME_HEADER_LEN,
    HEADER_LEN, TRAILER_LEN,
};

/// Positioned reads of an archive's bytes.
pub trait Source: Send + Sync + fmt::Debug {
    /// The archive's name in messages (a path or a URL).
    fn name(&self) -> String;
    /// The archive's size in bytes.
    fn size(&self) -> u64;
    /// Exactly `n` bytes at `offset`; `UnexpectedEof` when there are fewer.
    fn read_exact_at(&self, offset: u64, n: usize) -> io::Result<Vec<u8>>;
}

/// A local file.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    path: PathBuf,
    len: u64,
}

impl FileSource {
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        let file = File::open(path)
            .map_err(|e| ArchiveError::io(format!("opening {}", path.display()), e))?;
        let len = file
            .metadata()
            .map_err(|e| ArchiveError::io(format!("reading {}", path.display()), e))?
            .len();
        Ok(FileSource {
            file,
            path: path.to_path_buf(),
            len,
        })
    }
}

impl Source for FileSource {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn size(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, n: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }
}

/// An open, checked archive; see the module docs.
#[derive(Debug)]
pub struct ArchiveReader {
    source: Box<dyn Source>,
    name: String,
    len: u64,
    trailer: Trailer,
    toc: Toc,
}

/// How error messages name a stream's table.
pub(crate) fn table_name(s: &StreamInfo) -> String {
    format!("table {}.{}", s.schema, s.table)
}

impl ArchiveReader {
    /// Opens `path` and checks header, trailer, layout and TOC.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        Self::open_source(Box::new(FileSource::open(path)?))
    }

    /// Opens an archive from any source and checks it as [`ArchiveReader::open`] does.
    pub fn open_source(source: Box<dyn Source>) -> Result<Self, ArchiveError> {
        let name = source.name();
        let len = source.size();
        let read = |offset, n| read_at(source.as_ref(), &name, offset, n);
        let path = name.as_str();

        let head = read(0, len.min(HEADER_LEN as u64) as usize)?;
        FileHeader::decode(&head).map_err(|e| {
            if e.is_not_archive() {
                ArchiveError::not_archive(path)
            } else if e.is_truncated() {
                ArchiveError::incomplete(path, e)
            } else {
                ArchiveError::format("file header", 0, e)
            }
        })?;

        if len < (HEADER_LEN + TRAILER_LEN) as u64 {
            return Err(ArchiveError::incomplete(
                path,
                format!("file is {len} bytes, shorter than header and trailer"),
            ));
        }
        let at = len - TRAILER_LEN as u64;
        let trailer = Trailer::decode(&read(at, TRAILER_LEN)?)
            .map_err(|e| ArchiveError::incomplete(path, e))?;
        trailer
            .check_layout(len)
            .map_err(|e| ArchiveError::format("trailer", at, e))?;

        // check_layout bounds the TOC by the file's length.
        let stored = read(trailer.toc_offset, trailer.toc_stored_len as usize)?;
        let toc = decode_toc(&stored, &trailer)
            .map_err(|e| ArchiveError::format("table of contents", trailer.toc_offset, e))?;
        Ok(ArchiveReader {
            source,
            name,
            len,
            trailer,
            toc,
        })
    }

    /// The checked table of contents.
    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    /// Narrows what this reader offers to a selection of its TOC: `toc`
    /// must be this archive's TOC with entries and streams left out (frames
    /// of the streams left out are simply never read).
    pub fn restrict(&mut self, toc: Toc) {
        debug_assert!(toc.streams.len() <= self.toc.streams.len());
        self.toc = toc;
    }

    /// The archive's trailer (where the data area ends and the TOC starts).
    pub fn trailer(&self) -> &Trailer {
        &self.trailer
    }

    /// The file's length in bytes (an open archive is never empty).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The name the archive was opened by (a path or a URL).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads, checks and decompresses frame `seq` of `stream` (a stream of
    /// this archive's TOC); returns the raw COPY bytes.
    pub fn read_frame(&self, stream: &StreamInfo, seq: usize) -> Result<Vec<u8>, ArchiveError> {
        let (h, buf) = self.read_checked(stream, seq)?;
        let offset = stream.frames[seq].offset;
        decode_payload(&h, &buf[FRAME_HEADER_LEN..]).map_err(|e| {
            ArchiveError::format(format!("{}, frame {seq}", table_name(stream)), offset, e)
        })
    }

    /// Reads frame `seq` of `stream` and checks everything but its decompressed
    /// content: header, placement, lengths and the stored payload's CRC. Proves
    /// that the bytes on disk are the bytes that were written.
    pub fn check_frame(&self, stream: &StreamInfo, seq: usize) -> Result<(), ArchiveError> {
        self.read_checked(stream, seq).map(|_| ())
    }

    /// The frame's header and bytes (header + stored payload), checked as in
    /// [`ArchiveReader::check_frame`].
    fn read_checked(
        &self,
        stream: &StreamInfo,
        seq: usize,
    ) -> Result<(FrameHeader, Vec<u8>), ArchiveError> {
        let object = || format!("{}, frame {seq}", table_name(stream));
        let Some(f) = stream.frames.get(seq) else {
            return Err(ArchiveError::bug(format!(
                "{} has {} frames, frame {seq} was asked for",
                table_name(stream),
                stream.frames.len()
            )));
        };
        let buf = read_at(
            self.source.as_ref(),
            &self.name,
            f.offset,
            FRAME_HEADER_LEN + f.stored_len as usize,
        )?;
        let h =
            FrameHeader::decode(&buf).map_err(|e| ArchiveError::format(object(), f.offset, e))?;
        if (h.stream, h.seq as usize) != (stream.id.0, seq) {
            return Err(ArchiveError::damage(
                object(),
                Some(f.offset),
                format!(
                    "frame header says stream {} frame {}, expected stream {} frame {seq} \
                     (frames are misplaced)",
                    h.stream, h.seq, stream.id.0
                ),
            ));
        }
        if (h.stored_len, h.raw_len) != (f.stored_len, f.raw_len) {
            return Err(ArchiveError::damage(
                object(),
                Some(f.offset),
                format!(
                    "frame header says {} stored / {} raw bytes, the table of contents says \
                     {} / {}",
                    h.stored_len, h.raw_len, f.stored_len, f.raw_len
                ),
            ));
        }
        check_payload(&h, &buf[FRAME_HEADER_LEN..])
            .map_err(|e| ArchiveError::format(object(), f.offset, e))?;
        Ok((h, buf))
    }
}

/// Reads exactly `n` bytes at `offset`; an archive shorter than that is damage.
fn read_at(
    source: &dyn Source,
    name: &str,
    offset: u64,
    n: usize,
) -> Result<Vec<u8>, ArchiveError> {
    source.read_exact_at(offset, n).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ArchiveError::damage(
                name.to_string(),
                Some(offset),
                format!("file ends before the {n} bytes expected here"),
            )
        } else {
            ArchiveError::io(format!("reading {name} at byte {offset}"), e)
        }
    })
}
