//! Secrets the service must use again — webhook signing secrets and subscriber API keys
//! today, register API keys and mail passwords as they come — are sealed at rest with the
//! service's key: XChaCha20-Poly1305 with a random nonce per value, bound to where the value
//! belongs (the associated data names the record and field, so a sealed value copied into
//! another record does not open). The store, its backups and a copy of either hold no
//! usable secret without the key.
//!
//! The key lives in a key file (0600): `secret.key` in the data directory, made on first
//! start, or a file the operator provides (`CERTWATCH_SECRET_KEY_FILE`). The file is a key
//! ring, newest key first: `certwatch rotate-secret-key` adds a new key, and the next start
//! seals every stored secret again with it ([`Keyring::needs_resealing`]); the older keys
//! stay so that older backups can still be opened, until the operator removes their lines.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// How a sealed value starts: the format, then the key's id.
const SEALED: &str = "sealed:v1:";
/// How a line of the key file starts.
const KEY_LINE: &str = "certwatch-key-v1";
/// The name of the key file the service makes in its data directory.
pub const DEFAULT_KEY_FILE: &str = "secret.key";

/// The service's keys, the one that seals first.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<Key>,
}

#[derive(Clone)]
struct Key {
    id: String,
    bytes: [u8; 32],
}

impl Key {
    fn new(bytes: [u8; 32]) -> Key {
        // An id that names the key without giving any of it away.
        let id = crate::engine::secrets::hex(
            &Sha256::digest([b"certwatch key id:".as_slice(), &bytes].concat())[..6],
        );
        Key { id, bytes }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.bytes.into())
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Keyring {
    /// Reads the key file at `path`; when `create` and there is none, makes one with a new
    /// key (0600, written whole before it is used).
    pub fn load(path: &Path, create: bool) -> Result<Keyring, StoreError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                write_key_file(path, &[Key::new(rand::rng().random())])?;
                std::fs::read_to_string(path).map_err(|e| key_file_error(path, e))?
            }
            Err(e) => return Err(key_file_error(path, e)),
        };
        let mode = std::fs::metadata(path)
            .map_err(|e| key_file_error(path, e))?
            .permissions()
            .mode();
        if mode & crate::engine::private::NOT_OWNER != 0 {
            return Err(StoreError::Secrets(format!(
                "the key file {} may be read by others (mode {:o}); make it 0600",
                path.display(),
                mode & 0o777
            )));
        }
        parse(&text).map_err(|why| StoreError::Secrets(format!("{}: {why}", path.display())))
    }

    /// Seals `secret` for the place `context` names (record and field).
    pub fn seal(&self, context: &str, secret: &str) -> String {
        let key = &self.keys[0];
        let nonce: [u8; 24] = rand::rng().random();
        let sealed = key
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("sealing a short value in memory cannot fail");
        let mut body = nonce.to_vec();
        body.extend_from_slice(&sealed);
        format!("{SEALED}{}:{}", key.id, B64.encode(body))
    }

    /// Opens a value sealed for `context`. A value written before secrets were sealed (no
    /// `sealed:` prefix) is returned as it is; opening seals it again.
    pub fn open(&self, context: &str, value: &str) -> Result<String, StoreError> {
        let Some(rest) = value.strip_prefix(SEALED) else {
            return Ok(value.to_string());
        };
        let (id, body) = rest
            .split_once(':')
            .ok_or_else(|| StoreError::Secrets("a sealed value without its key id".into()))?;
        let key = self.keys.iter().find(|k| k.id == id).ok_or_else(|| {
            StoreError::Secrets(format!(
                "a secret is sealed with key {id}, which is not in the key file; give the service the key file it was written with (CERTWATCH_SECRET_KEY_FILE)"
            ))
        })?;
        let body = B64
            .decode(body)
            .map_err(|_| StoreError::Secrets("a sealed value that is not base64".into()))?;
        if body.len() < 24 {
            return Err(StoreError::Secrets("a sealed value cut short".into()));
        }
        let (nonce, sealed) = body.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().expect("24 bytes");
        let opened = key
            .cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Secrets(format!(
                    "a secret sealed with key {id} does not open for {context}"
                ))
            })?;
        String::from_utf8(opened)
            .map_err(|_| StoreError::Secrets("a sealed value that is not text".into()))
    }

    /// Whether a stored value should be sealed again: written in clear, or with an older key.
    pub fn needs_resealing(&self, value: &str) -> bool {
        value
            .strip_prefix(SEALED)
            .and_then(|rest| rest.split_once(':'))
            .is_none_or(|(id, _)| id != self.keys[0].id)
    }

    /// A MAC of `data` under a key derived for `purpose` (CSRF tokens): unforgeable without
    /// the service's key.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let mut derived = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.keys[0].bytes)
            .expect("HMAC takes any key length");
        derived.update(purpose.as_bytes());
        let subkey = derived.finalize().into_bytes();
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&subkey).expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }
}

