//! A pure, incremental scanner for the bytes of a `COPY ... TO STDOUT`
//! stream: it checks the framing and counts rows, without decoding values.
//!
//! Backup runs it over every byte it stores (so the row count in the TOC is
//! what the stream really holds) and `verify` runs it again offline. Fed
//! through [`CopyScanner::feed_into`], it also hands each row's bytes to a
//! [`RowSink`] ([`RowDigest`] hashes them into an order-independent digest,
//! which is how a test restore compares a table with its archived stream). It
//! accepts chunks split anywhere, keeps at most 19 bytes of carry-over for a
//! header or length word split across chunks, skips field bytes without
//! copying them and allocates nothing while scanning.
//!
//! Binary format (PostgreSQL docs, "COPY ... Binary Format"; all integers
//! big-endian, network order): an 11-byte signature, an i32 flags word, an i32
//! header-extension length and that many bytes; then tuples, each an i16
//! field count followed by, per field, an i32 length (-1 = NULL) and that
//! many bytes; a field count of -1 ends the data. Text format: one row per
//! `\n`-terminated line.

use std::fmt;
use std::hash::{DefaultHasher, Hasher};

use crate::format::toc::CopyFormat;

/// The 11-byte signature that opens a binary COPY stream.
pub const BINARY_SIGNATURE: [u8; 11] = *b"PGCOPY\n\xff\r\n\0";
/// Largest header extension the scanner accepts (PostgreSQL writes none).
pub const MAX_HEADER_EXTENSION: u32 = 1 << 20;
/// Flags bit 16: OIDs are included (no longer produced by PostgreSQL).
const FLAG_OIDS: u32 = 1 << 16;
/// Signature + flags + extension length.
const FIXED_HEADER_LEN: usize = 19;

/// The framing of a COPY stream is broken.
pub struct CopyScanError(Box<ErrorInner>);

struct ErrorInner {
    offset: u64,
    row: u64,
    msg: String,
}

impl CopyScanError {
    /// Byte offset within the COPY stream where the problem starts.
    pub fn offset(&self) -> u64 {
        self.0.offset
    }

    /// 1-based number of the row the problem is in (rows seen so far + 1).
    pub fn row(&self) -> u64 {
        self.0.row
    }
}

impl fmt::Display for CopyScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "COPY data, row {} at stream byte {}: {}",
            self.0.row, self.0.offset, self.0.msg
        )
    }
}

impl fmt::Debug for CopyScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for CopyScanError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading signature, flags and extension length.
    Header,
    /// Skipping this many bytes of header extension.
    SkipExtension(u32),
    /// Expecting a tuple's field count (or the -1 trailer).
    TupleStart,
    /// Expecting a field's length word.
    FieldLen,
    /// Skipping this many bytes of field data.
    FieldData(u32),
    /// The trailer has been seen: no more bytes allowed.
    Done,
}

/// Incremental COPY stream scanner; see the module docs.
#[derive(Debug, Clone)]
pub struct CopyScanner {
    format: CopyFormat,
    state: State,
    /// Bytes fed before the current chunk.
    consumed: u64,
    rows: u64,
    carry: [u8; FIXED_HEADER_LEN],
    carry_len: usize,
    /// Field count of the first tuple; every later tuple must match.
    fields: Option<u16>,
    fields_left: u16,
    /// Text format: last byte seen.
    last_byte: Option<u8>,
}

impl CopyScanner {
    pub fn new(format: CopyFormat) -> Self {
        CopyScanner {
            format,
            state: State::Header,
            consumed: 0,
            rows: 0,
            carry: [0; FIXED_HEADER_LEN],
            carry_len: 0,
            fields: None,
            fields_left: 0,
            last_byte: None,
        }
    }

