//! Key secrets: their wire format, generation, validation, hashing and display hint.
//!
//! A secret is `<prefix><body><checksum>`: 40 base62 characters from a CSPRNG (about 238 bits)
//! and 6 base62 characters of CRC32 over prefix and body. The checksum lets a malformed or mistyped
//! string be refused without touching the database; it is not a security measure.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::{CryptoRng, Rng, distr::Alphanumeric};
use sha2::{Digest, Sha256};

/// Prefix of server-side secrets (full-access, scoped and integration keys).
/// Must never change: every issued server key starts with it.
pub const SERVER_PREFIX: &str = "server-";
/// Prefix of publishable (client-side) secrets.
/// Must never change: every issued publishable key starts with it.
pub const CLIENT_PREFIX: &str = "client-";

const BODY_LEN: usize = 40;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// How many trailing characters of a secret its display hint shows.
const HINT_LEN: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPrefix {
    Server,
    Client,
}

impl KeyPrefix {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Server => SERVER_PREFIX,
            Self::Client => CLIENT_PREFIX,
        }
    }
}

/// Why a string is not a key secret. Deliberately coarse: the caller learns only that it is
/// malformed, never which part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedKey {
    #[error("the key has an unknown prefix")]
    Prefix,
    #[error("the key has the wrong length")]
    Length,
    #[error("the key has characters outside its alphabet")]
    Alphabet,
    #[error("the key's checksum does not match")]
    Checksum,
}

/// A plaintext key secret. It exists only between generation and the response that shows it
/// once, or between reading the `X-API-Key` header and hashing it. `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySecret(String);

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeySecret({}…redacted)", self.prefix().as_str())
    }
}

impl KeySecret {
    pub fn generate<R: CryptoRng + ?Sized>(prefix: KeyPrefix, rng: &mut R) -> Self {
        let mut secret = String::with_capacity(prefix.as_str().len() + BODY_LEN + CHECKSUM_LEN);
        secret.push_str(prefix.as_str());
        secret.extend((0..BODY_LEN).map(|_| char::from(rng.sample(Alphanumeric))));
        push_checksum(&mut secret);
        Self(secret)
    }

    /// Validates prefix, length, alphabet and checksum, in that order, without any I/O.
    pub fn parse(candidate: &str) -> Result<Self, MalformedKey> {
        let prefix = if candidate.starts_with(SERVER_PREFIX) {
            KeyPrefix::Server
        } else if candidate.starts_with(CLIENT_PREFIX) {
            KeyPrefix::Client
        } else {
            return Err(MalformedKey::Prefix);
        };
        let rest = &candidate.as_bytes()[prefix.as_str().len()..];
        if rest.len() != BODY_LEN + CHECKSUM_LEN {
            return Err(MalformedKey::Length);
        }
        if !rest.iter().all(u8::is_ascii_alphanumeric) {
            return Err(MalformedKey::Alphabet);
        }
        let (signed, checksum) = candidate.split_at(candidate.len() - CHECKSUM_LEN);
        if checksum.as_bytes() != encode_checksum(crc32fast::hash(signed.as_bytes())) {
            return Err(MalformedKey::Checksum);
        }
        Ok(Self(candidate.to_owned()))
    }

    pub fn prefix(&self) -> KeyPrefix {
        if self.0.starts_with(CLIENT_PREFIX) {
            KeyPrefix::Client
        } else {
            KeyPrefix::Server
        }
    }

    /// The plaintext, for the one response that shows it. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The display hint kept beside the hash, e.g. `server-••••Ab12`.
    pub fn masked(&self) -> String {
        format!(
            "{}••••{}",
            self.prefix().as_str(),
            &self.0[self.0.len() - HINT_LEN..]
        )
    }
}

fn encode_checksum(mut crc: u32) -> [u8; CHECKSUM_LEN] {
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(crc % 62) as usize];
        crc /= 62;
    }
    out
}

fn push_checksum(secret: &mut String) {
    let checksum = encode_checksum(crc32fast::hash(secret.as_bytes()));
    secret.extend(checksum.iter().map(|&b| char::from(b)));
}

/// The stored form of a secret: SHA-256, or HMAC-SHA256 keyed by the server pepper.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash([u8; 32]);

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(redacted)")
    }
}

impl KeyHash {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

/// Hashes secrets the same way for storage and for lookup.
#[derive(Clone)]
pub struct KeyHasher {
    /// HMAC-SHA256 already keyed with the pepper: each hash clones this state instead of
    /// running the key schedule again (two SHA-256 blocks saved per hash).
    peppered: Option<Hmac<Sha256>>,
}

impl fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyHasher")
            .field("peppered", &self.peppered.is_some())
            .finish()
    }
}