/// Adds a new key in front of the key file's keys (the older ones stay, to open what they
/// sealed); returns its id. Stored secrets are sealed with it at the next start.
pub fn rotate_key_file(path: &Path) -> Result<String, StoreError> {
    let ring = Keyring::load(path, false)?;
    let key = Key::new(rand::rng().random());
    let id = key.id.clone();
    let mut keys = vec![key];
    keys.extend(ring.keys);
    write_key_file(path, &keys)?;
    Ok(id)
}

fn parse(text: &str) -> Result<Keyring, String> {
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(KEY_LINE), Some(encoded), None) = (words.next(), words.next(), words.next())
        else {
            return Err(format!("a line is not `{KEY_LINE} <base64 of 32 bytes>`"));
        };
        let bytes: [u8; 32] = B64
            .decode(encoded)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| "a key is not base64 of 32 bytes".to_string())?;
        keys.push(Key::new(bytes));
    }
    if keys.is_empty() {
        return Err("no key".into());
    }
    Ok(Keyring { keys })
}

/// Writes the key file whole (a temporary file, synced, renamed over it), 0600.
fn write_key_file(path: &Path, keys: &[Key]) -> Result<(), StoreError> {
    let mut text = String::from(
        "# CertWatch's key for the secrets it stores (webhook signing secrets, API keys of\n\
         # subscribers and registers, mail passwords). Newest first; keep a copy apart from\n\
         # the backups: without it they restore without those secrets.\n",
    );
    for key in keys {
        text.push_str(&format!("{KEY_LINE} {}\n", B64.encode(key.bytes)));
    }
    let partial = path.with_extension("key.partial");
    let written = (|| {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&partial, path)?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    written.map_err(|e| key_file_error(path, e))
}

fn key_file_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Secrets(format!("the key file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(dir: &Path) -> Keyring {
        Keyring::load(&dir.join(DEFAULT_KEY_FILE), true).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_its_place() {
        let tmp = tempfile::tempdir().unwrap();
        let ring = ring(tmp.path());
        let sealed = ring.seal("subscriber/1/signing_secret", "whsec_abc");
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(
            sealed,
            ring.seal("subscriber/1/signing_secret", "whsec_abc"),
            "a nonce each"
        );
        assert_eq!(
            ring.open("subscriber/1/signing_secret", &sealed).unwrap(),
            "whsec_abc"
        );
        assert!(ring.open("subscriber/2/signing_secret", &sealed).is_err());
        let other = tempfile::tempdir().unwrap();
        assert!(
            super::tests::ring(other.path())
                .open("subscriber/1/signing_secret", &sealed)
                .is_err()
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open("subscriber/1/signing_secret", &tampered).is_err());
    }

    #[test]
    fn the_key_file_is_made_once_private_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(DEFAULT_KEY_FILE);
        let first = Keyring::load(&path, true).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Keyring::load(&path, true).unwrap();
        assert_eq!(first.current_id(), again.current_id());
        assert!(Keyring::load(&tmp.path().join("missing.key"), false).is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            Keyring::load(&path, true).is_err(),
            "a key others can read is refused"
        );
    }

    #[test]
    fn a_rotated_ring_seals_with_the_new_key_and_opens_the_old_values() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(DEFAULT_KEY_FILE);
        let old = Keyring::load(&path, true).unwrap();
        let sealed = old.seal("ctx", "secret");
        assert!(!old.needs_resealing(&sealed));
        assert!(old.needs_resealing("whsec_in_clear"));
        let new_id = rotate_key_file(&path).unwrap();
        let new = Keyring::load(&path, false).unwrap();
        assert_eq!(new.current_id(), new_id);
        assert_ne!(new_id, old.current_id());
        assert!(new.needs_resealing(&sealed));
        assert_eq!(new.open("ctx", &sealed).unwrap(), "secret");
        assert!(!new.needs_resealing(&new.seal("ctx", "secret")));
    }

    #[test]
    fn macs_depend_on_key_purpose_and_data() {
        let tmp = tempfile::tempdir().unwrap();
        let ring = ring(tmp.path());
        assert_eq!(ring.mac("csrf", b"a"), ring.mac("csrf", b"a"));
        assert_ne!(ring.mac("csrf", b"a"), ring.mac("csrf", b"b"));
        assert_ne!(ring.mac("csrf", b"a"), ring.mac("other", b"a"));
        let other = tempfile::tempdir().unwrap();
        assert_ne!(
            ring.mac("csrf", b"a"),
            super::tests::ring(other.path()).mac("csrf", b"a")
        );
    }
}
