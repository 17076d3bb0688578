//! Round trip and deliberate damage: write a real archive to a temporary
//! file, break it in one way at a time, and check the exact object named.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::format::toc::{CopyFormat, DumpId, ObjectKind, SchemaEntry, Section, StreamId};
use crate::format::toc::{StreamInfo, Toc};
use crate::format::tocio::tests::sample_toc;
use crate::format::{encode_frame, FRAME_HEADER_LEN, TRAILER_LEN};
use crate::fuzzing::SlotIsKey;
use crate::pg::copyscan::tests::sample_rows;

/// A temporary file removed on drop.
pub(crate) struct TempFile(pub PathBuf);

impl TempFile {
    pub(crate) fn new(tag: &str) -> TempFile {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        TempFile(std::env::temp_dir().join(format!(
            "pgsnap-test-{}-{tag}-{n}.psnap",
            std::process::id()
        )))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

struct Built {
    bytes: Vec<u8>,
    toc: Toc,
}

fn stream(id: u32, entry: u32, table: &str) -> StreamInfo {
    StreamInfo {
        id: StreamId(id),
        entry: DumpId(entry),
        schema: "public".into(),
        table: table.into(),
        columns: vec!["id".into(), "name".into(), "note".into()],
        format: CopyFormat::Binary,
        frames: vec![],
        raw_bytes: 0,
        rows: 0,
        crc32: 0,
        part: None,
    }
}

/// Two streams whose frames interleave (o0 c0 o1 c1 o2): orders, stored
/// uncompressed in 600-byte frames (so two of them can be swapped), and
/// customers, in two zstd frames.
fn build() -> Built {
    build_sealed(None)
}

/// [`build`], encrypted when `sealing` is given.
fn build_sealed(sealing: Option<&Sealing>) -> Built {
    let mut toc = sample_toc();
    toc.entries.push(SchemaEntry {
        id: DumpId(3),
        section: Section::Data,
        kind: ObjectKind::TableData,
        name: "customers".into(),
        ..toc.entries[1].clone()
    });
    let orders_data = sample_rows(50);
    let customers_data = sample_rows(500);
    let o: Vec<&[u8]> = orders_data.chunks(600).collect();
    assert_eq!(o.len(), 3);
    let (c0, c1) = customers_data.split_at(customers_data.len() / 2);
    let mut streams = [stream(0, 2, "orders"), stream(1, 3, "customers")];
    let mut w = ArchiveWriter::new(Vec::new(), sealing).unwrap();
    (toc.format_major, toc.format_minor) = w.version();
    let key = w.key().cloned();
    for (i, raw, level) in [
        (0, o[0], 0),
        (1, c0, 3),
        (0, o[1], 0),
        (1, c1, 3),
        (0, o[2], 0),
    ] {
        let s = &mut streams[i];
        let f = encode_frame(s.id.0, s.frames.len() as u32, raw, level, key.as_ref()).unwrap();
        s.frames.push(w.write_frame(&f).unwrap());
        s.raw_bytes += raw.len() as u64;
    }
    let [mut orders, mut customers] = streams;
    orders.rows = 50;
    orders.crc32 = crc32fast::hash(&orders_data);
    customers.rows = 500;
    customers.crc32 = crc32fast::hash(&customers_data);
    toc.streams = vec![orders, customers];
    let (bytes, len) = w.finish(&toc).unwrap();
    assert_eq!(len, bytes.len() as u64);
    Built { bytes, toc }
}

fn write(bytes: &[u8]) -> TempFile {
    let t = TempFile::new("archive");
    std::fs::write(&t.0, bytes).unwrap();
    t
}

/// Opens and verifies `bytes`; returns the first error.
fn check(bytes: &[u8]) -> Result<VerifyReport, ArchiveError> {
    let t = write(bytes);
    let r = ArchiveReader::open(&t.0)?;
    verify(&r)
}

fn damaged(bytes: &[u8], object: &str, offset: Option<u64>, needle: &str) {
    let e = check(bytes).unwrap_err();
    assert!(e.is_damage(), "{e}");
    assert_eq!(e.object(), Some(object), "{e}");
    assert_eq!(e.offset(), offset, "{e}");
    let msg = e.to_string();
    assert!(msg.contains(needle), "{msg}");
    assert!(msg.contains("restore from another backup"), "{msg}");
}

#[test]
fn round_trip_and_verify() {
    let b = build();
    let t = write(&b.bytes);
    let r = ArchiveReader::open(&t.0).unwrap();
    assert_eq!(r.toc(), &b.toc);
    assert_eq!(r.len(), b.bytes.len() as u64);
    let orders = &r.toc().streams[0];
    let mut raw = Vec::new();
    for seq in 0..orders.frames.len() {
        raw.extend(r.read_frame(orders, seq).unwrap());
    }
    assert_eq!(raw, sample_rows(50));
    let report = verify(&r).unwrap();
    assert_eq!(
        report,
        VerifyReport {
            streams: 2,
            frames: 5,
            raw_bytes: sample_rows(50).len() as u64 + sample_rows(500).len() as u64,
            rows: 550,
            entries: 3,
        }
    );
}

#[test]
fn reader_is_shared_across_threads() {
    let b = build();
    let t = write(&b.bytes);
    let r = std::sync::Arc::new(ArchiveReader::open(&t.0).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let r = r.clone();
            std::thread::spawn(move || {
                let s = &r.toc().streams[i % 2];
                (0..s.frames.len())
                    .map(|q| r.read_frame(s, q).unwrap().len())
                    .sum::<usize>()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() > 0);
    }
}

#[test]
fn flipped_payload_byte_names_table_and_frame() {
    let b = build();
    let f = b.toc.streams[1].frames[1];
    let mut d = b.bytes.clone();
    d[f.offset as usize + FRAME_HEADER_LEN + 5] ^= 0x20;
    damaged(
        &d,
        "table public.customers, frame 1",
        Some(f.offset),
        "frame payload checksum mismatch",
    );
}

#[test]
fn flipped_frame_header_byte_names_table_and_frame() {
    let b = build();
    let f = b.toc.streams[0].frames[2];
    for i in 0..FRAME_HEADER_LEN {
        let mut d = b.bytes.clone();
        d[f.offset as usize + i] ^= 0x01;
        damaged(
            &d,
            "table public.orders, frame 2",
            Some(f.offset),
            "frame header",
        );
    }
}

#[test]
fn swapped_frames_are_found() {
    let b = build();
    let (f0, f1) = (b.toc.streams[0].frames[0], b.toc.streams[0].frames[1]);
    assert_eq!(f0.stored_len, f1.stored_len);
    let n = FRAME_HEADER_LEN + f0.stored_len as usize;
    let mut d = b.bytes.clone();
    let (a, c) = (f0.offset as usize, f1.offset as usize);
    let first = d[a..a + n].to_vec();
    d.copy_within(c..c + n, a);
    d[c..c + n].copy_from_slice(&first);
    damaged(
        &d,
        "table public.orders, frame 0",
        Some(f0.offset),
        "misplaced",
    );
}

#[test]
fn damaged_toc_is_reported_by_open() {
    let b = build();
    let t = write(&b.bytes);
    let toc_offset = ArchiveReader::open(&t.0).unwrap().trailer().toc_offset;
    let mut d = b.bytes.clone();
    d[toc_offset as usize + 3] ^= 0x08;
    damaged(
        &d,
        "table of contents",
        Some(toc_offset),
        "checksum mismatch",
    );
}

#[test]
fn damaged_trailer_or_truncation_means_incomplete() {
    let b = build();
    let len = b.bytes.len();
    let mut cases: Vec<Vec<u8>> = (len - TRAILER_LEN..len)
        .map(|i| {
            let mut d = b.bytes.clone();
            d[i] ^= 0x80;
            d
        })
        .collect();
    for cut in [1, 39, 40, 41, len / 2, len - 30, len - 1] {
        cases.push(b.bytes[..len - cut].to_vec());
    }
    for d in cases {
        let e = check(&d).unwrap_err();
        assert!(e.is_damage() && e.is_incomplete(), "{e}");
        assert!(
            e.to_string().contains("archive is incomplete or truncated"),
            "{e}"
        );
    }
    let mut grown = b.bytes.clone();
    grown.extend_from_slice(&b.bytes[len - TRAILER_LEN..]);
    assert!(check(&grown).unwrap_err().is_damage());
}

#[test]
fn foreign_and_empty_files() {
    let e = check(b"PGDMP\x01\x0e\x00 custom dump").unwrap_err();
    assert!(e.is_not_archive() && !e.is_damage(), "{e}");
    let e = check(b"").unwrap_err();
    assert!(e.is_incomplete(), "{e}");
    let e = ArchiveReader::open(std::path::Path::new("/nonexistent/x.psnap")).unwrap_err();
    assert!(e.is_io() && !e.is_damage(), "{e}");
}

fn rewrite(b: &Built, extra: &[u8], edit: impl FnOnce(&mut Toc)) -> Vec<u8> {
    let toc_offset = b
        .toc
        .streams
        .iter()
        .flat_map(|s| &s.frames)
        .map(|f| f.offset + FRAME_HEADER_LEN as u64 + u64::from(f.stored_len));
    let data_end = toc_offset.max().unwrap() as usize;
    let mut toc = b.toc.clone();
    edit(&mut toc);
    let mut v = b.bytes[..data_end].to_vec();
    v.extend_from_slice(extra);
    let (stored, raw_len) = crate::format::encode_toc(&toc).unwrap();
    let t = crate::format::Trailer {
        toc_offset: v.len() as u64,
        toc_stored_len: stored.len() as u64,
        toc_raw_len: raw_len,
        toc_crc: crc32fast::hash(&stored),
    };
    v.extend_from_slice(&stored);
    v.extend_from_slice(&t.encode());
    v
}

#[test]
fn extra_frame_and_wrong_counts_are_found() {
    let b = build();
    let extra = encode_frame(0, 3, b"junk", 0, None).unwrap().bytes;
    let d = rewrite(&b, &extra, |_| {});
    let data_end = (d.len() - TRAILER_LEN) as u64;
    let e = check(&d).unwrap_err();
    assert_eq!(e.object(), Some("data area"), "{e}");
    assert!(e.offset().unwrap() < data_end);

    let d = rewrite(&b, &[], |t| t.streams[1].rows = 499);
    damaged(&d, "table public.customers", None, "holds 500 rows");
    let d = rewrite(&b, &[], |t| t.streams[0].crc32 ^= 1);
    damaged(&d, "table public.orders", None, "data checksum");
    let d = rewrite(&b, &[], |t| {
        let f = t.streams[0].frames.remove(2);
        t.streams[0].raw_bytes -= u64::from(f.raw_len);
    });
    assert_eq!(check(&d).unwrap_err().object(), Some("data area"));
}

fn sealing() -> Sealing {
    let (key, bytes) = crate::format::DataKey::generate().unwrap();
    let block = crate::format::KeyBlock {
        slots: vec![crate::format::KeySlot {
            kind: crate::format::SlotKind::Recipients,
            wrapped: bytes.to_vec(),
        }],
    };
    Sealing { key, block }
}

fn open_sealed(bytes: &[u8], keys: &dyn Unlock) -> Result<VerifyReport, ArchiveError> {
    let t = write(bytes);
    let r = ArchiveReader::open_source(Box::new(FileSource::open(&t.0)?), keys)?;
    verify(&r)
}

#[test]
fn encrypted_round_trip_hides_the_data() {
    let s = sealing();
    let b = build_sealed(Some(&s));
    assert_eq!(
        crate::format::FileHeader::decode(&b.bytes).unwrap().major,
        2
    );
    let report = open_sealed(&b.bytes, &SlotIsKey).unwrap();
    assert_eq!(report.rows, 550);
    let t = write(&b.bytes);
    let r =
        ArchiveReader::open_source(Box::new(FileSource::open(&t.0).unwrap()), &SlotIsKey).unwrap();
    assert_eq!(r.toc().streams, b.toc.streams);
    assert!(r.key_block().is_some());
    let rows = sample_rows(50);
    // Neither rows nor table names are in the clear.
    for needle in [&rows[20..60], b"customers".as_slice(), b"CREATE TABLE"] {
        assert!(!b.bytes.windows(needle.len()).any(|w| w == needle));
    }
    let e = ArchiveReader::open(&t.0).unwrap_err();
    assert!(e.is_locked() && e.to_string().contains("--identity"), "{e}");
    let e = open_sealed(&b.bytes, &sealing().key).unwrap_err();
    assert!(e.to_string().contains("authentication"), "{e}");
}

/// Every single-byte change anywhere in an encrypted archive is caught by
/// open + verify, even where the forger also fixes the CRC that covers it.
#[test]
fn encrypted_archive_detects_every_change() {
    let s = sealing();
    let b = build_sealed(Some(&s));
    let mut missed = Vec::new();
    for i in 0..b.bytes.len() {
        let mut d = b.bytes.clone();
        d[i] ^= 0x20;
        if open_sealed(&d, &SlotIsKey).is_ok() {
            missed.push(i);
        }
    }
    assert!(missed.is_empty(), "changes at {missed:?} went unnoticed");

    // A frame payload changed with its frame CRC recomputed.
    let f = b.toc.streams[1].frames[0];
    let mut d = b.bytes.clone();
    let at = (f.offset as usize) + FRAME_HEADER_LEN + 5;
    d[at] ^= 1;
    let payload = &d[f.offset as usize + FRAME_HEADER_LEN..][..f.stored_len as usize];
    let crc = crc32fast::hash(payload);
    let mut h = crate::format::FrameHeader::decode(&d[f.offset as usize..]).unwrap();
    h.payload_crc = crc;
    d[f.offset as usize..][..FRAME_HEADER_LEN].copy_from_slice(&h.encode());
    let e = open_sealed(&d, &SlotIsKey).unwrap_err();
    assert!(e.to_string().contains("authentication"), "{e}");
    assert_eq!(e.object(), Some("table public.customers, frame 0"), "{e}");
}

/// Writes the encrypted seed of the archive_reader fuzz target:
/// `cargo test --lib write_encrypted_fuzz_seed -- --ignored`.
#[test]
#[ignore]
fn write_encrypted_fuzz_seed() {
    let b = build_sealed(Some(&sealing()));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for sub in ["regressions/archive_reader", "corpus/archive_reader"] {
        std::fs::write(dir.join(sub).join("encrypted-seed"), &b.bytes).unwrap();
    }
}
