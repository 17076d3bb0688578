//! Data frames: a 32-byte self-checking header and a (possibly compressed)
//! payload. Each frame names its stream and sequence number and carries both
//! lengths and two CRCs, so a damaged frame is found and named on its own,
//! without trusting the table of contents. In an encrypted archive the
//! (compressed) payload is sealed as well, bound to its stream, seq and
//! header (see [`super::seal`]).

use super::le::{put, u32_at};
use super::seal::{DataKey, TAG_LEN};
use super::FormatError;

/// Length of an encoded frame header.
pub const FRAME_HEADER_LEN: usize = 32;
/// Largest raw (decompressed) payload a frame may carry.
pub const MAX_FRAME_RAW: u32 = 64 << 20;
/// Largest stored payload: `MAX_FRAME_RAW` plus room for zstd's worst case.
pub const MAX_FRAME_STORED: u32 = MAX_FRAME_RAW + (64 << 10);
/// Raw bytes per frame the writer aims for.
pub const DEFAULT_CHUNK: usize = 4 << 20;
/// Magic bytes that open every frame header.
pub const FRAME_MAGIC: [u8; 4] = *b"PSFR";
/// Frame flag (byte 13): the payload is sealed (format 2).
pub const FRAME_SEALED: u8 = 1;
/// How many leading header bytes a sealed payload's authentication covers.
pub const FRAME_AAD_LEN: usize = 24;

const WHAT: &str = "frame header";

/// How a frame's payload is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// Stored as is (codec byte 0).
    Stored,
    /// One or more zstd frames (codec byte 1).
    Zstd,
}

impl Codec {
    pub fn as_u8(self) -> u8 {
        match self {
            Codec::Stored => 0,
            Codec::Zstd => 1,
        }
    }

