//! Every file under `fuzz/regressions/<target>/` goes through the same code
//! as the matching fuzz target, so a crash found by fuzzing, once saved
//! there, stays fixed. Inputs must never panic (nor break the row digest's
//! invariants); errors are fine.

use std::path::Path;

use super::tests::{RawSlot, TempFile};
use super::{verify, ArchiveReader, FileSource};
use crate::format::toc::CopyFormat;
use crate::pg::copyscan::{CopyScanner, RowDigest};

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn archive_reader_regressions() {
    for data in inputs("archive_reader") {
        let t = TempFile::new("fuzz");
        std::fs::write(&t.0, &data).unwrap();
        let source = Box::new(FileSource::open(&t.0).unwrap());
        if let Ok(r) = ArchiveReader::open_source(source, &RawSlot) {
            let _ = verify(&r);
        }
    }
}

#[test]
fn copy_scanner_regressions() {
    for data in inputs("copy_scanner") {
        // Same split rule as fuzz/fuzz_targets/copy_scanner.rs.
        let Some((&first, rest)) = data.split_first() else {
            continue;
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
}
