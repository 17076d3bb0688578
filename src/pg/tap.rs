//! The lean path for `COPY ... TO STDOUT` data: a stream wrapper that sits
//! under tokio-postgres on a backup worker's connection and takes the
//! payloads of `CopyData` messages straight out of the socket's bytes into
//! chunk buffers ([`CopySink`]), passing every other message through.
//!
//! The server sends one `CopyData` message per row; through tokio-postgres
//! each becomes a message parsed, a reference-counted buffer, a channel
//! item and a stream poll. Here a row costs a five-byte header read and a
//! copy into the chunk being filled. tokio-postgres still sees the whole
//! conversation except the rows (`CopyOutResponse`, `CopyDone`,
//! `CommandComplete`, errors), so a COPY ends, or fails, through it as before.
//!
//! This module owns the message framing only (type byte, big-endian length
//! that counts itself); it does not interpret any message body.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_postgres::tls::{ChannelBinding, TlsConnect, TlsStream};

/// Bytes read from the socket at a time.
const INPUT: usize = 256 << 10;

/// Chunk buffers, reused once their contents have been handed on, so that
/// each chunk is not a fresh allocation to fault in.
#[derive(Debug, Default)]
pub struct ChunkPool(Mutex<Vec<BytesMut>>);

impl ChunkPool {
    /// An empty buffer of at least `capacity` bytes.
    pub fn take(&self, capacity: usize) -> BytesMut {
        let mut buf = self
            .0
            .lock()
            .expect("chunk pool lock")
            .pop()
            .unwrap_or_default();
        buf.reserve(capacity);
        buf
    }

    /// Gives a buffer back for reuse.
    pub fn put(&self, mut buf: BytesMut) {
        buf.clear();
        self.0.lock().expect("chunk pool lock").push(buf);
    }
}

/// Where a tapped connection's COPY data goes (or what an untapped one's
/// caller feeds it): chunks of exactly `chunk` bytes, the last of each COPY
/// shorter; at most `depth` wait to be taken before a tapped connection
/// stops reading (so memory stays bounded).
#[derive(Debug)]
pub struct CopySink {
    chunk: usize,
    depth: usize,
    pool: Arc<ChunkPool>,
    state: Mutex<SinkState>,
}

#[derive(Debug, Default)]
struct SinkState {
    filling: BytesMut,
    ready: VecDeque<BytesMut>,
    consumer: Option<Waker>,
    producer: Option<Waker>,
}

