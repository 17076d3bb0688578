//! Pure codec for the pgsnap archive format, versions 1 (plain) and 2
//! (encrypted); see `format-spec/v1.md`.
//! No I/O here: bytes in, values (or errors) out, so everything about bytes
//! is unit-testable, fuzzable and benchmarkable without a server or a file.
//!
//! Layout: `FileHeader ‖ [KeyBlock] ‖ Frame* ‖ TOC ‖ Trailer`. [`header`]
//! owns the file header, [`seal`] the key block and the sealing of frames and
//! TOC in encrypted archives, [`frame`] the data frames and their
//! compression, [`tocio`] the
//! stored table of contents (whose model is [`toc`]), [`trailer`] the fixed
//! trailer, and [`error`] the codec's one error type.

pub mod error;
pub mod frame;
pub mod header;
mod le;
pub mod seal;
pub mod toc;
pub mod tocio;
pub mod trailer;

pub use error::FormatError;
pub use frame::{
    check_payload, decode_payload, encode_frame, Codec, EncodedFrame, FrameHeader, DEFAULT_CHUNK,
    FRAME_HEADER_LEN, MAX_FRAME_RAW, MAX_FRAME_STORED,
};
pub use header::{FileHeader, FORMAT_MAJOR, FORMAT_MINOR, HEADER_LEN, PLAIN_MAJOR};
pub use seal::{toc_aad, DataKey, KeyBlock, KeySlot, SlotKind};
pub use tocio::{decode_toc, encode_toc, validate_toc, TocContext};
pub use trailer::{Trailer, MAX_TOC_RAW, MAX_TOC_STORED, TRAILER_LEN};
