//! Keys for encrypted archives: generating an identity (`pgsnap keygen`),
//! reading recipients, identity files and passphrase files, wrapping a fresh
//! data key into an archive's key block ([`Encryption`]) and unwrapping it
//! again ([`Keyring`]).
//!
//! The wrapping is age's (X25519 recipients, scrypt for a passphrase), so the
//! keys are the ones `age-keygen` makes, and a backup host needs only public
//! recipients: it can write archives it cannot read. Sealing frames and the
//! TOC under the data key is the format's job (`crate::format::seal`).

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use age::{scrypt, x25519};

use crate::archive::{describe_slots, NoKey, Sealing, Unlock};
use crate::format::seal::KEY_LEN;
use crate::format::{DataKey, KeyBlock, KeySlot, SlotKind};

/// A key file or recipient that cannot be used, with what to do about it.
#[derive(Debug)]
pub struct CryptError(String);

impl fmt::Display for CryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CryptError {}

fn err(msg: impl Into<String>) -> CryptError {
    CryptError(msg.into())
}

/// A new identity: the text of its key file and its public recipient.
pub struct NewIdentity {
    pub file: SecretString,
    pub recipient: String,
}

/// Generates an X25519 identity; `created` (RFC 3339) goes into the file's
/// comment, as age-keygen writes it.
pub fn generate_identity(created: &str) -> NewIdentity {
    let id = x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    let file = format!(
        "# created: {created}\n# public key: {recipient}\n{}\n",
        id.to_string().expose_secret()
    );
    NewIdentity {
        file: file.into(),
        recipient,
    }
}

/// The public recipients of the identities in `path` (`keygen -y`).
pub fn recipients_of(path: &Path) -> Result<Vec<String>, CryptError> {
    Ok(read_identities(path)?
        .iter()
        .map(|i| i.to_public().to_string())
        .collect())
}

/// Parses `--recipient` values: each is a recipient (`age1...`) or the path
/// of a file with one recipient per line (`#` comments and blank lines
/// allowed), as `age -R` reads them.
pub fn parse_recipients(values: &[String]) -> Result<Vec<x25519::Recipient>, CryptError> {
    let mut out = Vec::new();
    for v in values {
        let v = v.trim();
        if v.starts_with("age1") {
            out.push(parse_recipient(v, "--recipient")?);
            continue;
        }
        let text = std::fs::read_to_string(v).map_err(|e| {
            err(format!(
                "--recipient {v}: neither a recipient (age1...) nor a readable recipients file: {e}"
            ))
        })?;
        let before = out.len();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                out.push(parse_recipient(line, &format!("line {} of {v}", n + 1))?);
            }
        }
        if out.len() == before {
            return Err(err(format!("recipients file {v} lists no recipient")));
        }
    }
    Ok(out)
}

fn parse_recipient(s: &str, at: &str) -> Result<x25519::Recipient, CryptError> {
    x25519::Recipient::from_str(s).map_err(|e| {
        err(format!(
            "{at}: {s:?} is not an X25519 recipient ({e}); use the public key that \
             `pgsnap keygen` printed (age1...)"
        ))
    })
}

/// Reads a passphrase file: its first line, without the line ending.
pub fn read_passphrase_file(path: &Path) -> Result<SecretString, CryptError> {
    let text = read_secret_file(path, "passphrase file")?;
    let line = text.expose_secret().lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(err(format!(
            "passphrase file {} is empty; write the passphrase on its first line",
            path.display()
        )));
    }
    Ok(line.to_string().into())
}

fn read_secret_file(path: &Path, what: &str) -> Result<SecretString, CryptError> {
    use std::os::unix::fs::PermissionsExt;
    let mut f = std::fs::File::open(path)
        .map_err(|e| err(format!("cannot open {what} {}: {e}", path.display())))?;
    if let Ok(m) = f.metadata() {
        if m.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                "{what} {} can be read by other users; chmod 600 it",
                path.display()
            );
        }
    }
    let mut text = String::new();
    f.read_to_string(&mut text)
        .map_err(|e| err(format!("cannot read {what} {}: {e}", path.display())))?;
    Ok(text.into())
}

fn read_identities(path: &Path) -> Result<Vec<x25519::Identity>, CryptError> {
    let text = read_secret_file(path, "identity file")?;
    let mut ids = Vec::new();
    for (n, line) in text.expose_secret().lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // The line is a secret: never echo it.
        let id = x25519::Identity::from_str(line).map_err(|_| {
            err(format!(
                "line {} of {} is not an X25519 identity (AGE-SECRET-KEY-1...); \
                 pass the file `pgsnap keygen -o` wrote",
                n + 1,
                path.display()
            ))
        })?;
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(err(format!(
            "identity file {} holds no identity",
            path.display()
        )));
    }
    Ok(ids)
}

