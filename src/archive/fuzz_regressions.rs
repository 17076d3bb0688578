//! Every file under `fuzz/regressions/<target>/` goes through the same code
//! as the matching fuzz target, so a crash found by fuzzing, once saved
//! there, stays fixed. Inputs must never panic; errors are fine.

use std::path::Path;

use super::tests::TempFile;
use super::{verify, ArchiveReader};
use crate::format::toc::CopyFormat;
use crate::pg::copyscan::CopyScanner;

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
        if let Ok(r) = ArchiveReader::open(&t.0) {
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
        let mut s = CopyScanner::new(format);
        let (a, b) = rest.split_at(at);
        let _ = s.feed(a).and_then(|()| s.feed(b)).and_then(|()| s.finish());
    }
}
