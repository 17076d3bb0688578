//! A `Write` wrapper that computes the SHA-256 of everything written through it,
//! so the archive's digest comes from the bytes as they are written, without a
//! second read of the file. The hasher is shared because the archive writer
//! owns (and boxes) the sink.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

pub struct HashingWriter<W> {
    inner: W,
    hasher: Arc<Mutex<Sha256>>,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`; the handle yields the digest once writing is done.
    pub fn new(inner: W) -> (HashingWriter<W>, DigestHandle) {
        let hasher = Arc::new(Mutex::new(Sha256::new()));
        (
            HashingWriter {
                inner,
                hasher: Arc::clone(&hasher),
            },
            DigestHandle(hasher),
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.lock().expect("hasher lock").update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The digest of what a [`HashingWriter`] has written so far.
pub struct DigestHandle(Arc<Mutex<Sha256>>);

impl DigestHandle {
    /// Lower-case hex SHA-256.
    pub fn hex(&self) -> String {
        let digest = self.0.lock().expect("hasher lock").clone().finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_written_bytes() {
        let (mut w, handle) = HashingWriter::new(Vec::new());
        w.write_all(b"a").unwrap();
        w.write_all(b"bc").unwrap();
        assert_eq!(
            handle.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