/// Who a new archive is encrypted for.
#[derive(Clone)]
pub struct Encryption {
    recipients: Vec<x25519::Recipient>,
    passphrase: Option<SecretString>,
}

impl fmt::Debug for Encryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encryption")
            .field("recipients", &self.recipient_strings())
            .field("passphrase", &self.passphrase.is_some())
            .finish()
    }
}

impl Encryption {
    /// `None` when there is nobody to encrypt for (a plain archive).
    pub fn new(
        recipients: Vec<x25519::Recipient>,
        passphrase: Option<SecretString>,
    ) -> Option<Encryption> {
        (!recipients.is_empty() || passphrase.is_some()).then_some(Encryption {
            recipients,
            passphrase,
        })
    }

    /// The recipients' public keys, as given (for the backup's metadata).
    pub fn recipient_strings(&self) -> Vec<String> {
        self.recipients.iter().map(|r| r.to_string()).collect()
    }

    pub fn has_passphrase(&self) -> bool {
        self.passphrase.is_some()
    }

    /// A fresh data key, wrapped into one slot for all recipients and one
    /// for the passphrase.
    pub fn seal(&self) -> Result<Sealing, CryptError> {
        let (key, bytes) =
            DataKey::generate().map_err(|e| err(format!("cannot make a data key: {e}")))?;
        let mut slots = Vec::new();
        if !self.recipients.is_empty() {
            let wrapped = wrap(
                self.recipients.iter().map(|r| r as &dyn age::Recipient),
                &bytes,
            )?;
            slots.push(KeySlot {
                kind: SlotKind::Recipients,
                wrapped,
            });
        }
        if let Some(p) = &self.passphrase {
            let r = scrypt::Recipient::new(p.clone());
            let wrapped = wrap(std::iter::once(&r as &dyn age::Recipient), &bytes)?;
            slots.push(KeySlot {
                kind: SlotKind::Passphrase,
                wrapped,
            });
        }
        Ok(Sealing {
            key,
            block: KeyBlock { slots },
        })
    }
}

fn wrap<'a>(
    recipients: impl Iterator<Item = &'a dyn age::Recipient>,
    key: &[u8],
) -> Result<Vec<u8>, CryptError> {
    let fail = |e: &dyn fmt::Display| err(format!("cannot wrap the data key: {e}"));
    let enc = age::Encryptor::with_recipients(recipients).map_err(|e| fail(&e))?;
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).map_err(|e| fail(&e))?;
    w.write_all(key).map_err(|e| fail(&e))?;
    w.finish().map_err(|e| fail(&e))?;
    Ok(out)
}

/// The keys a reader was given: identities and/or a passphrase.
#[derive(Clone, Default)]
pub struct Keyring {
    identities: Vec<x25519::Identity>,
    identity_files: Vec<PathBuf>,
    passphrase: Option<(SecretString, PathBuf)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("identity_files", &self.identity_files)
            .field("passphrase", &self.passphrase.as_ref().map(|p| &p.1))
            .finish()
    }
}