    /// Complete rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Scans the next `chunk` of the stream.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), CopyScanError> {
        match self.format {
            CopyFormat::Text => {
                self.rows += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                if let Some(&b) = chunk.last() {
                    self.last_byte = Some(b);
                }
            }
            CopyFormat::Binary => self.feed_binary(chunk, &mut NoSink)?,
        }
        self.consumed += chunk.len() as u64;
        Ok(())
    }

    /// Scans the next `chunk` and hands the bytes of its rows to `sink` (a
    /// binary row is its field count, lengths and data; a text row is its line
    /// with the newline; the binary header and end marker belong to no row).
    pub fn feed_into<S: RowSink>(
        &mut self,
        chunk: &[u8],
        sink: &mut S,
    ) -> Result<(), CopyScanError> {
        match self.format {
            CopyFormat::Text => {
                for piece in chunk.split_inclusive(|&b| b == b'\n') {
                    sink.bytes(piece);
                    if piece.last() == Some(&b'\n') {
                        self.rows += 1;
                        sink.end_row();
                    }
                }
                if let Some(&b) = chunk.last() {
                    self.last_byte = Some(b);
                }
            }
            CopyFormat::Binary => self.feed_binary(chunk, sink)?,
        }
        self.consumed += chunk.len() as u64;
        Ok(())
    }

    /// Ends the stream; returns the number of rows if it ended cleanly.
    pub fn finish(self) -> Result<u64, CopyScanError> {
        let msg = match (self.format, self.state) {
            (CopyFormat::Text, _) if matches!(self.last_byte, None | Some(b'\n')) => {
                return Ok(self.rows)
            }
            (CopyFormat::Text, _) => "stream ends in the middle of a line (no final newline)",
            (CopyFormat::Binary, State::Done) => return Ok(self.rows),
            (CopyFormat::Binary, _) if self.consumed == 0 => "stream is empty (no COPY header)",
            (CopyFormat::Binary, State::Header | State::SkipExtension(_)) => {
                "stream ends inside the COPY header"
            }
            (CopyFormat::Binary, State::TupleStart) if self.carry_len == 0 => {
                "stream ends without the end-of-data marker"
            }
            (CopyFormat::Binary, _) => "stream ends in the middle of the row",
        };
        Err(self.error(self.consumed, msg))
    }

    fn error(&self, offset: u64, msg: impl Into<String>) -> CopyScanError {
        CopyScanError(Box::new(ErrorInner {
            offset,
            row: self.rows + 1,
            msg: msg.into(),
        }))
    }

    /// Takes the next `N` bytes, from `chunk` directly when the carry is empty
    /// and the chunk has them, else through the carry; `None` = need more.
    fn take<const N: usize>(&mut self, chunk: &[u8], pos: &mut usize) -> Option<[u8; N]> {
        let avail = &chunk[*pos..];
        let mut out = [0u8; N];
        if self.carry_len == 0 && avail.len() >= N {
            out.copy_from_slice(&avail[..N]);
            *pos += N;
            return Some(out);
        }
        let n = (N - self.carry_len).min(avail.len());
        self.carry[self.carry_len..self.carry_len + n].copy_from_slice(&avail[..n]);
        self.carry_len += n;
        *pos += n;
        if self.carry_len < N {
            return None;
        }
        self.carry_len = 0;
        out.copy_from_slice(&self.carry[..N]);
        Some(out)
    }

    fn feed_binary<S: RowSink>(&mut self, chunk: &[u8], sink: &mut S) -> Result<(), CopyScanError> {
        let mut pos = 0;
        // Stream offset of the item that was just taken (N bytes long).
        let base = self.consumed;
        let at = |pos: usize, n: usize| base + pos as u64 - n as u64;
        // Where the current row's bytes start in this chunk, while in a row
        // (a field count split across chunks counts as in a row).
        let in_row = matches!(self.state, State::FieldLen | State::FieldData(_))
            || (self.state == State::TupleStart && self.carry_len > 0);
        let mut row_start = in_row.then_some(0);
        while pos < chunk.len() {
            let rows_before = self.rows;
            match self.state {
                State::TupleStart => {
                    if self.carry_len == 0 {
                        row_start = Some(pos);
                    }
                    let Some(w) = self.take::<2>(chunk, &mut pos) else {
                        break;
                    };
                    let count = i16::from_be_bytes(w);
                    if count == -1 {
                        self.state = State::Done;
                        row_start = None;
                        sink.discard();
                        continue;
                    }
                    let Ok(count) = u16::try_from(count) else {
                        return Err(self.error(at(pos, 2), format!("negative field count {count}")));
                    };
                    match self.fields {
                        None => self.fields = Some(count),
                        Some(first) if first != count => {
                            return Err(self.error(
                                at(pos, 2),
                                format!("row has {count} fields, the first row had {first}"),
                            ))
                        }
                        Some(_) => {}
                    }
                    if count == 0 {
                        self.rows += 1;
                    } else {
                        self.fields_left = count;
                        self.state = State::FieldLen;
                    }
                }
                State::FieldLen => {
                    let Some(w) = self.take::<4>(chunk, &mut pos) else {
                        break;
                    };
                    match i32::from_be_bytes(w) {
                        -1 | 0 => self.end_field(),
                        len @ 1.. => self.state = State::FieldData(len as u32),
                        len => {
                            return Err(
                                self.error(at(pos, 4), format!("negative field length {len}"))
                            )
                        }
                    }
                }
                State::FieldData(left) => {
                    let n = left.min(u32::try_from(chunk.len() - pos).unwrap_or(u32::MAX));
                    pos += n as usize;
                    if n == left {
                        self.end_field();
                    } else {
                        self.state = State::FieldData(left - n);
                    }
                }
                State::Header => {
                    let Some(h) = self.take::<FIXED_HEADER_LEN>(chunk, &mut pos) else {
                        break;
                    };
                    self.check_header(&h)?;
                }
                State::SkipExtension(left) => {
                    let n = left.min(u32::try_from(chunk.len() - pos).unwrap_or(u32::MAX));
                    pos += n as usize;
                    self.state = if n == left {
                        State::TupleStart
                    } else {
                        State::SkipExtension(left - n)
                    };
                }
                State::Done => {
                    return Err(self.error(
                        self.consumed + pos as u64,
                        "data after the end-of-data marker",
                    ))
                }
            }
            if self.rows != rows_before {
                if let Some(start) = row_start.take() {
                    sink.bytes(&chunk[start..pos]);
                }
                sink.end_row();
            }
        }
        if let Some(start) = row_start {
            sink.bytes(&chunk[start..pos]);
        }
        Ok(())
    }

    fn end_field(&mut self) {
        self.fields_left -= 1;
        if self.fields_left == 0 {
            self.rows += 1;
            self.state = State::TupleStart;
        } else {
            self.state = State::FieldLen;
        }
    }

    fn check_header(&mut self, h: &[u8; FIXED_HEADER_LEN]) -> Result<(), CopyScanError> {
        if h[..11] != BINARY_SIGNATURE {
            return Err(self.error(0, "not a binary COPY stream (bad signature)"));
        }
        let flags = u32::from_be_bytes([h[11], h[12], h[13], h[14]]);
        if flags & FLAG_OIDS != 0 {
            return Err(self.error(
                11,
                "stream includes OIDs (WITH OIDS), which is not supported",
            ));
        }
        if (flags & !FLAG_OIDS) >> 16 != 0 {
            return Err(self.error(
                11,
                format!("unknown critical flags {flags:#010x} in the COPY header"),
            ));
        }
        let ext = i32::from_be_bytes([h[15], h[16], h[17], h[18]]);
        match u32::try_from(ext) {
            Ok(n) if n <= MAX_HEADER_EXTENSION => {
                self.state = if n == 0 {
                    State::TupleStart
                } else {
                    State::SkipExtension(n)
                };
                Ok(())
            }
            _ => Err(self.error(
                15,
                format!("header extension length {ext} is negative or over {MAX_HEADER_EXTENSION}"),
            )),
        }
    }
}

