//! Archives damaged on purpose: every damaged byte is found and named.

use pgsnap::archive::ArchiveReader;

use crate::support::*;

async fn small_archive(dir: &Scratch) -> std::path::PathBuf {
    let src = TestDb::new("damage").await;
    src.exec(
        "CREATE SCHEMA shop;
         CREATE TABLE shop.orders (id int PRIMARY KEY, note text, qty numeric);
         INSERT INTO shop.orders SELECT i, md5(i::text), i / 3.0 FROM generate_series(1, 20000) i;
         CREATE TABLE shop.tags (id int, tag text);
         INSERT INTO shop.tags SELECT i, 't' || i FROM generate_series(1, 10000) i;",
    )
    .await;
    let file = dir.path("d.pgsnap");
    backup_ok(&src, &file, &["--chunk-kib", "64"]);
    file
}

#[tokio::test]
async fn verify_reports_any_flipped_byte_in_any_frame() {
    let dir = Scratch::new("flip");
    let file = small_archive(&dir).await;
    let original = std::fs::read(&file).unwrap();
    let reader = ArchiveReader::open(&file).unwrap();
    let mut positions = Vec::new();
    for s in &reader.toc().streams {
        assert!(s.frames.len() >= 2, "want several frames per stream");
        for f in &s.frames {
            let end = f.offset + 32 + u64::from(f.stored_len);
            let step = (end - f.offset) / 40 + 1;
            let mut p = f.offset;
            while p < end {
                positions.push((p, format!("{}.{}", s.schema, s.table)));
                p += step;
            }
            positions.push((end - 1, format!("{}.{}", s.schema, s.table)));
        }
    }
    drop(reader);
    assert!(positions.len() > 100);
    let damaged = dir.path("damaged.pgsnap");
    for (pos, table) in &positions {
        let mut bytes = original.clone();
        bytes[*pos as usize] ^= 0x5a;
        std::fs::write(&damaged, &bytes).unwrap();
        let err = pgsnap::engine::verify(&damaged, &Default::default())
            .expect_err(&format!("flip at {pos} not detected"));
        assert!(err.is_damage(), "flip at {pos}: {err}");
        assert_eq!(err.exit_code(), 1);
        let msg = err.to_string();
        assert!(
            msg.contains(table.as_str()),
            "flip at {pos} in {table}: message does not name the table: {msg}"
        );
    }
    // The CLI says the same with exit code 1.
    let mut bytes = original.clone();
    bytes[positions[positions.len() / 2].0 as usize] ^= 1;
    std::fs::write(&damaged, &bytes).unwrap();
    let out = pgsnap(&["verify", path_str(&damaged)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[tokio::test]
async fn header_toc_trailer_and_truncation_damage_is_detected() {
    let dir = Scratch::new("meta");
    let file = small_archive(&dir).await;
    let original = std::fs::read(&file).unwrap();
    let len = original.len();
    let damaged = dir.path("damaged.pgsnap");
    // Header, TOC and trailer bytes.
    let toc_offset = ArchiveReader::open(&file)
        .unwrap()
        .toc()
        .streams
        .iter()
        .flat_map(|s| {
            s.frames
                .iter()
                .map(|f| f.offset + 32 + u64::from(f.stored_len))
        })
        .max()
        .unwrap() as usize;
    let mut positions: Vec<usize> = (0..24).collect();
    positions.extend((toc_offset..len).step_by(((len - toc_offset) / 60).max(1)));
    positions.extend(len - 40..len);
    for pos in positions {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x80;
        std::fs::write(&damaged, &bytes).unwrap();
        let err = pgsnap::engine::verify(&damaged, &Default::default())
            .expect_err(&format!("flip at {pos} of {len} not detected"));
        assert_eq!(err.exit_code(), 1, "{err}");
    }
    for cut in [0, 10, 24, 100, len / 2, toc_offset, len - 40, len - 1] {
        std::fs::write(&damaged, &original[..cut]).unwrap();
        let err = pgsnap::engine::verify(&damaged, &Default::default())
            .expect_err(&format!("truncation to {cut} not detected"));
        assert!(err.is_damage(), "cut {cut}: {err}");
    }
}

#[tokio::test]
async fn restore_of_damaged_archive_fails_and_names_the_table() {
    let dir = Scratch::new("rdamage");
    let file = small_archive(&dir).await;
    let mut bytes = std::fs::read(&file).unwrap();
    let reader = ArchiveReader::open(&file).unwrap();
    let s = reader
        .toc()
        .streams
        .iter()
        .find(|s| s.table == "orders")
        .unwrap();
    let f = s.frames[s.frames.len() - 1];
    bytes[(f.offset + 32 + u64::from(f.stored_len) / 2) as usize] ^= 0xff;
    drop(reader);
    let damaged = dir.path("damaged.pgsnap");
    std::fs::write(&damaged, &bytes).unwrap();
    let target = TestDb::new("rdamage_target").await;
    let out = pgsnap(&["restore", "-d", &target.conninfo(), path_str(&damaged)]);
    fails_with(&out, 1, "shop.orders");
    assert!(
        stderr(&out).contains("is left partly restored"),
        "{}",
        stderr(&out)
    );
    // Nothing of the damaged table was committed.
    let n: i64 = target
        .client()
        .await
        .query_one("SELECT count(*) FROM shop.orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn single_transaction_restore_of_damaged_archive_commits_nothing() {
    let dir = Scratch::new("single");
    let file = small_archive(&dir).await;
    let target = TestDb::new("single_target").await;
    // Intact: everything arrives in one transaction.
    ok(&pgsnap(&[
        "restore",
        "-d",
        &target.conninfo(),
        "--single-transaction",
        path_str(&file),
    ]));
    let n: i64 = target
        .client()
        .await
        .query_one("SELECT count(*) FROM shop.orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 20000);

    let mut bytes = std::fs::read(&file).unwrap();
    let reader = ArchiveReader::open(&file).unwrap();
    let s = reader
        .toc()
        .streams
        .iter()
        .find(|s| s.table == "tags")
        .unwrap();
    let f = s.frames[0];
    bytes[(f.offset + 40) as usize] ^= 0xff;
    drop(reader);
    let damaged = dir.path("damaged.pgsnap");
    std::fs::write(&damaged, &bytes).unwrap();
    let empty = TestDb::new("single_empty").await;
    let out = pgsnap(&["restore", "-d", &empty.conninfo(), "-1", path_str(&damaged)]);
    fails_with(&out, 1, "shop.tags");
    assert!(
        stderr(&out).contains("nothing was committed"),
        "{}",
        stderr(&out)
    );
    let schemas: i64 = empty
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'shop'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        schemas, 0,
        "a failed --single-transaction restore left objects behind"
    );
}

/// A sweep of random single-bit flips over a real archive (header, frames,
/// TOC, trailer): every one must be detected by verify.
#[tokio::test]
async fn random_bit_flip_sweep_is_always_detected() {
    let dir = Scratch::new("sweep");
    let file = small_archive(&dir).await;
    let original = std::fs::read(&file).unwrap();
    let damaged = dir.path("damaged.pgsnap");
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let (mut tried, mut detected) = (0, 0);
    for _ in 0..600 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let pos = (x % original.len() as u64) as usize;
        let bit = 1u8 << ((x >> 32) % 8);
        let mut bytes = original.clone();
        bytes[pos] ^= bit;
        std::fs::write(&damaged, &bytes).unwrap();
        tried += 1;
        match pgsnap::engine::verify(&damaged, &Default::default()) {
            Err(e) if e.exit_code() == 1 => detected += 1,
            Err(e) => panic!("flip at {pos}: unexpected error kind: {e}"),
            Ok(_) => panic!(
                "flip of bit {bit:#04x} at byte {pos} of {} was not detected",
                original.len()
            ),
        }
    }
    println!(
        "bit-flip sweep: {detected} of {tried} detected over a {}-byte archive",
        original.len()
    );
    assert_eq!(detected, tried);
}
