//! What the fuzz targets in `fuzz/` run, here so that `cargo test` replays
//! their saved inputs (`fuzz/regressions/<target>/`) through the very same
//! code. Not an interface for anything else.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

use crate::archive::{verify, ArchiveReader, FileSource, Unlock};
use crate::format::toc::CopyFormat;
use crate::format::{DataKey, KeyBlock};
use crate::pg::copyscan::{CopyScanner, RowDigest};
use crate::pg::tap::{CopySink, Tap};

/// Opens an encrypted archive with its first key slot's bytes as the data
/// key, so fuzzing reaches the key block, the sealed TOC and sealed frames
/// (key wrapping is age's, fuzzed upstream).
pub struct SlotIsKey;

impl Unlock for SlotIsKey {
    fn unlock(&self, block: &KeyBlock) -> Result<DataKey, String> {
        DataKey::from_bytes(&block.slots[0].wrapped).map_err(|e| e.to_string())
    }
}

/// Any file at all: opening and verifying it must return an error or a
/// report, never panic, hang or allocate without bound.
pub fn archive_reader(data: &[u8]) {
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "pgsnap-fuzz-{}-{}.psnap",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, data).expect("write the fuzz input");
    if let Ok(source) = FileSource::open(&path) {
        if let Ok(r) = ArchiveReader::open_source(Box::new(source), &SlotIsKey) {
            let _ = verify(&r);
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Any bytes as a COPY stream, split in two at a point taken from the first
/// byte (whose high bit picks binary or text): must never panic, and the row
/// digest of the split stream must equal that of the whole one, with the
/// scanner's row count.
pub fn copy_scanner(data: &[u8]) {
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
}

/// Hands out `data` at most `step` bytes per read, never waiting.
pub struct Trickle {
    pub data: Vec<u8>,
    pub pos: usize,
    pub step: usize,
}

impl AsyncRead for Trickle {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = this
            .step
            .max(1)
            .min(buf.remaining())
            .min(this.data.len() - this.pos);
        buf.put_slice(&this.data[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

/// `data` read through a [`Tap`] `step` bytes at a time from the socket and
/// `out` at a time by the caller: what came through, the COPY data
/// diverted (chunks of `chunk` bytes, joined), and whether it ended in error.
pub fn through_tap(data: &[u8], step: usize, out: usize, chunk: usize) -> (Vec<u8>, Vec<u8>, bool) {
    let sink = CopySink::new(chunk, usize::MAX, Arc::default());
    let mut tap = Tap::new(
        Trickle {
            data: data.to_vec(),
            pos: 0,
            step,
        },
        Some(Arc::clone(&sink)),
    );
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let (mut passed, mut buf) = (Vec::new(), vec![0u8; out.max(1)]);
    let failed = loop {
        let mut rb = ReadBuf::new(&mut buf);
        match Pin::new(&mut tap).poll_read(&mut cx, &mut rb) {
            Poll::Ready(Ok(())) if rb.filled().is_empty() => break false,
            Poll::Ready(Ok(())) => passed.extend_from_slice(rb.filled()),
            Poll::Ready(Err(_)) => break true,
            Poll::Pending => panic!("the tap waited on a source that never waits"),
        }
    };
    let mut diverted = Vec::new();
    while let Some(chunk) = sink.try_chunk() {
        diverted.extend_from_slice(&chunk);
    }
    (passed, diverted, failed)
}

/// Any bytes as a server's messages, read through the COPY tap in pieces
/// whose sizes the first two bytes pick: must never panic or wait, and must
/// pass through and divert exactly what it does when read in one piece.
pub fn copy_tap(data: &[u8]) {
    let [step, out, rest @ ..] = data else {
        return;
    };
    let whole = through_tap(rest, usize::MAX, 1 << 20, 64);
    let pieces = through_tap(rest, usize::from(*step), usize::from(*out), 64);
    assert_eq!(whole, pieces);
    assert!(whole.0.len() + whole.1.len() <= rest.len());
}
