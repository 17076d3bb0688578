//! Any bytes as a COPY stream, split in two at a point taken from the first
//! byte (whose high bit picks binary or text): must never panic, and the row
//! digest of the split stream must equal that of the whole one, with the
//! scanner's row count.
//! Keep the split rule in step with `src/archive/fuzz_regressions.rs`.
//! Crashes found here go into `fuzz/regressions/copy_scanner/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgsnap::format::toc::CopyFormat;
use pgsnap::pg::copyscan::{CopyScanner, RowDigest};

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
});
