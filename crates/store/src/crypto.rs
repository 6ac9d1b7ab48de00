//! Secrets at rest: argon2id password hashes, SHA-256 hashes of bearer secrets (session
//! and API tokens are stored only as hashes), keyed blind indexes (HMAC-SHA256) that let
//! a phone or ID number be looked up without being stored in the clear, and authenticated
//! encryption (XChaCha20-Poly1305) of personal data. The encryption and index keys are
//! derived from the one master key, so neither can be used for the other's job.

use crate::{StoreError, StoreResult};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// The installation's 32-byte master key, from configuration. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    /// Parses the standard base64 form used in configuration.
    pub fn from_base64(s: &str) -> StoreResult<Self> {
        let bytes =
            STANDARD.decode(s.trim()).map_err(|_| StoreError::Config("secret key is not valid base64".into()))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::Config("secret key must be 32 bytes (44 base64 characters)".into()))?;
        Ok(SecretKey(arr))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SecretKey(bytes)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        for part in parts {
            mac.update(part);
            mac.update(&[0]);
        }
        mac.finalize().into_bytes().into()
    }

    /// A keyed, deterministic index for equality lookups of a sensitive value. The
    /// `purpose` separates indexes of different fields.
    pub fn blind_index(&self, purpose: &str, value: &str) -> String {
        hex::encode(Self::mac(&self.0, &[purpose.as_bytes(), value.as_bytes()]))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&Self::mac(&self.0, &[b"linli.aead.v1"]).into())
    }

    /// Encrypts `plain` for the column named by `field` (bound as associated data, so a
    /// value cannot be moved to another column). Output: base64 of nonce ‖ ciphertext.
    pub fn seal(&self, field: &str, plain: &str) -> StoreResult<String> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut rand::rngs::OsRng);
        let sealed = self
            .cipher()
            .encrypt(&nonce, Payload { msg: plain.as_bytes(), aad: field.as_bytes() })
            .map_err(|_| StoreError::Crypto)?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(STANDARD.encode(out))
    }

    /// Decrypts a value sealed by [`SecretKey::seal`] for the same field.
    pub fn open(&self, field: &str, sealed: &str) -> StoreResult<String> {
        let bytes = STANDARD.decode(sealed).map_err(|_| StoreError::Crypto)?;
        if bytes.len() < 24 {
            return Err(StoreError::Crypto);
        }
        let (nonce, body) = bytes.split_at(24);
        let plain = self
            .cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: field.as_bytes() })
            .map_err(|_| StoreError::Crypto)?;
        String::from_utf8(plain).map_err(|_| StoreError::Crypto)
    }
}

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> StoreResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Hash(e.to_string()))
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A fresh random bearer secret, URL-safe, 256 bits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The at-rest form of a bearer secret.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let h = hash_password("linli2026").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("linli2026", &h));
        assert!(!verify_password("linli2027", &h));
        assert!(!verify_password("linli2026", "not a hash"));
    }

    #[test]
    fn blind_indexes_depend_on_key_and_purpose() {
        let a = SecretKey::from_bytes([1; 32]);
        let b = SecretKey::from_bytes([2; 32]);
        assert_eq!(a.blind_index("phone", "13800000000"), a.blind_index("phone", "13800000000"));
        assert_ne!(a.blind_index("phone", "13800000000"), b.blind_index("phone", "13800000000"));
        assert_ne!(a.blind_index("phone", "13800000000"), a.blind_index("id", "13800000000"));
    }

    #[test]
    fn sealed_values_open_only_with_the_key_and_field_they_were_sealed_for() {
        let k = SecretKey::from_bytes([3; 32]);
        let a = k.seal("resident.phone", "13812345678").unwrap();
        let b = k.seal("resident.phone", "13812345678").unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("13812345678"));
        assert_eq!(k.open("resident.phone", &a).unwrap(), "13812345678");
        assert!(k.open("resident.id_number", &a).is_err());
        assert!(SecretKey::from_bytes([4; 32]).open("resident.phone", &a).is_err());
        let mut tampered = STANDARD.decode(&a).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(k.open("resident.phone", &STANDARD.encode(tampered)).is_err());
    }

    #[test]
    fn keys_round_trip_through_base64_and_reject_bad_lengths() {
        let k = SecretKey::generate();
        let back = SecretKey::from_base64(&k.to_base64()).unwrap();
        assert_eq!(k.blind_index("x", "y"), back.blind_index("x", "y"));
        assert!(SecretKey::from_base64("c2hvcnQ=").is_err());
        assert!(!format!("{k:?}").contains(&k.to_base64()));
    }
}
