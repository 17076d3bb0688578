//! I/O around the format codec: writing an archive sequentially
//! ([`ArchiveWriter`]), reading it back with random access from many threads
//! ([`ArchiveReader`]) and checking every byte offline ([`verify`]).
//!
//! All byte layouts live in `crate::format`; this module only moves bytes
//! between files and the codec and names the damaged object and its file
//! offset when something does not check out. std only, no tokio: callers on
//! an async runtime run these on blocking threads.

mod error;
mod reader;
mod verify;
mod writer;

#[cfg(test)]
mod fuzz_regressions;
#[cfg(test)]
mod tests;

pub use error::ArchiveError;
pub use reader::{
    check_envelope, describe_slots, ArchiveReader, FileSource, NoKey, Source, Unlock,
};
pub use verify::{verify, verify_reporting, verify_stored, verify_with_digests, VerifyReport};
pub use writer::{ArchiveWriter, Sealing};