/// Receives the bytes of each row from [`CopyScanner::feed_into`].
pub trait RowSink {
    /// The next piece of the current row (a row may arrive in several pieces).
    fn bytes(&mut self, piece: &[u8]);
    /// The current row is complete.
    fn end_row(&mut self);
    /// The pieces since the last row were not a row (the binary end marker).
    fn discard(&mut self);
}

struct NoSink;

impl RowSink for NoSink {
    fn bytes(&mut self, _: &[u8]) {}
    fn end_row(&mut self) {}
    fn discard(&mut self) {}
}

/// An order-independent digest of a stream's rows: the wrapping sum of a
/// SipHash of each row's bytes, and the row count. Two streams with the same
/// rows in any order (or split into parts) have the same digest; it is
/// computed within one process only (the hash keys are not a stable format).
#[derive(Debug, Clone, Default)]
pub struct RowDigest {
    pub rows: u64,
    pub sum: u64,
    row: DefaultHasher,
}

impl PartialEq for RowDigest {
    fn eq(&self, other: &Self) -> bool {
        (self.rows, self.sum) == (other.rows, other.sum)
    }
}

impl RowDigest {
    /// Adds another part's rows (a table read as several ranges).
    pub fn merge(&mut self, other: &RowDigest) {
        self.rows += other.rows;
        self.sum = self.sum.wrapping_add(other.sum);
    }
}

