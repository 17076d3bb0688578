//! Encryption at rest (format 2): the key block that follows the file header
//! of an encrypted archive, and the AEAD (AES-256-GCM) that seals each frame
//! payload and the table of contents under the archive's data key.
//!
//! The data key is an input here. Wrapping it for recipients or a passphrase
//! is `crate::crypt`'s job: to this codec a key slot is opaque bytes. Nonces
//! are derived from where the sealed bytes belong (stream and seq for a
//! frame, a separate domain for the TOC), never stored: a data key is random
//! per archive, so a nonce never repeats under one key, and a frame moved to
//! another place no longer opens.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use super::le::{put, u32_at};
use super::FormatError;

/// Length of a data key.
pub const KEY_LEN: usize = 32;
/// Bytes the AEAD adds to what it seals.
pub const TAG_LEN: usize = 16;
/// Length of the key block's fixed part, before its slots.
pub const KEY_BLOCK_FIXED: usize = 16;
/// Largest key block body (slots) a reader accepts.
pub const MAX_KEY_BLOCK_BODY: u32 = 1 << 20;
/// Most key slots one archive may have.
pub const MAX_SLOTS: usize = 16;
/// Magic bytes that open the key block.
pub const KEY_BLOCK_MAGIC: [u8; 4] = *b"PSKB";
/// AEAD identifier in the key block: AES-256-GCM.
pub const AEAD_AES_256_GCM: u8 = 1;

const DOMAIN_FRAME: u32 = 0;
const DOMAIN_TOC: u32 = 1;
const WHAT: &str = "key block";

/// The random key one archive's frames and TOC are sealed with.
#[derive(Clone)]
pub struct DataKey(LessSafeKey);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// A fresh random key and its bytes (to be wrapped into key slots).
    pub fn generate() -> Result<(DataKey, [u8; KEY_LEN]), FormatError> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| FormatError::invalid("data key", "the system random source failed"))?;
        Ok((DataKey::from_bytes(&bytes)?, bytes))
    }

    /// The key whose bytes a key slot unwrapped to.
    pub fn from_bytes(bytes: &[u8]) -> Result<DataKey, FormatError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| {
            FormatError::invalid(
                "data key",
                format!("is {} bytes, not {KEY_LEN}", bytes.len()),
            )
        })?;
        Ok(DataKey(LessSafeKey::new(unbound)))
    }

    fn seal(&self, nonce: [u8; NONCE_LEN], aad: &[u8], mut plain: Vec<u8>) -> Vec<u8> {
        plain.reserve_exact(TAG_LEN);
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut plain,
            )
            .expect("AES-256-GCM seals any input under 64 GiB");
        plain
    }

    fn open(
        &self,
        what: &str,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, FormatError> {
        let mut buf = sealed.to_vec();
        let n = self
            .0
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| FormatError::authentication(what))?
            .len();
        buf.truncate(n);
        Ok(buf)
    }

    /// Seals a frame's stored payload; `aad` is the frame header's first 24
    /// bytes (everything but the CRCs, which cover the sealed bytes).
    pub fn seal_frame(&self, stream: u32, seq: u32, aad: &[u8], payload: Vec<u8>) -> Vec<u8> {
        self.seal(nonce(DOMAIN_FRAME, stream, seq), aad, payload)
    }

    /// Opens a sealed frame payload (see [`DataKey::seal_frame`]).
    pub fn open_frame(
        &self,
        stream: u32,
        seq: u32,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, FormatError> {
        self.open(
            "frame payload",
            nonce(DOMAIN_FRAME, stream, seq),
            aad,
            sealed,
        )
    }

    /// Seals the stored TOC; `aad` is [`toc_aad`]'s.
    pub fn seal_toc(&self, aad: &[u8], toc: Vec<u8>) -> Vec<u8> {
        self.seal(nonce(DOMAIN_TOC, 0, 0), aad, toc)
    }

    /// Opens the sealed TOC (see [`DataKey::seal_toc`]).
    pub fn open_toc(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, FormatError> {
        self.open("table of contents", nonce(DOMAIN_TOC, 0, 0), aad, sealed)
    }
}

fn nonce(domain: u32, stream: u32, seq: u32) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    put(&mut n, 0, &stream.to_le_bytes());
    put(&mut n, 4, &seq.to_le_bytes());
    put(&mut n, 8, &domain.to_le_bytes());
    n
}

