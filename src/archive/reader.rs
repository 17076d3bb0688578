//! Random-access reading of a finished archive, from a file or any other
//! [`Source`] of positioned reads (an object store's ranged GETs).
//!
//! `open` checks the file header, the trailer (read from the end), the layout
//! and the table of contents, so everything after it can trust the TOC's
//! offsets. Frames are read with positioned reads, so `&self` methods work
//! from many threads at once: parallel restore workers share one reader in an
//! `Arc`.
//!
//! An encrypted archive opens only with an [`Unlock`] that yields its data
//! key; the key block, the sealed TOC and every frame are then checked
//! against it.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::ArchiveError;
use crate::format::seal::KEY_BLOCK_FIXED;
use crate::format::toc::{StreamInfo, Toc};
use crate::format::{
    check_payload, decode_payload, decode_toc, toc_aad, DataKey, FileHeader, FrameHeader, KeyBlock,
    SlotKind, TocContext, Trailer, FRAME_HEADER_LEN, HEADER_LEN, TRAILER_LEN,
};

/// Turns an encrypted archive's key block into its data key: the user's
/// identities or passphrase (`crate::crypt::Keyring`), or the key itself
/// (a writer re-reading what it wrote).
pub trait Unlock: Send + Sync {
    /// The data key, or why these keys do not open the block (a message for
    /// the user, saying what to pass instead).
    fn unlock(&self, block: &KeyBlock) -> Result<DataKey, String>;
}

/// No keys: plain archives open, an encrypted one is refused with a hint.
#[derive(Debug, Clone, Copy)]
pub struct NoKey;

impl Unlock for NoKey {
    fn unlock(&self, block: &KeyBlock) -> Result<DataKey, String> {
        Err(format!(
            "the archive is encrypted (for {}); pass --identity KEYFILE or --passphrase-file FILE",
            describe_slots(block)
        ))
    }
}

impl Unlock for DataKey {
    fn unlock(&self, _: &KeyBlock) -> Result<DataKey, String> {
        Ok(self.clone())
    }
}

