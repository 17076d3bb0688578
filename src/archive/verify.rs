//! Offline verification of a whole archive: every frame, every stream's
//! checksum and row count, and the layout of the data area.
//!
//! Beyond what `ArchiveReader::open` checks, this reads every byte: frames
//! must tile the data area exactly (a gap means an extra or dropped frame,
//! an overlap means a lying TOC); each frame must check out on its own; each
//! stream's raw bytes must match its CRC and scan as a COPY stream with the
//! row count the TOC records. Streams are verified in parallel on rayon; when
//! several are damaged, the one with the lowest stream id is reported, so the
//! result does not depend on scheduling.

use rayon::prelude::*;

use super::reader::table_name;
use super::{ArchiveError, ArchiveReader};
use crate::format::toc::StreamInfo;
use crate::format::FRAME_HEADER_LEN;
use crate::pg::copyscan::{CopyScanner, RowDigest};

/// What a successful verification covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VerifyReport {
    pub streams: usize,
    pub frames: u64,
    pub raw_bytes: u64,
    pub rows: u64,
    pub entries: usize,
}

/// Reads and checks the whole archive; see the module docs.
pub fn verify(reader: &ArchiveReader) -> Result<VerifyReport, ArchiveError> {
    verify_reporting(reader, &|_, _, _| {})
}

/// Called after each frame of a stream checks out, with its raw bytes and the
/// rows it completed.
pub type OnFrame<'a> = &'a (dyn Fn(&StreamInfo, u64, u64) + Sync);

/// [`verify`], telling `on_frame` about each frame as it checks out.
pub fn verify_reporting(
    reader: &ArchiveReader,
    on_frame: OnFrame,
) -> Result<VerifyReport, ArchiveError> {
    verify_streams(reader, false, on_frame).map(|(report, _)| report)
}

/// [`verify`], and each stream's [`RowDigest`] (in the TOC's stream order),
/// for comparing the archive with a restored copy.
pub fn verify_with_digests(
    reader: &ArchiveReader,
) -> Result<(VerifyReport, Vec<RowDigest>), ArchiveError> {
    verify_streams(reader, true, &|_, _, _| {})
}

fn verify_streams(
    reader: &ArchiveReader,
    digests: bool,
    on_frame: OnFrame,
) -> Result<(VerifyReport, Vec<RowDigest>), ArchiveError> {
    check_tiling(reader)?;
    let toc = reader.toc();
    let results: Vec<Result<(u64, RowDigest), ArchiveError>> = toc
        .streams
        .par_iter()
        .map(|s| verify_stream(reader, s, digests, on_frame))
        .collect();
    let mut report = VerifyReport {
        streams: toc.streams.len(),
        entries: toc.entries.len(),
        ..VerifyReport::default()
    };
    let mut first_err: Option<(u32, ArchiveError)> = None;
    let mut out = Vec::with_capacity(if digests { toc.streams.len() } else { 0 });
    for (s, r) in toc.streams.iter().zip(results) {
        match r {
            Ok((frames, digest)) => {
                report.frames += frames;
                report.rows += s.rows;
                report.raw_bytes += s.raw_bytes;
                if digests {
                    out.push(digest);
                }
            }
            Err(e) if first_err.as_ref().is_none_or(|(id, _)| s.id.0 < *id) => {
                first_err = Some((s.id.0, e));
            }
            Err(_) => {}
        }
    }
    match first_err {
        Some((_, e)) => Err(e),
        None => Ok((report, out)),
    }
}

/// The writer's re-read: the layout, and every frame's header and stored CRC,
/// without decompressing. Proves the file holds what was written (the raw
/// data's checksums and row counts were computed while writing).
pub fn verify_stored(reader: &ArchiveReader) -> Result<(), ArchiveError> {
    check_tiling(reader)?;
    reader
        .toc()
        .streams
        .par_iter()
        .try_for_each(|s| (0..s.frames.len()).try_for_each(|seq| reader.check_frame(s, seq)))
}

/// Frames must cover the data area, `[data_start, toc_offset)`, exactly,
/// without overlap.
fn check_tiling(reader: &ArchiveReader) -> Result<(), ArchiveError> {
    let mut spans: Vec<(u64, u64, &StreamInfo, usize)> = reader
        .toc()
        .streams
        .iter()
        .flat_map(|s| {
            s.frames.iter().enumerate().map(move |(seq, f)| {
                let end = f.offset + FRAME_HEADER_LEN as u64 + u64::from(f.stored_len);
                (f.offset, end, s, seq)
            })
        })
        .collect();
    spans.sort_unstable_by_key(|&(offset, end, s, seq)| (offset, end, s.id, seq));
    let mut expected = reader.data_start();
    for (offset, end, s, seq) in spans {
        if offset < expected {
            return Err(ArchiveError::damage(
                format!("{}, frame {seq}", table_name(s)),
                Some(offset),
                format!(
                    "the table of contents places it over the frame that ends at byte {expected}"
                ),
            ));
        }
        if offset > expected {
            return Err(gap(expected, offset));
        }
        expected = end;
    }
    let toc_offset = reader.trailer().toc_offset;
    if expected != toc_offset {
        return Err(gap(expected, toc_offset));
    }
    Ok(())
}

fn gap(from: u64, to: u64) -> ArchiveError {
    ArchiveError::damage(
        "data area",
        Some(from),
        format!(
            "{} bytes belong to no frame listed in the table of contents \
             (a frame was added, dropped or moved)",
            to - from
        ),
    )
}

/// Checks one stream; returns its frame count and, when asked, its row digest.
fn verify_stream(
    reader: &ArchiveReader,
    s: &StreamInfo,
    digest: bool,
    on_frame: OnFrame,
) -> Result<(u64, RowDigest), ArchiveError> {
    if s.frames.is_empty() {
        // The table was empty at backup time: nothing was copied.
        if s.rows != 0 || s.crc32 != 0 {
            return Err(ArchiveError::damage(
                table_name(s),
                None,
                format!(
                    "stream has no frames but the table of contents says {} rows, checksum {:#010x}",
                    s.rows, s.crc32
                ),
            ));
        }
        return Ok((0, RowDigest::default()));
    }
    let mut crc = crc32fast::Hasher::new();
    let mut scan = CopyScanner::new(s.format);
    let mut row_digest = RowDigest::default();
    for seq in 0..s.frames.len() {
        let raw = reader.read_frame(s, seq)?;
        crc.update(&raw);
        let rows_before = scan.rows();
        let fed = if digest {
            scan.feed_into(&raw, &mut row_digest)
        } else {
            scan.feed(&raw)
        };
        fed.map_err(|e| {
            ArchiveError::damage(
                format!("{}, frame {seq}", table_name(s)),
                Some(s.frames[seq].offset),
                e,
            )
        })?;
        on_frame(s, raw.len() as u64, scan.rows() - rows_before);
    }
    let rows = scan
        .finish()
        .map_err(|e| ArchiveError::damage(table_name(s), None, e))?;
    let crc = crc.finalize();
    if crc != s.crc32 {
        return Err(ArchiveError::damage(
            table_name(s),
            None,
            format!(
                "data checksum {crc:#010x} over {} frames does not match {:#010x} in the \
                 table of contents",
                s.frames.len(),
                s.crc32
            ),
        ));
    }
    if rows != s.rows {
        return Err(ArchiveError::damage(
            table_name(s),
            None,
            format!(
                "data holds {rows} rows, the table of contents says {}",
                s.rows
            ),
        ));
    }
    Ok((s.frames.len() as u64, row_digest))
}
