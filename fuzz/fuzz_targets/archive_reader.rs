//! Any file at all: opening and verifying it must return an error or a
//! report, never panic, hang or allocate without bound.
//! Crashes found here go into `fuzz/regressions/archive_reader/`.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use pgsnap::archive::{verify, ArchiveReader};

static N: AtomicU64 = AtomicU64::new(0);

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!(
        "pgsnap-fuzz-{}-{}.psnap",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, data).unwrap();
    if let Ok(r) = ArchiveReader::open(&path) {
        let _ = verify(&r);
    }
    let _ = std::fs::remove_file(&path);
});