/// Who a key block's slots are for, in words.
pub fn describe_slots(block: &KeyBlock) -> String {
    block
        .slots
        .iter()
        .map(|s| match s.kind {
            SlotKind::Recipients => "public-key recipients",
            SlotKind::Passphrase => "a passphrase",
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

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
    /// Where the first frame may start: after the header and key block.
    data_start: u64,
    key_block: Option<KeyBlock>,
    key: Option<DataKey>,
}

/// How error messages name a stream's table.
pub(crate) fn table_name(s: &StreamInfo) -> String {
    format!("table {}.{}", s.schema, s.table)
}

impl ArchiveReader {
    /// Opens the plain archive `path` and checks header, trailer, layout and TOC.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        Self::open_source(Box::new(FileSource::open(path)?), &NoKey)
    }

    /// Opens an archive from any source and checks it as [`ArchiveReader::open`]
    /// does; `keys` opens it if it is encrypted.
    pub fn open_source(source: Box<dyn Source>, keys: &dyn Unlock) -> Result<Self, ArchiveError> {
        let name = source.name();
        let len = source.size();
        let env = read_envelope(source.as_ref(), &name)?;
        let key = match &env.key_block {
            Some(block) => Some(
                keys.unlock(block)
                    .map_err(|e| ArchiveError::locked(&name, e))?,
            ),
            None => None,
        };
        let trailer = env.trailer;
        let aad = key.as_ref().map(|_| {
            toc_aad(
                &env.head,
                &env.block_bytes,
                trailer.toc_offset,
                trailer.toc_raw_len,
            )
        });
        let cx = TocContext {
            major: env.header.major,
            data_start: env.data_start(),
            seal: key.as_ref().zip(aad.as_deref()),
        };
        let toc = decode_toc(&env.toc, &trailer, &cx)
            .map_err(|e| ArchiveError::format("table of contents", trailer.toc_offset, e))?;
        Ok(ArchiveReader {
            source,
            name,
            len,
            trailer,
            toc,
            data_start: env.data_start(),
            key_block: env.key_block,
            key,
        })
    }

    /// Where the data area starts (the first frame's offset).
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    /// The key block, when the archive is encrypted.
    pub fn key_block(&self) -> Option<&KeyBlock> {
        self.key_block.as_ref()
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
        decode_payload(&h, &buf[FRAME_HEADER_LEN..], self.key.as_ref()).map_err(|e| {
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

/// The parts of an archive that are read before its TOC is opened.
struct Envelope {
    head: Vec<u8>,
    header: FileHeader,
    trailer: Trailer,
    block_bytes: Vec<u8>,
    key_block: Option<KeyBlock>,
    /// The stored (for an encrypted archive, still sealed) TOC, CRC unchecked.
    toc: Vec<u8>,
}

impl Envelope {
    fn data_start(&self) -> u64 {
        (HEADER_LEN + self.block_bytes.len()) as u64
    }
}

/// Reads and checks the file header, the trailer and the layout, and the key
/// block of an encrypted archive; reads the stored TOC.
fn read_envelope(source: &dyn Source, name: &str) -> Result<Envelope, ArchiveError> {
    let len = source.size();
    let read = |offset, n| read_at(source, name, offset, n);
    let head = read(0, len.min(HEADER_LEN as u64) as usize)?;
    let header = FileHeader::decode(&head).map_err(|e| {
        if e.is_not_archive() {
            ArchiveError::not_archive(name)
        } else if e.is_truncated() {
            ArchiveError::incomplete(name, e)
        } else {
            ArchiveError::format("file header", 0, e)
        }
    })?;
    if len < (HEADER_LEN + TRAILER_LEN) as u64 {
        return Err(ArchiveError::incomplete(
            name,
            format!("file is {len} bytes, shorter than header and trailer"),
        ));
    }
    let at = len - TRAILER_LEN as u64;
    let trailer =
        Trailer::decode(&read(at, TRAILER_LEN)?).map_err(|e| ArchiveError::incomplete(name, e))?;
    trailer
        .check_layout(len)
        .map_err(|e| ArchiveError::format("trailer", at, e))?;
    let (block_bytes, key_block) = if header.encrypted {
        let (bytes, block) = read_key_block(&read, trailer.toc_offset)?;
        (bytes, Some(block))
    } else {
        (Vec::new(), None)
    };
    // check_layout bounds the TOC by the file's length.
    let toc = read(trailer.toc_offset, trailer.toc_stored_len as usize)?;
    Ok(Envelope {
        head,
        header,
        trailer,
        block_bytes,
        key_block,
        toc,
    })
}

/// What can be checked of an archive without its keys: file header, key
/// block, trailer, layout and the stored TOC's CRC. Returns the key block of
/// an encrypted archive (`None` for a plain one).
pub fn check_envelope(source: &dyn Source) -> Result<Option<KeyBlock>, ArchiveError> {
    let env = read_envelope(source, &source.name())?;
    if crc32fast::hash(&env.toc) != env.trailer.toc_crc {
        return Err(ArchiveError::damage(
            "table of contents",
            Some(env.trailer.toc_offset),
            "checksum mismatch",
        ));
    }
    Ok(env.key_block)
}

/// Reads and decodes the key block after the file header; it must end before
/// the TOC. Returns its bytes (which the TOC's seal authenticates) too.
fn read_key_block(
    read: &dyn Fn(u64, usize) -> Result<Vec<u8>, ArchiveError>,
    toc_offset: u64,
) -> Result<(Vec<u8>, KeyBlock), ArchiveError> {
    let at = HEADER_LEN as u64;
    let bad = |e| ArchiveError::format("key block", at, e);
    if toc_offset < at + KEY_BLOCK_FIXED as u64 {
        return Err(ArchiveError::damage(
            "key block",
            Some(at),
            "the table of contents starts before the key block ends",
        ));
    }
    let fixed = read(at, KEY_BLOCK_FIXED)?;
    let n = KeyBlock::encoded_len(&fixed).map_err(bad)?;
    if at + n as u64 > toc_offset {
        return Err(ArchiveError::damage(
            "key block",
            Some(at),
            format!("its {n} bytes run past the start of the table of contents"),
        ));
    }
    let bytes = read(at, n)?;
    let block = KeyBlock::decode(&bytes).map_err(bad)?;
    Ok((bytes, block))
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