impl CopySink {
    pub fn new(chunk: usize, depth: usize, pool: Arc<ChunkPool>) -> Arc<CopySink> {
        Arc::new(CopySink {
            chunk: chunk.max(1),
            depth: depth.max(1),
            pool,
            state: Mutex::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SinkState> {
        self.state.lock().expect("copy sink lock")
    }

    /// The next finished chunk, waiting for one.
    pub fn poll_chunk(&self, cx: &mut Context<'_>) -> Poll<BytesMut> {
        let mut st = self.lock();
        match st.ready.pop_front() {
            Some(chunk) => {
                if let Some(w) = st.producer.take() {
                    w.wake();
                }
                Poll::Ready(chunk)
            }
            None => {
                st.consumer = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Waits for the next finished chunk.
    pub fn next_chunk(&self) -> impl Future<Output = BytesMut> + '_ {
        std::future::poll_fn(move |cx| self.poll_chunk(cx))
    }

    /// A finished chunk if one is there (once the COPY has ended, the rest).
    pub fn try_chunk(&self) -> Option<BytesMut> {
        self.lock().ready.pop_front()
    }

    /// Takes bytes up to the end of the chunk being filled; returns how many,
    /// or `None` when a finished chunk has no room to wait in (the reader is
    /// woken once it has).
    fn push(&self, st: &mut SinkState, cx: &mut Context<'_>, bytes: &[u8]) -> Option<usize> {
        if st.filling.len() == self.chunk && !self.finish_chunk(st, cx) {
            return None;
        }
        let take = self.fill(st, bytes);
        if st.filling.len() == self.chunk {
            // Handed on now if there is room, else before the next byte.
            self.finish_chunk(st, &mut Context::from_waker(std::task::Waker::noop()));
        }
        Some(take)
    }

    /// Appends bytes up to the end of the chunk being filled; returns how many.
    fn fill(&self, st: &mut SinkState, bytes: &[u8]) -> usize {
        if st.filling.capacity() == 0 {
            st.filling = self.pool.take(self.chunk);
        }
        let take = bytes.len().min(self.chunk - st.filling.len());
        st.filling.extend_from_slice(&bytes[..take]);
        take
    }

    /// COPY data that came through tokio-postgres instead (a connection
    /// left untapped), chunked the same way. No room is waited for: the
    /// caller is the one who takes the chunks.
    pub fn feed(&self, mut bytes: &[u8]) {
        let mut st = self.lock();
        while !bytes.is_empty() {
            if st.filling.len() == self.chunk {
                let full = std::mem::take(&mut st.filling);
                st.ready.push_back(full);
            }
            let take = self.fill(&mut st, bytes);
            bytes = &bytes[take..];
        }
    }

    /// The COPY has ended: its last, partial chunk is finished. A tap does
    /// this itself; for a connection left untapped the caller does.
    pub fn flush(&self) {
        self.end_of_copy(&mut self.lock(), true);
    }

    /// Moves the full chunk to the waiting ones if there is room; if not,
    /// registers `cx` to be woken when there is.
    fn finish_chunk(&self, st: &mut SinkState, cx: &mut Context<'_>) -> bool {
        if st.ready.len() >= self.depth {
            st.producer = Some(cx.waker().clone());
            return false;
        }
        let full = std::mem::take(&mut st.filling);
        st.ready.push_back(full);
        if let Some(w) = st.consumer.take() {
            w.wake();
        }
        true
    }

    /// The COPY ended: its last, partial chunk is finished (`keep`), or,
    /// when it failed, dropped.
    fn end_of_copy(&self, st: &mut SinkState, keep: bool) {
        let rest = std::mem::take(&mut st.filling);
        if keep && !rest.is_empty() {
            st.ready.push_back(rest);
        } else if rest.capacity() > 0 {
            self.pool.put(rest);
        }
        if let Some(w) = st.consumer.take() {
            w.wake();
        }
    }
}

/// Where the reader is in the message stream.
#[derive(Debug, Clone, Copy)]
enum Msg {
    /// At the start of a message.
    Boundary,
    /// This many more bytes of a message to hand to tokio-postgres.
    Pass(usize),
    /// This many more bytes of a `CopyData` payload for the sink.
    Divert(usize),
}

/// A stream that diverts COPY data to a [`CopySink`]; with no sink it is a
/// plain pass-through (the socket under a TLS session, say).
pub struct Tap<S> {
    inner: S,
    sink: Option<Arc<CopySink>>,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    msg: Msg,
    copying: bool,
    /// A framing error found after bytes were already handed over in the
    /// same read: reported by the next read, so that what came before it
    /// arrives whatever the read sizes.
    broken: Option<io::Error>,
}

impl<S> Tap<S> {
    pub fn new(inner: S, sink: Option<Arc<CopySink>>) -> Tap<S> {
        Tap {
            inner,
            input: if sink.is_some() {
                vec![0; INPUT].into_boxed_slice()
            } else {
                Box::default()
            },
            sink,
            start: 0,
            end: 0,
            msg: Msg::Boundary,
            copying: false,
            broken: None,
        }
    }

    /// Moves the buffered bytes along: into `out` for tokio-postgres, or to
    /// the sink. Stops when `out` is full, the input is used up, or the sink
    /// has no room (then returns false, with the waker registered).
    fn process(
        &mut self,
        sink: &CopySink,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> io::Result<bool> {
        // One lock for the whole buffer, not one per row.
        let mut st = sink.lock();
        while self.start < self.end && out.remaining() > 0 {
            let avail = &self.input[self.start..self.end];
            match self.msg {
                Msg::Boundary => {
                    if avail.len() < 5 {
                        break;
                    }
                    let tag = avail[0];
                    let len = u32::from_be_bytes([avail[1], avail[2], avail[3], avail[4]]) as usize;
                    if len < 4 {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("the server sent a message of length {len}"),
                        ));
                    }
                    if self.copying && tag == b'd' {
                        self.start += 5;
                        self.msg = Msg::Divert(len - 4);
                        continue;
                    }
                    match tag {
                        b'H' => self.copying = true,
                        b'c' if self.copying => {
                            sink.end_of_copy(&mut st, true);
                            self.copying = false;
                        }
                        b'E' if self.copying => {
                            sink.end_of_copy(&mut st, false);
                            self.copying = false;
                        }
                        _ => {}
                    }
                    self.msg = Msg::Pass(len + 1);
                }
                Msg::Pass(n) => {
                    let k = n.min(avail.len()).min(out.remaining());
                    out.put_slice(&avail[..k]);
                    self.start += k;
                    self.msg = if k == n {
                        Msg::Boundary
                    } else {
                        Msg::Pass(n - k)
                    };
                }
                Msg::Divert(n) => {
                    let Some(k) = sink.push(&mut st, cx, &avail[..n.min(avail.len())]) else {
                        return Ok(false);
                    };
                    self.start += k;
                    self.msg = if k == n {
                        Msg::Boundary
                    } else {
                        Msg::Divert(n - k)
                    };
                }
            }
        }
        Ok(true)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(sink) = this.sink.clone() else {
            return Pin::new(&mut this.inner).poll_read(cx, out);
        };
        if let Some(e) = this.broken.take() {
            return Poll::Ready(Err(e));
        }
        let before = out.filled().len();
        loop {
            let go_on = match this.process(&sink, cx, out) {
                Ok(go_on) => go_on,
                Err(e) if out.filled().len() > before => {
                    this.broken = Some(e);
                    return Poll::Ready(Ok(()));
                }
                Err(e) => return Poll::Ready(Err(e)),
            };
            if out.filled().len() > before || out.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if !go_on {
                return Poll::Pending;
            }
            if this.start == this.end {
                this.start = 0;
                this.end = 0;
            } else if this.end == this.input.len() {
                this.input.copy_within(this.start..this.end, 0);
                this.end -= this.start;
                this.start = 0;
            }
            let mut rb = ReadBuf::new(&mut this.input[this.end..]);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    let n = rb.filled().len();
                    if n == 0 {
                        // End of stream: tokio-postgres reports the closed connection.
                        return Poll::Ready(Ok(()));
                    }
                    this.end += n;
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<S: TlsStream + Unpin> TlsStream for Tap<S> {
    fn channel_binding(&self) -> ChannelBinding {
        self.inner.channel_binding()
    }
}

/// A TLS connector whose sessions are tapped above the encryption.
pub struct TapTls<T> {
    pub inner: T,
    pub sink: Arc<CopySink>,
}

type TapFuture<T, E> = Pin<Box<dyn Future<Output = Result<Tap<T>, E>> + Send>>;

impl<S, T> TlsConnect<S> for TapTls<T>
where
    T: TlsConnect<S>,
    T::Future: Send + 'static,
    T::Stream: Unpin + Send + 'static,
{
    type Stream = Tap<T::Stream>;
    type Error = T::Error;
    type Future = TapFuture<T::Stream, T::Error>;

    fn connect(self, stream: S) -> Self::Future {
        let sink = self.sink;
        let handshake = self.inner.connect(stream);
        Box::pin(async move { Ok(Tap::new(handshake.await?, Some(sink))) })
    }
}

/// A TCP or Unix-domain socket.
pub enum RawSocket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl AsyncRead for RawSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            RawSocket::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            RawSocket::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for RawSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            RawSocket::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            RawSocket::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            RawSocket::Tcp(s) => Pin::new(s).poll_flush(cx),
            RawSocket::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            RawSocket::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            RawSocket::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::{through_tap, Trickle};
    use tokio::io::AsyncReadExt;

    fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![tag];
        m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    /// A conversation with one COPY of `rows`, a notice in its middle, and a
    /// stray `d` message before it (outside a COPY: passed through).
    fn conversation(rows: &[Vec<u8>], failed: bool) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let (mut all, mut passed, mut data) = (Vec::new(), Vec::new(), Vec::new());
        let mut both = |m: Vec<u8>, all: &mut Vec<u8>| {
            all.extend_from_slice(&m);
            passed.extend_from_slice(&m);
        };
        both(msg(b'd', b"not copy data"), &mut all);
        both(msg(b'Z', b"T"), &mut all);
        both(msg(b'H', &[1, 0, 0]), &mut all);
        for (i, row) in rows.iter().enumerate() {
            all.extend_from_slice(&msg(b'd', row));
            data.extend_from_slice(row);
            if i == rows.len() / 2 {
                both(msg(b'N', b"SNOTICE\0Mhello\0\0"), &mut all);
            }
        }
        if failed {
            both(msg(b'E', b"SERROR\0Mgone\0\0"), &mut all);
            data.clear();
        } else {
            both(msg(b'c', b""), &mut all);
            both(msg(b'C', b"COPY 9\0"), &mut all);
        }
        both(msg(b'Z', b"I"), &mut all);
        (all, passed, data)
    }

    fn rows() -> Vec<Vec<u8>> {
        (0..200u32)
            .map(|i| (0..(i * 37 % 300)).map(|b| (b ^ i) as u8).collect())
            .collect()
    }

    #[test]
    fn copy_data_is_diverted_whatever_the_read_sizes() {
        let (all, want_passed, want_data) = conversation(&rows(), false);
        for step in [1, 2, 3, 5, 7, 64, 1000, 1 << 20] {
            for out in [1, 6, 4096] {
                let got = through_tap(&all, step, out, 1000);
                assert_eq!(got, (want_passed.clone(), want_data.clone(), false));
            }
        }
    }

    #[test]
    fn chunks_are_full_but_the_last() {
        let (all, _, want_data) = conversation(&rows(), false);
        let sink = CopySink::new(1000, usize::MAX, Arc::default());
        let mut tap = Tap::new(
            Trickle {
                data: all,
                pos: 0,
                step: 77,
            },
            Some(Arc::clone(&sink)),
        );
        futures_util::FutureExt::now_or_never(tap.read_to_end(&mut Vec::new()))
            .expect("never waits")
            .unwrap();
        let chunks: Vec<BytesMut> = std::iter::from_fn(|| sink.try_chunk()).collect();
        assert_eq!(chunks.len(), want_data.len().div_ceil(1000));
        assert!(chunks[..chunks.len() - 1].iter().all(|c| c.len() == 1000));
    }

    #[test]
    fn rows_fed_from_an_untapped_connection_are_chunked_alike() {
        let rows = rows();
        let sink = CopySink::new(1000, 1, Arc::default());
        for row in &rows {
            sink.feed(row);
        }
        sink.flush();
        let chunks: Vec<BytesMut> = std::iter::from_fn(|| sink.try_chunk()).collect();
        assert_eq!(chunks.concat(), rows.concat());
        assert!(chunks[..chunks.len() - 1].iter().all(|c| c.len() == 1000));
    }

    #[test]
    fn a_failed_copy_leaves_no_partial_chunk() {
        let (all, want_passed, _) = conversation(&rows(), true);
        assert_eq!(
            through_tap(&all, 13, 100, 1 << 20),
            (want_passed, Vec::new(), false)
        );
    }

    #[test]
    fn a_bad_length_is_an_error() {
        let (passed, _, failed) = through_tap(&[b'Z', 0, 0, 0, 3, 0], 100, 16, 10);
        assert!(failed && passed.is_empty());
    }

    #[tokio::test]
    async fn a_full_sink_stops_the_reading_until_a_chunk_is_taken() {
        let (all, want_passed, want_data) = conversation(&rows(), false);
        let sink = CopySink::new(100, 1, Arc::default());
        let mut tap = Tap::new(
            Trickle {
                data: all,
                pos: 0,
                step: 1 << 20,
            },
            Some(Arc::clone(&sink)),
        );
        let reader = async {
            let mut passed = Vec::new();
            tap.read_to_end(&mut passed).await.unwrap();
            passed
        };
        let taker = async {
            let mut data = Vec::new();
            while data.len() < want_data.len() {
                assert!(sink.lock().ready.len() <= 1);
                data.extend_from_slice(&sink.next_chunk().await);
                tokio::task::yield_now().await;
            }
            data
        };
        let (passed, data) = tokio::join!(reader, taker);
        assert_eq!(passed, want_passed);
        assert_eq!(data, want_data);
    }
}