    pub fn from_u8(b: u8) -> Option<Codec> {
        match b {
            0 => Some(Codec::Stored),
            1 => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub stream: u32,
    pub seq: u32,
    pub codec: Codec,
    /// The payload is sealed with the archive's data key.
    pub sealed: bool,
    pub raw_len: u32,
    pub stored_len: u32,
    /// CRC-32 of the stored payload bytes (after sealing).
    pub payload_crc: u32,
}

impl FrameHeader {
    pub fn encode(&self) -> [u8; FRAME_HEADER_LEN] {
        let mut b = [0u8; FRAME_HEADER_LEN];
        put(&mut b, 0, &FRAME_MAGIC);
        put(&mut b, 4, &self.stream.to_le_bytes());
        put(&mut b, 8, &self.seq.to_le_bytes());
        b[12] = self.codec.as_u8();
        b[13] = if self.sealed { FRAME_SEALED } else { 0 };
        // 14..16 reserved, zero.
        put(&mut b, 16, &self.raw_len.to_le_bytes());
        put(&mut b, 20, &self.stored_len.to_le_bytes());
        put(&mut b, 24, &self.payload_crc.to_le_bytes());
        let crc = crc32fast::hash(&b[..28]);
        put(&mut b, 28, &crc.to_le_bytes());
        b
    }

    /// Decodes the first [`FRAME_HEADER_LEN`] bytes of `b` and checks every
    /// field's bounds (extra bytes are ignored).
    pub fn decode(b: &[u8]) -> Result<FrameHeader, FormatError> {
        if b.len() < FRAME_HEADER_LEN {
            return Err(FormatError::truncated(WHAT, FRAME_HEADER_LEN, b.len()));
        }
        if b[..4] != FRAME_MAGIC {
            return Err(FormatError::bad_magic(WHAT));
        }
        if crc32fast::hash(&b[..28]) != u32_at(b, 28) {
            return Err(FormatError::checksum(WHAT));
        }
        let codec = Codec::from_u8(b[12])
            .ok_or_else(|| FormatError::invalid(WHAT, format!("unknown codec {}", b[12])))?;
        if b[13] & !FRAME_SEALED != 0 || b[14..16] != [0, 0] {
            return Err(FormatError::invalid(
                WHAT,
                "unknown flags or reserved bytes are not zero",
            ));
        }
        let sealed = b[13] == FRAME_SEALED;
        let h = FrameHeader {
            stream: u32_at(b, 4),
            seq: u32_at(b, 8),
            codec,
            sealed,
            raw_len: u32_at(b, 16),
            stored_len: u32_at(b, 20),
            payload_crc: u32_at(b, 24),
        };
        if h.raw_len > MAX_FRAME_RAW {
            return Err(FormatError::invalid(
                WHAT,
                format!("raw length {} exceeds {MAX_FRAME_RAW}", h.raw_len),
            ));
        }
        if h.stored_len > MAX_FRAME_STORED {
            return Err(FormatError::invalid(
                WHAT,
                format!("stored length {} exceeds {MAX_FRAME_STORED}", h.stored_len),
            ));
        }
        let overhead = if sealed { TAG_LEN as u32 } else { 0 };
        if h.codec == Codec::Stored && h.stored_len != h.raw_len + overhead {
            return Err(FormatError::invalid(
                WHAT,
                format!(
                    "uncompressed frame with stored length {} != raw length {}{}",
                    h.stored_len,
                    h.raw_len,
                    if sealed { " + 16" } else { "" }
                ),
            ));
        }
        if h.stored_len < overhead {
            return Err(FormatError::invalid(
                WHAT,
                format!(
                    "sealed frame of {} bytes is shorter than its tag",
                    h.stored_len
                ),
            ));
        }
        Ok(h)
    }
}

/// A frame ready to be appended to an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    pub stream: u32,
    pub seq: u32,
    pub raw_len: u32,
    /// Frame header followed by the stored payload.
    pub bytes: Vec<u8>,
}

impl EncodedFrame {
    /// Length of the payload as stored (after the header).
    pub fn stored_len(&self) -> u32 {
        // Encoding bounds the payload by MAX_FRAME_STORED, so this fits.
        (self.bytes.len() - FRAME_HEADER_LEN) as u32
    }
}

/// Encodes `raw` as frame `seq` of `stream`. `level` 0 stores the bytes as
/// they are; any other level compresses with zstd at that level, falling back
/// to storing when compression does not make the payload smaller. With a
/// `key` (encrypted archives) the payload is then sealed.
pub fn encode_frame(
    stream: u32,
    seq: u32,
    raw: &[u8],
    level: i32,
    key: Option<&DataKey>,
) -> Result<EncodedFrame, FormatError> {
    let raw_len = u32::try_from(raw.len())
        .ok()
        .filter(|&n| n <= MAX_FRAME_RAW)
        .ok_or_else(|| {
            FormatError::invalid(
                "frame",
                format!(
                    "{} raw bytes exceed the {MAX_FRAME_RAW}-byte limit",
                    raw.len()
                ),
            )
        })?;
    let compressed = if level == 0 {
        None
    } else {
        let c = zstd::bulk::compress(raw, level)
            .map_err(|e| FormatError::compression("frame", format!("zstd: {e}")))?;
        (c.len() < raw.len()).then_some(c)
    };
    let (codec, payload) = match &compressed {
        Some(c) => (Codec::Zstd, c.as_slice()),
        None => (Codec::Stored, raw),
    };
    let mut header = FrameHeader {
        stream,
        seq,
        codec,
        sealed: key.is_some(),
        raw_len,
        stored_len: (payload.len() + if key.is_some() { TAG_LEN } else { 0 }) as u32,
        payload_crc: 0,
    };
    let sealed = key.map(|k| {
        let aad = header.encode();
        k.seal_frame(stream, seq, &aad[..FRAME_AAD_LEN], payload.to_vec())
    });
    let payload = sealed.as_deref().unwrap_or(payload);
    header.payload_crc = crc32fast::hash(payload);
    let mut bytes = Vec::with_capacity(FRAME_HEADER_LEN + payload.len());
    bytes.extend_from_slice(&header.encode());
    bytes.extend_from_slice(payload);
    Ok(EncodedFrame {
        stream,
        seq,
        raw_len,
        bytes,
    })
}

/// Checks the stored payload of the frame `h` and returns its raw bytes.
/// Never allocates more than `h.raw_len` bytes for the output. `key` is the
/// archive's data key when it is encrypted: then every frame must be sealed,
/// otherwise none may be (a frame swapped in from elsewhere is refused).
pub fn decode_payload(
    h: &FrameHeader,
    stored: &[u8],
    key: Option<&DataKey>,
) -> Result<Vec<u8>, FormatError> {
    const WHAT: &str = "frame payload";
    check_payload(h, stored)?;
    let opened = match (key, h.sealed) {
        (Some(k), true) => {
            Some(k.open_frame(h.stream, h.seq, &h.encode()[..FRAME_AAD_LEN], stored)?)
        }
        (None, false) => None,
        (Some(_), false) => {
            return Err(FormatError::invalid(
                WHAT,
                "is not sealed, but the archive is encrypted (a frame was substituted)",
            ))
        }
        (None, true) => {
            return Err(FormatError::invalid(
                WHAT,
                "is sealed, but the archive is not encrypted",
            ))
        }
    };
    let stored = opened.as_deref().unwrap_or(stored);
    let raw = match h.codec {
        Codec::Stored => stored.to_vec(),
        Codec::Zstd => zstd::bulk::decompress(stored, h.raw_len as usize).map_err(|e| {
            FormatError::compression(
                WHAT,
                format!("does not decompress to {} bytes: {e}", h.raw_len),
            )
        })?,
    };
    if raw.len() != h.raw_len as usize {
        return Err(FormatError::compression(
            WHAT,
            format!(
                "decompresses to {} bytes, header says {}",
                raw.len(),
                h.raw_len
            ),
        ));
    }
    Ok(raw)
}

/// Checks the stored payload's length and CRC against its header, without
/// decompressing it.
pub fn check_payload(h: &FrameHeader, stored: &[u8]) -> Result<(), FormatError> {
    const WHAT: &str = "frame payload";
    if stored.len() != h.stored_len as usize {
        return Err(FormatError::truncated(
            WHAT,
            h.stored_len as usize,
            stored.len(),
        ));
    }
    if crc32fast::hash(stored) != h.payload_crc {
        return Err(FormatError::checksum(WHAT));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| b"row,value,42\n"[i % 13]).collect()
    }

