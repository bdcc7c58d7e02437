//! Passwords: the length rule, argon2id hashing in PHC string form, and who counts as one
//! guesser for the throttles.
//!
//! Hashing is deliberately slow (tens of milliseconds) and takes 19 MiB; callers on an async
//! executor run it on a blocking thread, a bounded number at a time.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::{CryptoRng, Rng};

use crate::error::RuleViolation;

/// Shortest password accepted, in characters. Length is the only rule: no composition rules.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted, so one request cannot make hashing arbitrarily expensive.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A password as typed. `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(redacted)")
    }
}

impl Password {
    /// A new password: 12 to 256 characters.
    pub fn parse_new(field: &'static str, text: &str) -> Result<Self, RuleViolation> {
        let chars = text.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(RuleViolation::bad_input(
                field,
                format!("a password is at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(RuleViolation::bad_input(
                field,
                format!("a password is at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// A password offered at login: never judged, only compared (an over-long one is cut, so
    /// it costs no more to check than the longest that can be set, and cannot match).
    pub fn offered(text: &str) -> Self {
        Self(text.chars().take(MAX_PASSWORD_CHARS + 1).collect())
    }
}

/// Argon2id with the OWASP-recommended parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with a fresh random salt, as a PHC string (`$argon2id$v=19$...`).
pub fn hash_password<R: CryptoRng + ?Sized>(password: &Password, rng: &mut R) -> String {
    let salt_bytes: [u8; 16] = rng.random();
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes make a valid salt");
    argon2()
        .hash_password(password.0.as_bytes(), &salt)
        .expect("hashing with valid parameters and salt cannot fail")
        .to_string()
}

/// Whether `password` matches the stored PHC string. A damaged hash never matches.
pub fn verify_password(password: &Password, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.0.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The network one client is counted as by the guessing throttles: an IPv4 address, or the
/// /64 an IPv6 address is in (one subscriber's usual allocation, so hopping addresses inside
/// it is still one client). An IPv4-mapped IPv6 address is its IPv4 address.
pub fn client_network(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !u128::from(u64::MAX);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_64() {
        let cases = [
            ("203.0.113.7", "203.0.113.7"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
            ("2001:db8:1:2::1", "2001:db8:1:2::"),
            ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::"),
            ("2001:db8:1:3::1", "2001:db8:1:3::"),
            ("::1", "::"),
        ];
        for (address, network) in cases {
            let address: IpAddr = address.parse().unwrap();
            assert_eq!(
                client_network(address),
                network.parse::<IpAddr>().unwrap(),
                "{address}"
            );
        }
    }

    #[test]
    fn length_is_the_only_rule() {
        assert!(Password::parse_new("password", "short").is_err());
        assert!(Password::parse_new("password", "elevenchars").is_err());
        assert!(Password::parse_new("password", "twelve chars").is_ok());
        assert!(Password::parse_new("password", "aaaaaaaaaaaa").is_ok());
        assert!(Password::parse_new("password", &"x".repeat(257)).is_err());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let password = Password::parse_new("p", "correct horse battery").unwrap();
        let stored = hash_password(&password, &mut rand::rng());
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&password, &stored));
        assert!(!verify_password(
            &Password::offered("correct horse battery!"),
            &stored
        ));
        assert!(!verify_password(&password, "not a hash"));
        assert_ne!(stored, hash_password(&password, &mut rand::rng()), "salted");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let password = Password::offered("hunter2hunter2");
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
