//! The table of contents as stored on disk: UTF-8 JSON compressed with zstd.
//!
//! JSON, not bincode: a minor version can add fields that older readers
//! ignore, and a stranger can read the TOC with any JSON library. The TOC is
//! read once per archive, so its size and parse time do not matter.
//! Decoding also validates everything a reader later relies on (ids unique,
//! references resolve, frames lie inside the data area), so the rest of the
//! code can index with the TOC's numbers without re-checking them. In an
//! encrypted archive the stored TOC is sealed (see [`super::seal`]) and is
//! opened here, after its CRC and before decompression.

use std::collections::HashSet;
use std::io::Read;

use super::seal::DataKey;
use super::toc::Toc;
use super::{
    FormatError, Trailer, FRAME_HEADER_LEN, HEADER_LEN, MAX_FRAME_RAW, MAX_FRAME_STORED,
    MAX_TOC_RAW, PLAIN_MAJOR,
};

/// What a stored TOC is checked against besides its trailer.
#[derive(Debug, Clone, Copy)]
pub struct TocContext<'a> {
    /// The file header's major version, which the TOC must repeat.
    pub major: u16,
    /// Where the data area starts: after the header (and the key block).
    pub data_start: u64,
    /// For an encrypted archive, the data key and the TOC's additional
    /// authenticated data ([`super::seal::toc_aad`]).
    pub seal: Option<(&'a DataKey, &'a [u8])>,
}

impl TocContext<'_> {
    /// A plain (format 1) archive.
    pub fn plain() -> TocContext<'static> {
        TocContext {
            major: PLAIN_MAJOR,
            data_start: HEADER_LEN as u64,
            seal: None,
        }
    }
}

/// zstd level used for the TOC blob.
const TOC_LEVEL: i32 = 3;

/// Serialises and compresses `toc`; returns the stored bytes and the raw
/// (JSON) length, both of which go into the [`Trailer`].
pub fn encode_toc(toc: &Toc) -> Result<(Vec<u8>, u64), FormatError> {
    let json =
        serde_json::to_vec(toc).map_err(|e| FormatError::toc(format!("cannot serialise: {e}")))?;
    let raw_len = json.len() as u64;
    if raw_len > MAX_TOC_RAW {
        return Err(FormatError::toc(format!(
            "{raw_len} bytes of JSON exceed the {MAX_TOC_RAW}-byte limit"
        )));
    }
    let stored = zstd::bulk::compress(&json, TOC_LEVEL)
        .map_err(|e| FormatError::compression("table of contents", format!("zstd: {e}")))?;
    Ok((stored, raw_len))
}

/// Checks, opens (when sealed), decompresses (never past `t.toc_raw_len`),
/// parses and validates the stored table of contents described by trailer `t`.
pub fn decode_toc(stored: &[u8], t: &Trailer, cx: &TocContext) -> Result<Toc, FormatError> {
    const WHAT: &str = "table of contents";
    if stored.len() as u64 != t.toc_stored_len {
        return Err(FormatError::truncated(
            WHAT,
            usize::try_from(t.toc_stored_len).unwrap_or(usize::MAX),
            stored.len(),
        ));
    }
    if crc32fast::hash(stored) != t.toc_crc {
        return Err(FormatError::checksum(WHAT));
    }
    let opened = match cx.seal {
        Some((key, aad)) => Some(key.open_toc(aad, stored)?),
        None => None,
    };
    let stored = opened.as_deref().unwrap_or(stored);
    let bad = |e: std::io::Error| FormatError::compression(WHAT, format!("zstd: {e}"));
    let decoder = zstd::stream::read::Decoder::with_buffer(stored).map_err(bad)?;
    let mut json = Vec::new();
    // One byte past the promised length tells "too long" from "exact".
    decoder
        .take(t.toc_raw_len + 1)
        .read_to_end(&mut json)
        .map_err(bad)?;
    if json.len() as u64 != t.toc_raw_len {
        return Err(FormatError::compression(
            WHAT,
            format!(
                "decompresses to {}{} bytes, trailer says {}",
                json.len(),
                if json.len() as u64 > t.toc_raw_len {
                    "+"
                } else {
                    ""
                },
                t.toc_raw_len
            ),
        ));
    }
    let toc: Toc = serde_json::from_slice(&json)
        .map_err(|e| FormatError::toc(format!("invalid JSON: {e}")))?;
    validate_toc(&toc, cx, t.toc_offset)?;
    Ok(toc)
}

