//! Codec throughput on realistic COPY data, no database needed: frame
//! encode/decode at zstd levels 1, 3 and 6, the CRC-32 every frame and stream
//! carries, the COPY scanner, and the tap that takes COPY data off a worker's
//! socket (one message per row).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pgsnap::format::toc::CopyFormat;
use pgsnap::format::{decode_payload, encode_frame, FrameHeader, DEFAULT_CHUNK, FRAME_HEADER_LEN};
use pgsnap::pg::copyscan::CopyScanner;

/// About `DEFAULT_CHUNK` bytes of binary COPY for an orders-like table:
/// (int8 id, int4 customer, timestamptz, numeric-ish text, nullable text).
fn copy_data() -> Vec<u8> {
    let mut v = b"PGCOPY\n\xff\r\n\0".to_vec();
    v.extend_from_slice(&0i32.to_be_bytes());
    v.extend_from_slice(&0i32.to_be_bytes());
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut id = 0i64;
    while v.len() < DEFAULT_CHUNK - 64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        id += 1;
        v.extend_from_slice(&5i16.to_be_bytes());
        let mut field = |b: &[u8]| {
            v.extend_from_slice(&(b.len() as i32).to_be_bytes());
            v.extend_from_slice(b);
        };
        field(&id.to_be_bytes());
        field(&((x % 10_000) as i32).to_be_bytes());
        field(&(700_000_000_000_000i64 + id * 1_000_003).to_be_bytes());
        field(format!("{}.{:02}", x % 100_000, x % 100).as_bytes());
        if x.is_multiple_of(4) {
            v.extend_from_slice(&(-1i32).to_be_bytes());
        } else {
            let notes = ["deliver to back door", "gift", "call first", "fragile"];
            field(notes[(x % 4) as usize].as_bytes());
        }
    }
    v.extend_from_slice(&(-1i16).to_be_bytes());
    v
}

fn frames(c: &mut Criterion) {
    let raw = copy_data();
    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.sample_size(20);
    for level in [1, 3, 6] {
        g.bench_with_input(BenchmarkId::new("encode", level), &raw, |b, raw| {
            b.iter(|| encode_frame(1, 0, raw, level, None).unwrap())
        });
        let f = encode_frame(1, 0, &raw, level, None).unwrap();
        let h = FrameHeader::decode(&f.bytes).unwrap();
        g.bench_with_input(BenchmarkId::new("decode", level), &f, |b, f| {
            b.iter(|| decode_payload(&h, &f.bytes[FRAME_HEADER_LEN..], None).unwrap())
        });
    }
    g.finish();
}

fn checksum(c: &mut Criterion) {
    let raw = copy_data();
    let mut g = c.benchmark_group("checksum");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.bench_function("crc32", |b| b.iter(|| crc32fast::hash(&raw)));
    g.finish();
}

fn scanner(c: &mut Criterion) {
    let raw = copy_data();
    let mut g = c.benchmark_group("copyscan");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    for chunk in [8 << 10, 1 << 20] {
        g.bench_with_input(BenchmarkId::new("binary", chunk), &raw, |b, raw| {
            b.iter(|| {
                let mut s = CopyScanner::new(CopyFormat::Binary);
                for c in raw.chunks(chunk) {
                    s.feed(c).unwrap();
                }
                s.finish().unwrap()
            })
        });
    }
    g.finish();
}

/// The same data as the server sends it: one `CopyData` message per
/// 64-byte row, between the COPY's start and end messages.
fn copy_messages() -> Vec<u8> {
    let msg = |tag: u8, body: &[u8]| {
        let mut m = vec![tag];
        m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    };
    let mut v = msg(b'H', &[1, 0, 0]);
    for row in copy_data().chunks(64) {
        v.extend_from_slice(&msg(b'd', row));
    }
    v.extend_from_slice(&msg(b'c', b""));
    v.extend_from_slice(&msg(b'C', b"COPY 1\0"));
    v.extend_from_slice(&msg(b'Z', b"I"));
    v
}

fn tap(c: &mut Criterion) {
    let wire = copy_messages();
    let mut g = c.benchmark_group("tap");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    // Includes copying the input in and the chunks out (the driver's own work).
    g.bench_function("copy_data", |b| {
        b.iter(|| pgsnap::fuzzing::through_tap(&wire, 256 << 10, 64 << 10, DEFAULT_CHUNK))
    });
    g.finish();
}

criterion_group!(benches, frames, checksum, scanner, tap);
criterion_main!(benches);
