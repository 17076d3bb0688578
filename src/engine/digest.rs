//! The archive's SHA-256: a `Write` wrapper that computes it from the bytes as
//! they are written, without a second read of the file (the hasher is shared
//! because the archive writer owns and boxes the sink), and [`file_sha256`],
//! which reads a published archive back to compare with its metadata.

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

/// Lower-case hex SHA-256 of a whole file.
pub fn file_sha256(path: &std::path::Path) -> io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf)? {
            0 => return Ok(hex(&hasher.finalize())),
            n => hasher.update(&buf[..n]),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of what a [`HashingWriter`] has written so far.
pub struct DigestHandle(Arc<Mutex<Sha256>>);

impl DigestHandle {
    /// Lower-case hex SHA-256.
    pub fn hex(&self) -> String {
        hex(&self.0.lock().expect("hasher lock").clone().finalize())
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