impl RowSink for RowDigest {
    fn bytes(&mut self, piece: &[u8]) {
        self.row.write(piece);
    }

    fn end_row(&mut self) {
        let row = std::mem::take(&mut self.row);
        self.sum = self.sum.wrapping_add(row.finish());
        self.rows += 1;
    }

    fn discard(&mut self) {
        self.row = DefaultHasher::default();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a binary COPY stream (header, rows, trailer) by hand.
    pub(crate) fn binary_copy(rows: &[Vec<Option<&[u8]>>]) -> Vec<u8> {
        let mut v = BINARY_SIGNATURE.to_vec();
        v.extend_from_slice(&0i32.to_be_bytes());
        v.extend_from_slice(&0i32.to_be_bytes());
        for row in rows {
            v.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for field in row {
                match field {
                    None => v.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(b) => {
                        v.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        v.extend_from_slice(b);
                    }
                }
            }
        }
        v.extend_from_slice(&(-1i16).to_be_bytes());
        v
    }

    /// `n` rows of (int4 id, text name, nullable text note).
    pub(crate) fn sample_rows(n: u32) -> Vec<u8> {
        let names: Vec<String> = (0..n).map(|i| format!("customer {i}")).collect();
        let ids: Vec<[u8; 4]> = (0..n).map(|i| i.to_be_bytes()).collect();
        let rows: Vec<Vec<Option<&[u8]>>> = (0..n as usize)
            .map(|i| {
                let note: Option<&[u8]> = (!i.is_multiple_of(3)).then_some(b"".as_slice());
                vec![Some(&ids[i][..]), Some(names[i].as_bytes()), note]
            })
            .collect();
        binary_copy(&rows)
    }

    fn scan_in_chunks(data: &[u8], size: usize) -> Result<u64, CopyScanError> {
        let mut s = CopyScanner::new(CopyFormat::Binary);
        for c in data.chunks(size) {
            s.feed(c)?;
        }
        s.finish()
    }

    fn scan(data: &[u8]) -> Result<u64, CopyScanError> {
        scan_in_chunks(data, data.len().max(1))
    }

    #[test]
    fn counts_rows_for_every_chunk_size() {
        let data = sample_rows(40);
        for size in 1..=data.len() {
            assert_eq!(scan_in_chunks(&data, size).unwrap(), 40, "chunk {size}");
        }
        let mut s = CopyScanner::new(CopyFormat::Binary);
        s.feed(&data[..data.len() / 2]).unwrap();
        assert!(s.rows() > 0 && s.rows() < 40);
    }

    #[test]
    fn empty_table_extension_and_zero_column_rows() {
        assert_eq!(scan(&binary_copy(&[])).unwrap(), 0);
        assert_eq!(scan(&binary_copy(&[vec![], vec![], vec![]])).unwrap(), 3);
        let mut data = sample_rows(5);
        data[15..19].copy_from_slice(&3i32.to_be_bytes());
        data.splice(19..19, [7, 7, 7]);
        for size in 1..=data.len() {
            assert_eq!(scan_in_chunks(&data, size).unwrap(), 5);
        }
    }

    fn rejected(data: &[u8], needle: &str) -> CopyScanError {
        for size in 1..=data.len().max(1) {
            let e = scan_in_chunks(data, size).unwrap_err();
            assert!(e.to_string().contains(needle), "{size}: {e}");
        }
        scan(data).unwrap_err()
    }

    #[test]
    fn bad_headers() {
        let good = sample_rows(2);
        rejected(&good[1..], "bad signature");
        let mut d = good.clone();
        d[12] = 1; // flags bit 16
        rejected(&d, "OIDs");
        let mut d = good.clone();
        d[11] = 0x80; // bit 31
        rejected(&d, "critical flags");
        let mut d = good.clone();
        d[14] = 0x01; // bit 0: not critical, ignored
        assert_eq!(scan(&d).unwrap(), 2);
        let mut d = good.clone();
        d[15] = 0xff;
        rejected(&d, "header extension");
        assert!(scan(&[]).unwrap_err().to_string().contains("empty"));
        rejected(&good[..12], "inside the COPY header");
    }

    #[test]
    fn bad_tuples_name_row_and_offset() {
        let one = binary_copy(&[vec![Some(b"ab".as_slice())]]);
        // Field length -2 in row 1 at byte 21.
        let mut d = one.clone();
        d[21..25].copy_from_slice(&(-2i32).to_be_bytes());
        let e = rejected(&d, "negative field length -2");
        assert_eq!((e.row(), e.offset()), (1, 21));
        // Field count -3.
        let mut d = one.clone();
        d[19..21].copy_from_slice(&(-3i16).to_be_bytes());
        rejected(&d, "negative field count");
        // Inconsistent field count in row 2 at byte 25.
        let d = binary_copy(&[vec![None], vec![None, None]]);
        let e = rejected(&d, "row has 2 fields, the first row had 1");
        assert_eq!((e.row(), e.offset()), (2, 25));
        // Data after the trailer.
        let mut d = one.clone();
        d.push(0);
        let e = rejected(&d, "after the end-of-data marker");
        assert_eq!(e.offset(), one.len() as u64);
    }

    #[test]
    fn truncation_is_reported() {
        let data = sample_rows(3);
        for n in 1..data.len() {
            assert!(scan(&data[..n]).is_err(), "{n}");
        }
        let e = scan(&data[..data.len() - 2]).unwrap_err();
        assert!(
            e.to_string().contains("without the end-of-data marker"),
            "{e}"
        );
        assert_eq!(e.row(), 4);
        let e = scan(&data[..25]).unwrap_err();
        assert!(e.to_string().contains("middle of the row"), "{e}");
        assert_eq!(e.row(), 1);
    }

    #[test]
    fn text_format() {
        let data = b"1\tone\n2\t\\N\n3\tthree\n";
        for size in 1..=data.len() {
            let mut s = CopyScanner::new(CopyFormat::Text);
            for c in data.chunks(size) {
                s.feed(c).unwrap();
            }
            assert_eq!(s.finish().unwrap(), 3);
        }
        assert_eq!(CopyScanner::new(CopyFormat::Text).finish().unwrap(), 0);
        let mut s = CopyScanner::new(CopyFormat::Text);
        s.feed(b"1\n2").unwrap();
        assert!(s.finish().is_err());
    }

    fn digest(format: CopyFormat, data: &[u8], size: usize) -> RowDigest {
        let mut s = CopyScanner::new(format);
        let mut d = RowDigest::default();
        for c in data.chunks(size) {
            s.feed_into(c, &mut d).unwrap();
        }
        assert_eq!(s.finish().unwrap(), d.rows);
        d
    }

    #[test]
    fn row_digest_ignores_chunking_and_row_order_but_not_content() {
        let data = sample_rows(50);
        let whole = digest(CopyFormat::Binary, &data, data.len());
        assert_eq!(whole.rows, 50);
        for size in [1, 2, 3, 7, 19, 64] {
            assert_eq!(
                digest(CopyFormat::Binary, &data, size),
                whole,
                "chunks of {size}"
            );
        }
        let a: &[u8] = b"a";
        let b: &[u8] = b"bb";
        let ab = binary_copy(&[vec![Some(a), None], vec![Some(b), Some(a)]]);
        let ba = binary_copy(&[vec![Some(b), Some(a)], vec![Some(a), None]]);
        let changed = binary_copy(&[vec![Some(a), None], vec![Some(b), Some(b)]]);
        assert_eq!(
            digest(CopyFormat::Binary, &ab, 3),
            digest(CopyFormat::Binary, &ba, 5)
        );
        assert_ne!(
            digest(CopyFormat::Binary, &ab, 3),
            digest(CopyFormat::Binary, &changed, 3)
        );
        // Two parts of a table merge into the digest of the whole.
        let (first, second) = (
            binary_copy(&[vec![Some(a), None]]),
            binary_copy(&[vec![Some(b), Some(a)]]),
        );
        let mut merged = digest(CopyFormat::Binary, &first, 4);
        merged.merge(&digest(CopyFormat::Binary, &second, 4));
        assert_eq!(merged, digest(CopyFormat::Binary, &ab, 4));

        let text = b"1\tx\n2\ty\n3\t\\N\n";
        let swapped = b"3\t\\N\n1\tx\n2\ty\n";
        let t = digest(CopyFormat::Text, text, 2);
        assert_eq!(t.rows, 3);
        assert_eq!(t, digest(CopyFormat::Text, swapped, 5));
        assert_ne!(t, digest(CopyFormat::Text, b"1\tx\n2\ty\n3\tz\n", 2));
    }
}