/// What the TOC's seal authenticates besides the TOC: the file header and the
/// key block as written, and where the TOC lies. Tampering with any of them
/// makes the TOC fail to open.
pub fn toc_aad(header: &[u8], key_block: &[u8], toc_offset: u64, toc_raw_len: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + key_block.len() + 16);
    aad.extend_from_slice(header);
    aad.extend_from_slice(key_block);
    aad.extend_from_slice(&toc_offset.to_le_bytes());
    aad.extend_from_slice(&toc_raw_len.to_le_bytes());
    aad
}

/// Who a key slot's wrapped data key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// Public-key recipients (age X25519): slot byte 1.
    Recipients,
    /// A passphrase (age scrypt): slot byte 2.
    Passphrase,
}

impl SlotKind {
    fn as_u8(self) -> u8 {
        match self {
            SlotKind::Recipients => 1,
            SlotKind::Passphrase => 2,
        }
    }

    fn from_u8(b: u8) -> Option<SlotKind> {
        match b {
            1 => Some(SlotKind::Recipients),
            2 => Some(SlotKind::Passphrase),
            _ => None,
        }
    }
}

/// One wrapped copy of the data key: an age file (binary) whose plaintext is
/// the key's 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySlot {
    pub kind: SlotKind,
    pub wrapped: Vec<u8>,
}

/// The key block: the data key wrapped once per slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBlock {
    pub slots: Vec<KeySlot>,
}

