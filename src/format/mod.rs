//! Pure codec for the pgsnap archive format v1 (see `format-spec/v1.md`).
//! No I/O here: bytes in, values (or "need more bytes") out.

pub mod toc;
