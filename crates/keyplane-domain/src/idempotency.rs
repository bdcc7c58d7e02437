//! Idempotency keys: a mutation request carrying one runs at most once per environment and key
//! for a day; a retry gets the stored response.

use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::error::RuleViolation;

/// How long a stored response is replayed, and a key stays taken.
pub const RETENTION: Duration = Duration::hours(24);
pub const MAX_KEY_CHARS: usize = 255;
pub const HEADER: &str = "Idempotency-Key";

/// A client-chosen idempotency key: 1 to 255 printable ASCII characters.
pub fn parse_idempotency_key(key: &str) -> Result<String, RuleViolation> {
    if key.is_empty() || key.len() > MAX_KEY_CHARS || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RuleViolation::bad_input(
            HEADER,
            format!(
                "an Idempotency-Key is 1 to {MAX_KEY_CHARS} printable ASCII characters without spaces"
            ),
        ));
    }
    Ok(key.to_owned())
}

/// What identifies "the same request": the exact body, made by the same API key.
pub fn fingerprint(api_key_id: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(api_key_id.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_printable_ascii() {
        let long = "k".repeat(MAX_KEY_CHARS + 1);
        let max = "k".repeat(MAX_KEY_CHARS);
        let cases: &[(&str, bool)] = &[
            ("order-42", true),
            ("0b8f5a4e-7f1c-4a57-9d3e-5d2c7c1a9b10", true),
            (&max, true),
            ("", false),
            (" ", false),
            ("has space", false),
            ("é", false),
            (&long, false),
        ];
        for (key, ok) in cases {
            assert_eq!(parse_idempotency_key(key).is_ok(), *ok, "{key:?}");
        }
    }

    #[test]
    fn fingerprints_differ_by_body_and_by_caller() {
        let a = fingerprint("k1", b"{\"query\":\"mutation{x}\"}");
        assert_eq!(a, fingerprint("k1", b"{\"query\":\"mutation{x}\"}"));
        assert_ne!(a, fingerprint("k2", b"{\"query\":\"mutation{x}\"}"));
        assert_ne!(a, fingerprint("k1", b"{\"query\":\"mutation{y}\"}"));
    }
}