    fn decode_all(bytes: &[u8]) -> Result<Vec<u8>, FormatError> {
        let h = FrameHeader::decode(bytes)?;
        decode_payload(&h, &bytes[FRAME_HEADER_LEN..], None)
    }

    #[test]
    fn round_trip_stored_and_zstd() {
        let raw = sample(100_000);
        for level in [0, 1, 3, 19] {
            let f = encode_frame(7, 3, &raw, level, None).unwrap();
            let h = FrameHeader::decode(&f.bytes).unwrap();
            assert_eq!((h.stream, h.seq, h.raw_len), (7, 3, 100_000));
            assert_eq!(h.stored_len, f.stored_len());
            let want = if level == 0 {
                Codec::Stored
            } else {
                Codec::Zstd
            };
            assert_eq!(h.codec, want);
            assert_eq!(decode_all(&f.bytes).unwrap(), raw);
        }
    }

    #[test]
    fn incompressible_and_empty_are_stored() {
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        for raw in [noise, Vec::new()] {
            let f = encode_frame(1, 0, &raw, 3, None).unwrap();
            assert_eq!(FrameHeader::decode(&f.bytes).unwrap().codec, Codec::Stored);
            assert_eq!(decode_all(&f.bytes).unwrap(), raw);
        }
    }

    #[test]
    fn every_flipped_byte_is_rejected() {
        for level in [0, 3] {
            let f = encode_frame(2, 5, &sample(300), level, None).unwrap();
            for i in 0..f.bytes.len() {
                let mut d = f.bytes.clone();
                d[i] ^= 0x40;
                assert!(decode_all(&d).is_err(), "level {level} byte {i}");
            }
        }
    }

