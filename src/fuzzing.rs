//! What the fuzz targets in `fuzz/` run, here so that `cargo test` replays
//! their saved inputs (`fuzz/regressions/<target>/`) through the very same
//! code. Not an interface for anything else.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::archive::{verify, ArchiveReader, FileSource, Unlock};
use crate::format::toc::CopyFormat;
use crate::format::{DataKey, KeyBlock};
use crate::pg::copyscan::{CopyScanner, RowDigest};

/// Opens an encrypted archive with its first key slot's bytes as the data
/// key, so fuzzing reaches the key block, the sealed TOC and sealed frames
/// (key wrapping is age's, fuzzed upstream).
pub struct SlotIsKey;

impl Unlock for SlotIsKey {
    fn unlock(&self, block: &KeyBlock) -> Result<DataKey, String> {
        DataKey::from_bytes(&block.slots[0].wrapped).map_err(|e| e.to_string())
    }
}

/// Any file at all: opening and verifying it must return an error or a
/// report, never panic, hang or allocate without bound.
pub fn archive_reader(data: &[u8]) {
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "pgsnap-fuzz-{}-{}.psnap",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, data).expect("write the fuzz input");
    if let Ok(source) = FileSource::open(&path) {
        if let Ok(r) = ArchiveReader::open_source(Box::new(source), &SlotIsKey) {
            let _ = verify(&r);
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Any bytes as a COPY stream, split in two at a point taken from the first
/// byte (whose high bit picks binary or text): must never panic, and the row
/// digest of the split stream must equal that of the whole one, with the
/// scanner's row count.
pub fn copy_scanner(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let format = if first & 0x80 == 0 {
        CopyFormat::Binary
    } else {
        CopyFormat::Text
    };
    let at = (usize::from(first & 0x7f) * rest.len()) / 127;
    let (a, b) = rest.split_at(at);
    let mut s = CopyScanner::new(format);
    let plain = s.feed(a).and_then(|()| s.feed(b)).and_then(|()| s.finish());
    let (mut split, mut whole) = (RowDigest::default(), RowDigest::default());
    let mut s = CopyScanner::new(format);
    let rows = s
        .feed_into(a, &mut split)
        .and_then(|()| s.feed_into(b, &mut split))
        .and_then(|()| s.finish());
    let mut w = CopyScanner::new(format);
    let whole_rows = w.feed_into(rest, &mut whole).and_then(|()| w.finish());
    assert_eq!(plain.as_ref().ok(), rows.as_ref().ok());
    assert_eq!(rows.as_ref().ok(), whole_rows.as_ref().ok());
    if let Ok(n) = rows {
        assert_eq!((split.rows, &split), (n, &whole));
    }
}
