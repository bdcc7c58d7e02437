//! Opaque bearer tokens for people: sessions and one-time links (setup, invitation, password
//! reset). 256 random bits, shown once, stored only as a SHA-256 digest: a token has far too
//! much entropy to guess, so a plain (unpeppered, unsalted) digest is enough.

use std::fmt;

use rand::{CryptoRng, Rng};
use sha2::{Digest, Sha256};

/// What a token opens. The prefix tells a leaked token's kind at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    /// A one-time link: owner setup, invitation or password reset.
    Link,
    /// Temporary, read-only credentials for an environment's event queue.
    EventQueue,
}

impl TokenKind {
    /// Must never change: tokens in use carry it.
    const fn prefix(self) -> &'static str {
        match self {
            Self::Session => "kps_",
            Self::Link => "kpl_",
            Self::EventQueue => "kpq_",
        }
    }
}

const BODY_LEN: usize = 64;

/// A token's plaintext. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(redacted)")
    }
}

impl Token {
    pub fn generate<R: CryptoRng + ?Sized>(kind: TokenKind, rng: &mut R) -> Self {
        let bytes: [u8; 32] = rng.random();
        Self(format!("{}{}", kind.prefix(), hex::encode(bytes)))
    }

    /// A presented token of `kind`; anything not of its shape is `None`, before any lookup.
    pub fn parse(kind: TokenKind, text: &str) -> Option<Self> {
        let body = text.strip_prefix(kind.prefix())?;
        (body.len() == BODY_LEN && body.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form: hex SHA-256.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_as_their_kind_only() {
        let token = Token::generate(TokenKind::Session, &mut rand::rng());
        assert!(token.expose().starts_with("kps_"));
        assert_eq!(
            Token::parse(TokenKind::Session, token.expose()),
            Some(token.clone())
        );
        assert_eq!(Token::parse(TokenKind::Link, token.expose()), None);
        assert_eq!(Token::parse(TokenKind::Session, "kps_short"), None);
        assert_eq!(token.digest().len(), 64);
        assert_ne!(token.digest(), token.expose());
        assert!(!format!("{token:?}").contains(&token.expose()[4..]));
    }
}
