//! Encryption at rest against a real server: `keygen`, a backup for a public
//! recipient (the backup needs no secret), restore / verify / list with the
//! identity or a passphrase, refusals that say what to pass, tampering
//! caught, and what `health` can check without keys.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::support::*;

const SECRET_ROW: &str = "needle-4b1f-cleartext-must-not-appear";

fn keygen(dir: &Scratch, name: &str) -> (std::path::PathBuf, String) {
    let key = dir.path(name);
    let out = pgsnap(&["keygen", "-o", path_str(&key)]);
    ok(&out);
    let recipient = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(recipient.starts_with("age1"), "{recipient}");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // keygen never overwrites a key, and -y gives the recipient back.
    assert_eq!(
        pgsnap(&["keygen", "-o", path_str(&key)]).status.code(),
        Some(1)
    );
    let again = pgsnap(&["keygen", "-y", path_str(&key)]);
    ok(&again);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), recipient);
    (key, recipient)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn recipient_round_trip_and_refusals() {
    let db = TestDb::new("crypt").await;
    db.load_corpus().await;
    db.exec(&format!(
        "CREATE TABLE vault (id int PRIMARY KEY, note text);
         INSERT INTO vault SELECT g, '{SECRET_ROW}' || g FROM generate_series(1, 5000) g;"
    ))
    .await;
    let dir = Scratch::new("crypt");
    let (key, recipient) = keygen(&dir, "ops.key");
    let (other_key, _) = keygen(&dir, "other.key");

    // Named backup, so the metadata records who can open it.
    ok(&pgsnap(&[
        "backup",
        "-d",
        &db.conninfo(),
        "--dir",
        path_str(&dir.0),
        "--name",
        "enc",
        "--recipient",
        &recipient,
        "-j",
        "2",
    ]));
    let name = dir
        .files()
        .into_iter()
        .find(|f| f.ends_with(".pgsnap"))
        .unwrap();
    let archive = dir.path(&name);
    let a = path_str(&archive);
    let bytes = std::fs::read(&archive).unwrap();
    for needle in [SECRET_ROW.as_bytes(), b"vault", b"CREATE TABLE"] {
        assert!(!contains(&bytes, needle), "{:?} is in the clear", needle);
    }
    let meta: Value =
        serde_json::from_slice(&std::fs::read(dir.path(&format!("{name}.json"))).unwrap()).unwrap();
    assert_eq!(meta["format_version"], "2.1");
    assert_eq!(meta["encryption"]["recipients"][0], recipient.as_str());
    assert_eq!(meta["encryption"]["passphrase"], false);

    // Without a key, or with the wrong one: exit 2 and what to pass.
    for args in [
        vec!["list", a],
        vec!["verify", a],
        vec!["list", a, "--identity", path_str(&other_key)],
    ] {
        let out = pgsnap(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let e = stderr(&out);
        assert!(
            e.contains("--identity KEYFILE") || e.contains("encrypted for other keys"),
            "{e}"
        );
    }
    let ident = path_str(&key);
    let out = pgsnap(&["list", a, "--identity", ident]);
    ok(&out);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("encryption: AES-256-GCM, data key for public-key recipients"),
        "{listing}"
    );
    assert!(listing.contains("vault"), "{listing}");
    ok(&pgsnap(&["verify", a, "--identity", ident]));
    // The identity can also come from the environment.
    ok(&pgsnap_env(&["verify", a], &[("PGSNAP_IDENTITY", ident)]));

    let copy = restore_copy(&db, &archive, "copy", &["--identity", ident, "-j", "2"]);
    assert_same(&db.cluster, &db.name, &copy).await;

    // health without keys checks what it can; with the key, everything.
    let no_disk = ["--disk-warning", "0", "--disk-critical", "0"];
    let mut args = vec!["health", "--dir", path_str(&dir.0)];
    args.extend(no_disk);
    let out = pgsnap(&args);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("frames not authenticated"), "{text}");
    args.extend(["--identity", ident]);
    let out = pgsnap(&args);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("rows check out"), "{text}");

    // One changed byte in the data area: verify and restore fail, naming it.
    let mut tampered = bytes.clone();
    let at = bytes.len() / 2;
    tampered[at] ^= 0x01;
    let bad = dir.path("tampered.pgsnap");
    std::fs::write(&bad, &tampered).unwrap();
    let out = pgsnap(&["verify", path_str(&bad), "--identity", ident]);
    fails_with(&out, 1, "damaged");
    let target = db.sibling("tampered");
    let conn = db.cluster.conninfo(&target);
    let out = pgsnap(&[
        "restore",
        "-d",
        &conn,
        "--create",
        "--single-transaction",
        "--identity",
        ident,
        path_str(&bad),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[tokio::test]
async fn passphrase_beside_a_recipient() {
    let db = TestDb::new("cryptpw").await;
    db.load_corpus().await;
    let dir = Scratch::new("cryptpw");
    let (_, recipient) = keygen(&dir, "ops.key");
    let pass = dir.path("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let wrong = dir.path("wrong");
    std::fs::write(&wrong, "incorrect horse\n").unwrap();
    let archive = dir.path("pw.pgsnap");
    backup_ok(
        &db,
        &archive,
        &[
            "--recipient",
            &recipient,
            "--passphrase-file",
            path_str(&pass),
        ],
    );
    let a = path_str(&archive);
    let out = pgsnap(&["list", a, "--json", "--passphrase-file", path_str(&pass)]);
    ok(&out);
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        listing["encryption"],
        "AES-256-GCM, data key for public-key recipients and a passphrase"
    );
    let out = pgsnap(&["verify", a, "--passphrase-file", path_str(&wrong)]);
    fails_with(&out, 2, "does not decrypt");
    assert!(!stderr(&out).contains("incorrect horse"));
    let copy = restore_copy(
        &db,
        &archive,
        "copy",
        &["--passphrase-file", path_str(&pass)],
    );
    assert_same(&db.cluster, &db.name, &copy).await;
}