impl KeyBlock {
    /// The encoded block: fixed part, then each slot (kind, 3 zero bytes,
    /// u32 length, wrapped bytes).
    pub fn encode(&self) -> Result<Vec<u8>, FormatError> {
        if self.slots.is_empty() || self.slots.len() > MAX_SLOTS {
            return Err(FormatError::invalid(
                WHAT,
                format!("{} key slots (1 to {MAX_SLOTS} allowed)", self.slots.len()),
            ));
        }
        let mut body = Vec::new();
        for s in &self.slots {
            body.push(s.kind.as_u8());
            body.extend_from_slice(&[0, 0, 0]);
            body.extend_from_slice(&(s.wrapped.len() as u32).to_le_bytes());
            body.extend_from_slice(&s.wrapped);
        }
        if body.len() > MAX_KEY_BLOCK_BODY as usize {
            return Err(FormatError::invalid(
                WHAT,
                format!(
                    "{} bytes of key slots exceed {MAX_KEY_BLOCK_BODY}",
                    body.len()
                ),
            ));
        }
        let mut b = vec![0u8; KEY_BLOCK_FIXED];
        put(&mut b, 0, &KEY_BLOCK_MAGIC);
        b[4] = AEAD_AES_256_GCM;
        b[5] = self.slots.len() as u8;
        put(&mut b, 8, &(body.len() as u32).to_le_bytes());
        b.extend_from_slice(&body);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&b[..12]);
        crc.update(&body);
        put(&mut b, 12, &crc.finalize().to_le_bytes());
        Ok(b)
    }

    /// From the block's first [`KEY_BLOCK_FIXED`] bytes, the length of the
    /// whole block (checked against the bounds, not yet against the CRC).
    pub fn encoded_len(fixed: &[u8]) -> Result<usize, FormatError> {
        if fixed.len() < KEY_BLOCK_FIXED {
            return Err(FormatError::truncated(WHAT, KEY_BLOCK_FIXED, fixed.len()));
        }
        if fixed[..4] != KEY_BLOCK_MAGIC {
            return Err(FormatError::bad_magic(WHAT));
        }
        let body = u32_at(fixed, 8);
        if body > MAX_KEY_BLOCK_BODY {
            return Err(FormatError::invalid(
                WHAT,
                format!("body of {body} bytes exceeds {MAX_KEY_BLOCK_BODY}"),
            ));
        }
        Ok(KEY_BLOCK_FIXED + body as usize)
    }

    /// Decodes a whole key block (exactly [`KeyBlock::encoded_len`] bytes).
    pub fn decode(b: &[u8]) -> Result<KeyBlock, FormatError> {
        let len = Self::encoded_len(b)?;
        if b.len() != len {
            return Err(FormatError::truncated(WHAT, len, b.len()));
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&b[..12]);
        crc.update(&b[KEY_BLOCK_FIXED..]);
        if crc.finalize() != u32_at(b, 12) {
            return Err(FormatError::checksum(WHAT));
        }
        if b[4] != AEAD_AES_256_GCM {
            return Err(FormatError::invalid(WHAT, format!("unknown AEAD {}", b[4])));
        }
        if b[6..8] != [0, 0] {
            return Err(FormatError::invalid(WHAT, "reserved bytes are not zero"));
        }
        let count = b[5] as usize;
        if count == 0 || count > MAX_SLOTS {
            return Err(FormatError::invalid(
                WHAT,
                format!("{count} key slots (1 to {MAX_SLOTS} allowed)"),
            ));
        }
        let mut slots = Vec::with_capacity(count);
        let mut at = KEY_BLOCK_FIXED;
        for i in 0..count {
            if b.len() - at < 8 {
                return Err(FormatError::invalid(WHAT, format!("slot {i} is cut short")));
            }
            let kind = SlotKind::from_u8(b[at]).ok_or_else(|| {
                FormatError::invalid(WHAT, format!("slot {i} has kind {}", b[at]))
            })?;
            if b[at + 1..at + 4] != [0, 0, 0] {
                return Err(FormatError::invalid(
                    WHAT,
                    format!("slot {i}: reserved bytes are not zero"),
                ));
            }
            let n = u32_at(b, at + 4) as usize;
            at += 8;
            if b.len() - at < n {
                return Err(FormatError::invalid(
                    WHAT,
                    format!("slot {i} claims {n} bytes, {} are left", b.len() - at),
                ));
            }
            slots.push(KeySlot {
                kind,
                wrapped: b[at..at + n].to_vec(),
            });
            at += n;
        }
        if at != b.len() {
            return Err(FormatError::invalid(
                WHAT,
                format!("{} bytes follow the last slot", b.len() - at),
            ));
        }
        Ok(KeyBlock { slots })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> KeyBlock {
        KeyBlock {
            slots: vec![
                KeySlot {
                    kind: SlotKind::Recipients,
                    wrapped: b"age-encryption.org/v1 for two recipients".to_vec(),
                },
                KeySlot {
                    kind: SlotKind::Passphrase,
                    wrapped: vec![7; 200],
                },
            ],
        }
    }

    #[test]
    fn key_block_round_trip_and_every_flip_rejected() {
        let b = block().encode().unwrap();
        assert_eq!(KeyBlock::encoded_len(&b).unwrap(), b.len());
        assert_eq!(KeyBlock::decode(&b).unwrap(), block());
        for i in 0..b.len() {
            let mut d = b.clone();
            d[i] ^= 0x10;
            let ok = KeyBlock::encoded_len(&d)
                .ok()
                .filter(|&n| n == d.len())
                .map(|_| KeyBlock::decode(&d));
            assert!(!matches!(ok, Some(Ok(_))), "byte {i}");
        }
        for n in 0..b.len() {
            assert!(KeyBlock::decode(&b[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn slot_counts_are_bounded() {
        assert!(KeyBlock { slots: vec![] }.encode().is_err());
        let many = KeyBlock {
            slots: vec![block().slots[0].clone(); MAX_SLOTS + 1],
        };
        assert!(many.encode().is_err());
    }

    #[test]
    fn frames_open_only_in_place_with_their_key() {
        let (key, _) = DataKey::generate().unwrap();
        let (other, _) = DataKey::generate().unwrap();
        let aad = [1u8; 24];
        let sealed = key.seal_frame(3, 9, &aad, b"payload".to_vec());
        assert_eq!(sealed.len(), 7 + TAG_LEN);
        assert_eq!(key.open_frame(3, 9, &aad, &sealed).unwrap(), b"payload");
        assert!(key.open_frame(3, 8, &aad, &sealed).is_err(), "moved frame");
        assert!(key.open_frame(4, 9, &aad, &sealed).is_err(), "other stream");
        assert!(key.open_frame(3, 9, &[2u8; 24], &sealed).is_err(), "header");
        assert!(other.open_frame(3, 9, &aad, &sealed).is_err(), "other key");
        assert!(key.open_toc(&aad, &sealed).is_err(), "TOC domain");
        for i in 0..sealed.len() {
            let mut d = sealed.clone();
            d[i] ^= 1;
            let e = key.open_frame(3, 9, &aad, &d).unwrap_err();
            assert!(e.is_damage() && e.to_string().contains("authentication"));
        }
    }

    #[test]
    fn data_key_bytes_round_trip() {
        let (key, bytes) = DataKey::generate().unwrap();
        let again = DataKey::from_bytes(&bytes).unwrap();
        let sealed = key.seal_toc(b"aad", b"toc".to_vec());
        assert_eq!(again.open_toc(b"aad", &sealed).unwrap(), b"toc");
        assert!(DataKey::from_bytes(&bytes[..31]).is_err());
    }
}
