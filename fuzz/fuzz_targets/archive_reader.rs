//! `pgsnap::fuzzing::archive_reader`: any file opened and verified (plain or
//! encrypted); an error or a report, never a panic, a hang or an unbounded
//! allocation. Crashes found here go into `fuzz/regressions/archive_reader/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pgsnap::fuzzing::archive_reader(data));
