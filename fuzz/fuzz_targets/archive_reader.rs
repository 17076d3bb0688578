//! Any file at all: opening and verifying it must return an error or a
//! report, never panic, hang or allocate without bound. Encrypted archives
//! open with their first key slot's bytes as the data key, so the key block,
//! the sealed TOC and sealed frames are reached too (key wrapping is age's,
//! fuzzed upstream).
//! Crashes found here go into `fuzz/regressions/archive_reader/`.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use pgsnap::archive::{verify, ArchiveReader, FileSource, Unlock};
use pgsnap::format::{DataKey, KeyBlock};

struct SlotIsKey;

impl Unlock for SlotIsKey {
    fn unlock(&self, block: &KeyBlock) -> Result<DataKey, String> {
        DataKey::from_bytes(&block.slots[0].wrapped).map_err(|e| e.to_string())
    }
}

static N: AtomicU64 = AtomicU64::new(0);

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!(
        "pgsnap-fuzz-{}-{}.psnap",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, data).unwrap();
    let source = Box::new(FileSource::open(&path).unwrap());
    if let Ok(r) = ArchiveReader::open_source(source, &SlotIsKey) {
        let _ = verify(&r);
    }
    let _ = std::fs::remove_file(&path);
});
