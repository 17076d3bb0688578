//! Any bytes as a COPY stream, split in two at a point taken from the first
//! byte (whose high bit picks binary or text): must never panic.
//! Keep the split rule in step with `src/archive/fuzz_regressions.rs`.
//! Crashes found here go into `fuzz/regressions/copy_scanner/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgsnap::format::toc::CopyFormat;
use pgsnap::pg::copyscan::CopyScanner;

fuzz_target!(|data: &[u8]| {
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
    let _ = s.feed(a).and_then(|()| s.feed(b)).and_then(|()| s.finish());
});