impl KeyHasher {
    /// `pepper`: a server-side secret mixed into every hash, so a stolen database alone cannot
    /// be used to test candidate keys. Changing it invalidates every stored key.
    pub fn new(pepper: Option<Vec<u8>>) -> Self {
        let peppered = pepper.filter(|p| !p.is_empty()).map(|pepper| {
            Hmac::<Sha256>::new_from_slice(&pepper).expect("HMAC-SHA256 accepts keys of any length")
        });
        Self { peppered }
    }

    pub fn hash(&self, secret: &KeySecret) -> KeyHash {
        let bytes = secret.expose().as_bytes();
        let digest: [u8; 32] = match &self.peppered {
            None => Sha256::digest(bytes).into(),
            Some(keyed) => {
                let mut mac = keyed.clone();
                mac.update(bytes);
                mac.finalize().into_bytes().into()
            }
        };
        KeyHash(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> rand::rngs::StdRng {
        use rand::SeedableRng;
        rand::rngs::StdRng::seed_from_u64(7)
    }

    #[test]
    fn generated_secrets_parse_and_carry_their_prefix() {
        let mut rng = rng();
        for prefix in [KeyPrefix::Server, KeyPrefix::Client] {
            let secret = KeySecret::generate(prefix, &mut rng);
            assert_eq!(secret.expose().len(), prefix.as_str().len() + 46);
            let parsed = KeySecret::parse(secret.expose()).expect("a generated key parses");
            assert_eq!(parsed.prefix(), prefix);
        }
    }

    #[test]
    fn malformed_strings_are_rejected_with_their_reason() {
        let good = KeySecret::generate(KeyPrefix::Server, &mut rng())
            .expose()
            .to_owned();
        let mut flipped = good.clone().into_bytes();
        let i = 10;
        flipped[i] = if flipped[i] == b'a' { b'b' } else { b'a' };
        let flipped = String::from_utf8(flipped).unwrap();
        let cases: &[(&str, MalformedKey)] = &[
            ("", MalformedKey::Prefix),
            ("sk_live_abc", MalformedKey::Prefix),
            ("Server-abc", MalformedKey::Prefix),
            ("server-", MalformedKey::Length),
            (&good[..good.len() - 1], MalformedKey::Length),
            (&format!("{good}x"), MalformedKey::Length),
            (&good.replace(&good[7..8], "-"), MalformedKey::Alphabet),
            (&flipped, MalformedKey::Checksum),
        ];
        for (input, expected) in cases {
            assert_eq!(KeySecret::parse(input), Err(*expected), "input {input:?}");
        }
        let non_ascii = format!("server-{}é", &good[7..good.len() - 2]);
        assert!(KeySecret::parse(&non_ascii).is_err());
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = KeySecret::generate(KeyPrefix::Server, &mut rng());
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&secret.expose()[7..]));
        let hash = KeyHasher::new(None).hash(&secret);
        assert!(!format!("{hash:?}").contains(&hash.to_hex()));
    }

    #[test]
    fn masked_hint_shows_prefix_and_last_four() {
        let secret = KeySecret::generate(KeyPrefix::Client, &mut rng());
        let masked = secret.masked();
        assert!(masked.starts_with("client-••••"));
        assert!(secret.expose().ends_with(&masked["client-••••".len()..]));
    }

    #[test]
    fn pepper_changes_the_hash_and_hex_round_trips() {
        let secret = KeySecret::generate(KeyPrefix::Server, &mut rng());
        let plain = KeyHasher::new(None).hash(&secret);
        let peppered = KeyHasher::new(Some(b"pepper".to_vec())).hash(&secret);
        assert_ne!(plain, peppered);
        assert_eq!(KeyHash::from_hex(&plain.to_hex()), Some(plain));
        assert_eq!(KeyHash::from_hex("zz"), None);
    }

    #[test]
    fn hashes_match_sha256_and_hmac_sha256_computed_elsewhere() {
        // Expected values from Python's hashlib and hmac.
        let secret =
            KeySecret::parse("server-Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3x2SdmVl").unwrap();
        assert_eq!(
            KeyHasher::new(None).hash(&secret).to_hex(),
            "5e4078aa0abe8ff2b61237903c6e20732ba9bc7470ccd92195bbf1786476a146"
        );
        let peppered = KeyHasher::new(Some(b"pepper".to_vec()));
        for _ in 0..2 {
            // Twice: the keyed state is cloned, never consumed.
            assert_eq!(
                peppered.hash(&secret).to_hex(),
                "e14172c073008dde17a671c06a4f247ef4accde5ec1c9e5c2e9a23e93cb8799d"
            );
        }
    }
}