impl Keyring {
    /// Reads the identity files (`--identity`, repeatable) and the
    /// passphrase file; none at all gives an empty keyring, which opens
    /// plain archives only.
    pub fn load(
        identity_files: &[PathBuf],
        passphrase_file: Option<&Path>,
    ) -> Result<Keyring, CryptError> {
        let mut identities = Vec::new();
        for f in identity_files {
            identities.extend(read_identities(f)?);
        }
        let passphrase = match passphrase_file {
            Some(p) => Some((read_passphrase_file(p)?, p.to_path_buf())),
            None => None,
        };
        Ok(Keyring {
            identities,
            identity_files: identity_files.to_vec(),
            passphrase,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.identities.is_empty() && self.passphrase.is_none()
    }

    fn files(&self) -> String {
        self.identity_files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Unlock for Keyring {
    fn unlock(&self, block: &KeyBlock) -> Result<DataKey, String> {
        if self.is_empty() {
            return NoKey.unlock(block);
        }
        let mut why = Vec::new();
        for (i, slot) in block.slots.iter().enumerate() {
            let result = match (slot.kind, &self.passphrase) {
                (SlotKind::Recipients, _) if !self.identities.is_empty() => unwrap(
                    &slot.wrapped,
                    self.identities.iter().map(|i| i as &dyn age::Identity),
                )
                .map_err(|e| match e {
                    age::DecryptError::NoMatchingKeys => format!(
                        "no identity in {} is one of the archive's recipients \
                         (it was encrypted for other keys)",
                        self.files()
                    ),
                    e => format!("key slot {i} cannot be opened: {e}"),
                }),
                (SlotKind::Passphrase, Some((p, file))) => {
                    let id = scrypt::Identity::new(p.clone());
                    unwrap(&slot.wrapped, std::iter::once(&id as &dyn age::Identity)).map_err(|e| {
                        match e {
                            age::DecryptError::DecryptionFailed
                            | age::DecryptError::NoMatchingKeys => format!(
                                "the passphrase in {} does not decrypt the archive",
                                file.display()
                            ),
                            e => format!("key slot {i} cannot be opened: {e}"),
                        }
                    })
                }
                _ => continue,
            };
            match result {
                Ok(key) => return Ok(key),
                Err(e) => why.push(e),
            }
        }
        if why.is_empty() {
            let given = if self.identities.is_empty() {
                "a passphrase"
            } else {
                "identities"
            };
            why.push(format!(
                "the archive is encrypted for {}, and {given} cannot open it; pass {}",
                describe_slots(block),
                if self.identities.is_empty() {
                    "--identity KEYFILE"
                } else {
                    "--passphrase-file FILE"
                }
            ));
        }
        Err(why.join("; "))
    }
}

fn unwrap<'a>(
    wrapped: &[u8],
    identities: impl Iterator<Item = &'a dyn age::Identity>,
) -> Result<DataKey, age::DecryptError> {
    let mut r = age::Decryptor::new_buffered(wrapped)?.decrypt(identities)?;
    let mut key = Vec::with_capacity(KEY_LEN);
    r.read_to_end(&mut key)?;
    DataKey::from_bytes(&key).map_err(|_| age::DecryptError::InvalidHeader)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "pgsnap-crypt-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn recipients_unlock_and_strangers_do_not() {
        let d = tmp();
        let a = generate_identity("now");
        let b = generate_identity("now");
        let c = generate_identity("now");
        let fa = write(&d, "a.key", a.file.expose_secret());
        let fc = write(&d, "c.key", c.file.expose_secret());
        assert_eq!(recipients_of(&fa).unwrap(), vec![a.recipient.clone()]);
        let rfile = write(&d, "r.txt", &format!("# team\n{}\n\n", b.recipient));
        let recipients =
            parse_recipients(&[a.recipient.clone(), rfile.display().to_string()]).unwrap();
        let enc = Encryption::new(recipients, None).unwrap();
        let sealing = enc.seal().unwrap();
        assert_eq!(sealing.block.slots.len(), 1);
        let sealed = sealing.key.seal_toc(b"x", b"toc".to_vec());

        let ring = Keyring::load(&[fa], None).unwrap();
        let key = ring.unlock(&sealing.block).unwrap();
        assert_eq!(key.open_toc(b"x", &sealed).unwrap(), b"toc");

        let e = Keyring::load(&[fc], None)
            .unwrap()
            .unlock(&sealing.block)
            .unwrap_err();
        assert!(e.contains("encrypted for other keys"), "{e}");
        let e = Keyring::default().unlock(&sealing.block).unwrap_err();
        assert!(e.contains("--identity"), "{e}");
        let pass = write(&d, "p", "secret\n");
        let e = Keyring::load(&[], Some(&pass))
            .unwrap()
            .unlock(&sealing.block)
            .unwrap_err();
        assert!(e.contains("--identity KEYFILE"), "{e}");
    }

    #[test]
    fn passphrase_slot_beside_recipients() {
        let d = tmp();
        let a = generate_identity("now");
        let good = write(&d, "good", "correct horse\r\n");
        let bad = write(&d, "bad", "wrong horse\n");
        let enc = Encryption::new(
            parse_recipients(&[a.recipient]).unwrap(),
            Some(read_passphrase_file(&good).unwrap()),
        )
        .unwrap();
        let sealing = enc.seal().unwrap();
        assert_eq!(sealing.block.slots.len(), 2);
        let sealed = sealing.key.seal_toc(b"", b"toc".to_vec());
        let key = Keyring::load(&[], Some(&good))
            .unwrap()
            .unlock(&sealing.block)
            .unwrap();
        assert_eq!(key.open_toc(b"", &sealed).unwrap(), b"toc");
        let e = Keyring::load(&[], Some(&bad))
            .unwrap()
            .unlock(&sealing.block)
            .unwrap_err();
        assert!(e.contains("does not decrypt"), "{e}");
    }

    #[test]
    fn bad_inputs_say_what_to_do() {
        let d = tmp();
        let e = parse_recipients(&["age1notakey".into()]).unwrap_err();
        assert!(e.to_string().contains("pgsnap keygen"), "{e}");
        let e = parse_recipients(&["/nonexistent/recipients".into()]).unwrap_err();
        assert!(e.to_string().contains("recipients file"), "{e}");
        let secret = "AGE-SECRET-KEY-1NOTAREALKEY";
        let f = write(&d, "bad.key", secret);
        let e = Keyring::load(&[f], None).unwrap_err().to_string();
        assert!(e.contains("line 1") && !e.contains(secret), "{e}");
        let empty = write(&d, "empty", "\n");
        assert!(read_passphrase_file(&empty).is_err());
        assert!(Encryption::new(vec![], None).is_none());
    }
}
