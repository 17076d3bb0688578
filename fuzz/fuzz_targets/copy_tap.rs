//! `pgsnap::fuzzing::copy_tap`: any bytes as a server's messages through the
//! COPY tap, read in pieces; no panic or wait, and the same result as when
//! read in one piece. Crashes found here go into `fuzz/regressions/copy_tap/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pgsnap::fuzzing::copy_tap(data));
