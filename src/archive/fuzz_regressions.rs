//! Every file under `fuzz/regressions/<target>/` goes through the same code
//! as the matching fuzz target (`crate::fuzzing`), so a crash found by fuzzing, once saved
//! there, stays fixed. Inputs must never panic (nor break the row digest's
//! invariants); errors are fine.

use std::path::Path;

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
    inputs("archive_reader")
        .iter()
        .for_each(|d| crate::fuzzing::archive_reader(d));
}

#[test]
fn copy_scanner_regressions() {
    inputs("copy_scanner")
        .iter()
        .for_each(|d| crate::fuzzing::copy_scanner(d));
}

#[test]
fn copy_tap_regressions() {
    inputs("copy_tap")
        .iter()
        .for_each(|d| crate::fuzzing::copy_tap(d));
}