    #[test]
    fn truncated_inputs_are_rejected() {
        let f = encode_frame(2, 5, &sample(300), 3, None).unwrap();
        for n in 0..f.bytes.len() {
            assert!(decode_all(&f.bytes[..n]).is_err(), "{n}");
        }
    }

    fn forge(h: FrameHeader, payload: &[u8]) -> Vec<u8> {
        let mut v = h.encode().to_vec();
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn lying_lengths_are_rejected() {
        let raw = sample(1000);
        let c = zstd::bulk::compress(&raw, 3).unwrap();
        let good = FrameHeader {
            stream: 0,
            seq: 0,
            codec: Codec::Zstd,
            sealed: false,
            raw_len: 1000,
            stored_len: c.len() as u32,
            payload_crc: crc32fast::hash(&c),
        };
        assert_eq!(decode_all(&forge(good, &c)).unwrap(), raw);
        for raw_len in [999, 1001, 0] {
            let e = decode_all(&forge(FrameHeader { raw_len, ..good }, &c)).unwrap_err();
            assert!(e.is_damage(), "{e}");
        }
        let stored = FrameHeader {
            codec: Codec::Stored,
            raw_len: 5,
            stored_len: 4,
            ..good
        };
        assert!(FrameHeader::decode(&stored.encode()).is_err());
        let huge = FrameHeader {
            raw_len: MAX_FRAME_RAW + 1,
            ..good
        };
        assert!(FrameHeader::decode(&huge.encode()).is_err());
        let huge = FrameHeader {
            stored_len: MAX_FRAME_STORED + 1,
            ..good
        };
        assert!(FrameHeader::decode(&huge.encode()).is_err());
    }

    #[test]
    fn sealed_frames_round_trip_and_refuse_tampering() {
        let (key, _) = DataKey::generate().unwrap();
        let raw = sample(5000);
        for level in [0, 3] {
            let f = encode_frame(4, 2, &raw, level, Some(&key)).unwrap();
            let h = FrameHeader::decode(&f.bytes).unwrap();
            assert!(h.sealed);
            let stored = &f.bytes[FRAME_HEADER_LEN..];
            assert_eq!(decode_payload(&h, stored, Some(&key)).unwrap(), raw);
            if level == 0 {
                assert_ne!(&stored[..raw.len()], &raw[..], "stored in the clear");
            }
            assert!(decode_payload(&h, stored, None).is_err());
            let (other, _) = DataKey::generate().unwrap();
            assert!(decode_payload(&h, stored, Some(&other)).is_err());
            // Fix the CRCs after a change, as a forger would: the seal still fails.
            for i in [0, stored.len() / 2, stored.len() - 1] {
                let mut d = stored.to_vec();
                d[i] ^= 4;
                let h2 = FrameHeader {
                    payload_crc: crc32fast::hash(&d),
                    ..h
                };
                let e = decode_payload(&h2, &d, Some(&key)).unwrap_err();
                assert!(e.to_string().contains("authentication"), "{e}");
            }
            let moved = FrameHeader { seq: 3, ..h };
            assert!(decode_payload(&moved, stored, Some(&key)).is_err());
        }
        let plain = encode_frame(4, 2, &raw, 3, None).unwrap();
        let h = FrameHeader::decode(&plain.bytes).unwrap();
        let e = decode_payload(&h, &plain.bytes[FRAME_HEADER_LEN..], Some(&key)).unwrap_err();
        assert!(e.to_string().contains("substituted"), "{e}");
    }

    #[test]
    fn oversized_raw_input_is_refused() {
        let raw = vec![0u8; MAX_FRAME_RAW as usize + 1];
        assert!(encode_frame(0, 0, &raw, 0, None).is_err());
    }
}
