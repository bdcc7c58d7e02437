//! Sealing secrets Keyplane must be able to read back (client signing secrets, stored responses
//! that carry a secret): XChaCha20-Poly1305 under the server's data key, with a random nonce and
//! the row's identity as associated data, so a sealed value cannot be moved to another row.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, Rng};

const NONCE_LEN: usize = 24;

/// The 256-bit key that seals secrets at rest. `Debug` never shows it.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(redacted)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("a data key is 64 hexadecimal characters")]
    BadKey,
    #[error("the sealed value is damaged or was sealed with another key")]
    Unreadable,
}

impl DataKey {
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(rng.random())
    }

    pub fn from_hex(text: &str) -> Result<Self, SealError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| SealError::BadKey)?;
        Ok(Self(bytes))
    }

    /// For writing a new key file, once.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Seals `plaintext`, bound to `context` (which row it belongs to). Answers hex of
    /// nonce and ciphertext.
    pub fn seal<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        context: &str,
        plaintext: &[u8],
    ) -> String {
        let nonce: [u8; NONCE_LEN] = rng.random();
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&self.0));
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any message that fits in memory");
        let mut out = hex::encode(nonce);
        out.push_str(&hex::encode(sealed));
        out
    }

    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let bytes = hex::decode(sealed).map_err(|_| SealError::Unreadable)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Unreadable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        XChaCha20Poly1305::new(Key::from_slice(&self.0))
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let mut rng = rand::rng();
        let key = DataKey::generate(&mut rng);
        let sealed = key.seal(&mut rng, "env-1", b"kpsign-secret");
        assert!(!sealed.contains(&hex::encode(b"kpsign-secret")));
        assert_eq!(key.open("env-1", &sealed).unwrap(), b"kpsign-secret");
        assert_eq!(key.open("env-2", &sealed), Err(SealError::Unreadable));
        let other = DataKey::generate(&mut rng);
        assert_eq!(other.open("env-1", &sealed), Err(SealError::Unreadable));
        let mut tampered = sealed.clone();
        tampered.replace_range(60..61, if &sealed[60..61] == "0" { "1" } else { "0" });
        assert_eq!(key.open("env-1", &tampered), Err(SealError::Unreadable));
        assert_eq!(key.open("env-1", "00"), Err(SealError::Unreadable));
        assert_ne!(
            sealed,
            key.seal(&mut rng, "env-1", b"kpsign-secret"),
            "fresh nonce each time"
        );
    }

    #[test]
    fn keys_round_trip_through_hex_and_never_show_in_debug() {
        let key = DataKey::generate(&mut rand::rng());
        let again = DataKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(again.0, key.0);
        assert!(!format!("{key:?}").contains(&key.to_hex()));
        assert_eq!(DataKey::from_hex("abc").unwrap_err(), SealError::BadKey);
    }
}