/// Checks the TOC's internal consistency and that every frame lies in the
/// data area, from `cx.data_start` to `toc_offset`.
pub fn validate_toc(toc: &Toc, cx: &TocContext, toc_offset: u64) -> Result<(), FormatError> {
    if toc.format_major != cx.major {
        return Err(FormatError::toc(format!(
            "format_major is {}, the file header says {}",
            toc.format_major, cx.major
        )));
    }
    let mut entry_ids = HashSet::with_capacity(toc.entries.len());
    for e in &toc.entries {
        if !entry_ids.insert(e.id) {
            return Err(FormatError::toc(format!(
                "entry id {} is used twice",
                e.id.0
            )));
        }
    }
    for e in &toc.entries {
        if let Some(d) = e
            .deps
            .iter()
            .chain(&e.belongs_to)
            .find(|d| !entry_ids.contains(d))
        {
            return Err(FormatError::toc(format!(
                "entry {} ({}) depends on entry {}, which does not exist",
                e.id.0, e.name, d.0
            )));
        }
    }
    let mut stream_ids = HashSet::with_capacity(toc.streams.len());
    for s in &toc.streams {
        let name = format!("stream {} ({}.{})", s.id.0, s.schema, s.table);
        if !stream_ids.insert(s.id) {
            return Err(FormatError::toc(format!("{name}: stream id is used twice")));
        }
        if !entry_ids.contains(&s.entry) {
            return Err(FormatError::toc(format!(
                "{name}: belongs to entry {}, which does not exist",
                s.entry.0
            )));
        }
        if u32::try_from(s.frames.len()).is_err() {
            return Err(FormatError::toc(format!("{name}: too many frames")));
        }
        if let Some(p) = &s.part {
            if p.index >= p.count || p.end_block.is_some_and(|e| e <= p.first_block) {
                return Err(FormatError::toc(format!(
                    "{name}: part {} of {} (blocks {}..{:?}) is not a valid range",
                    p.index, p.count, p.first_block, p.end_block
                )));
            }
        }
        let mut raw_bytes = 0u64;
        for (seq, f) in s.frames.iter().enumerate() {
            let end = f
                .offset
                .checked_add(FRAME_HEADER_LEN as u64)
                .and_then(|n| n.checked_add(u64::from(f.stored_len)));
            let inside = f.offset >= cx.data_start && end.is_some_and(|e| e <= toc_offset);
            if !inside || f.raw_len > MAX_FRAME_RAW || f.stored_len > MAX_FRAME_STORED {
                return Err(FormatError::toc(format!(
                    "{name}: frame {seq} at byte {} (stored {} bytes, raw {}) lies outside \
                     the data area or exceeds the frame limits",
                    f.offset, f.stored_len, f.raw_len
                )));
            }
            raw_bytes += u64::from(f.raw_len);
        }
        if raw_bytes != s.raw_bytes {
            return Err(FormatError::toc(format!(
                "{name}: raw_bytes is {} but its frames hold {raw_bytes}",
                s.raw_bytes
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::format::toc::*;

    /// A small valid TOC: one TABLE DATA entry and one stream of two frames
    /// at the start of the data area.
    pub(crate) fn sample_toc() -> Toc {
        Toc {
            format_major: 1,
            format_minor: 0,
            tool_version: "0.1.0".into(),
            server_version: "16.4".into(),
            server_version_num: 160004,
            database: "shop".into(),
            encoding: "UTF8".into(),
            collate: "C".into(),
            ctype: "C".into(),
            locale: None,
            snapshot_time: "2024-01-01T00:00:00Z".into(),
            compression: CompressionInfo {
                codec: "zstd".into(),
                level: 3,
            },
            entries: vec![
                SchemaEntry {
                    id: DumpId(1),
                    section: Section::PreData,
                    kind: ObjectKind::Table,
                    schema: Some("public".into()),
                    name: "orders".into(),
                    owner: None,
                    definition: "CREATE TABLE public.orders (id int);".into(),
                    drop: String::new(),
                    deps: vec![],
                    owner_sql: String::new(),
                    belongs_to: None,
                },
                SchemaEntry {
                    id: DumpId(2),
                    section: Section::Data,
                    kind: ObjectKind::TableData,
                    schema: Some("public".into()),
                    name: "orders".into(),
                    owner: None,
                    definition: String::new(),
                    drop: String::new(),
                    deps: vec![DumpId(1)],
                    owner_sql: String::new(),
                    belongs_to: None,
                },
            ],
            streams: vec![StreamInfo {
                id: StreamId(0),
                entry: DumpId(2),
                schema: "public".into(),
                table: "orders".into(),
                columns: vec!["id".into()],
                format: CopyFormat::Binary,
                frames: vec![
                    FrameRef {
                        offset: 24,
                        raw_len: 100,
                        stored_len: 50,
                    },
                    FrameRef {
                        offset: 24 + 32 + 50,
                        raw_len: 10,
                        stored_len: 10,
                    },
                ],
                raw_bytes: 110,
                rows: 3,
                crc32: 0,
                part: None,
            }],
        }
    }

    const TOC_OFFSET: u64 = 24 + 32 + 50 + 32 + 10;

    fn trailer_for(stored: &[u8], raw_len: u64) -> Trailer {
        Trailer {
            toc_offset: TOC_OFFSET,
            toc_stored_len: stored.len() as u64,
            toc_raw_len: raw_len,
            toc_crc: crc32fast::hash(stored),
        }
    }

    #[test]
    fn round_trip() {
        let toc = sample_toc();
        let (stored, raw_len) = encode_toc(&toc).unwrap();
        let t = trailer_for(&stored, raw_len);
        assert_eq!(decode_toc(&stored, &t, &TocContext::plain()).unwrap(), toc);
    }

    #[test]
    fn unknown_json_fields_are_ignored() {
        let mut v = serde_json::to_value(sample_toc()).unwrap();
        v["added_in_1_1"] = serde_json::json!({"x": 1});
        let json = serde_json::to_vec(&v).unwrap();
        let stored = zstd::bulk::compress(&json, 3).unwrap();
        let t = trailer_for(&stored, json.len() as u64);
        assert_eq!(
            decode_toc(&stored, &t, &TocContext::plain()).unwrap(),
            sample_toc()
        );
    }

    #[test]
    fn damage_is_rejected() {
        let (stored, raw_len) = encode_toc(&sample_toc()).unwrap();
        let t = trailer_for(&stored, raw_len);
        for i in 0..stored.len() {
            let mut d = stored.clone();
            d[i] ^= 0x10;
            assert!(decode_toc(&d, &t, &TocContext::plain())
                .unwrap_err()
                .is_checksum());
        }
        for n in 0..stored.len() {
            assert!(decode_toc(&stored[..n], &t, &TocContext::plain()).is_err());
        }
        for wrong in [raw_len - 1, raw_len + 1, 0] {
            let t = Trailer {
                toc_raw_len: wrong,
                ..t
            };
            assert!(
                decode_toc(&stored, &t, &TocContext::plain()).is_err(),
                "{wrong}"
            );
        }
    }

    fn invalid(f: impl FnOnce(&mut Toc)) {
        let mut toc = sample_toc();
        validate_toc(&toc, &TocContext::plain(), TOC_OFFSET).unwrap();
        f(&mut toc);
        let e = validate_toc(&toc, &TocContext::plain(), TOC_OFFSET).unwrap_err();
        assert!(e.to_string().starts_with("table of contents: "), "{e}");
    }

    #[test]
    fn inconsistent_tocs_are_rejected() {
        invalid(|t| t.format_major = 2);
        invalid(|t| t.entries[1].id = DumpId(1));
        invalid(|t| t.entries[1].deps.push(DumpId(9)));
        invalid(|t| t.streams.push(t.streams[0].clone()));
        invalid(|t| t.streams[0].entry = DumpId(7));
        invalid(|t| {
            t.streams[0].part = Some(crate::format::toc::StreamPart {
                index: 2,
                count: 2,
                first_block: 0,
                end_block: None,
            })
        });
        invalid(|t| t.streams[0].raw_bytes = 111);
        invalid(|t| t.streams[0].frames[0].offset = 23);
        invalid(|t| t.streams[0].frames[1].stored_len = 11);
        invalid(|t| t.streams[0].frames[1].offset = u64::MAX - 8);
        invalid(|t| t.streams[0].frames[0].raw_len = MAX_FRAME_RAW + 1);
    }
}
