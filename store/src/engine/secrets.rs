//! Secret material: random keys and their SHA-256 digests.
//!
//! Keys (login and API tokens, verification and invitation tokens) are shown once and
//! stored only as SHA-256, so the store never holds a usable credential. Passwords are
//! hashed by the HTTP layer (`http/src/passwords.rs`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngExt;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

pub type KeyHash = [u8; 32];

/// A fresh random key of `len` alphanumeric characters (62 symbols: ~5.95 bits each).
pub fn random_key(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A login or API token key: 40 alphanumeric characters, about 238 bits.
pub fn new_token_key() -> String {
    random_key(40)
}

/// A webhook signing secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks).
pub fn new_signing_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", B64.encode(bytes))
}

pub fn key_hash(key: &str) -> KeyHash {
    Sha256::digest(key.as_bytes()).into()
}

/// SHA-256 of content as lower-case hex (document hashes, content addresses).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of bytes (a digest computed elsewhere, e.g. while streaming).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_secrets_are_whsec_and_long() {
        let secret = new_signing_secret();
        assert!(secret.starts_with("whsec_"));
        assert!(B64.decode(&secret[6..]).unwrap().len() >= 24);
        assert_ne!(secret, new_signing_secret());
    }

    #[test]
    fn keys_are_random_alphanumeric() {
        let a = new_token_key();
        let b = new_token_key();
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(key_hash(&a), key_hash(&b));
        assert_eq!(key_hash(&a), key_hash(&a));
    }
}
