//! `pgsnap::fuzzing::copy_scanner`: any bytes as a COPY stream, split in two;
//! no panic, and the split stream's row digest equals the whole one's.
//! Crashes found here go into `fuzz/regressions/copy_scanner/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pgsnap::fuzzing::copy_scanner(data));
