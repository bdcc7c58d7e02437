//! Client-side security for publishable keys: an environment can require every use of its
//! publishable key to carry a customer id and a token the platform's backend signed for that
//! customer with the environment's signing secret, and can limit the browser origins it accepts.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::{CryptoRng, Rng, distr::Alphanumeric};
use sha2::Sha256;

use crate::error::RuleViolation;
use crate::verification::VerificationCode;

/// Prefix of client signing secrets. Must never change: backends may check it.
pub const SIGNING_SECRET_PREFIX: &str = "kpsign-";
const SIGNING_SECRET_BODY: usize = 43;
/// An expiring token may live at most this long from when it is checked.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::hours(24);
pub const MAX_ORIGINS: usize = 50;
const MAX_ORIGIN_CHARS: usize = 255;
/// Longest customer token accepted: the expiring form with a 20-digit expiry.
const MAX_TOKEN_CHARS: usize = 3 + 20 + 1 + 64;

/// An environment's client-side security settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSecurity {
    pub enabled: bool,
    pub allowed_origins: Vec<String>,
}

/// Generates a signing secret: shown once to the platform, kept sealed by Keyplane.
pub fn generate_signing_secret<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut secret = String::from(SIGNING_SECRET_PREFIX);
    secret.extend((0..SIGNING_SECRET_BODY).map(|_| char::from(rng.sample(Alphanumeric))));
    secret
}

/// An origin as browsers send it: `scheme://host[:port]`, lower case, no path.
pub fn parse_origin(field: &'static str, origin: &str) -> Result<String, RuleViolation> {
    let invalid = || {
        RuleViolation::bad_input(
            field,
            format!("{origin:?} is not an origin like https://app.example.com"),
        )
    };
    if origin.len() > MAX_ORIGIN_CHARS || !origin.is_ascii() {
        return Err(invalid());
    }
    let lower = origin.to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://").ok_or_else(invalid)?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return Err(invalid());
    }
    let valid_host = rest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !valid_host || rest.starts_with(['.', '-', ':']) {
        return Err(invalid());
    }
    Ok(lower)
}

/// Validates new settings: at most 50 distinct origins.
pub fn parse_client_security(
    enabled: bool,
    allowed_origins: &[String],
) -> Result<ClientSecurity, RuleViolation> {
    if allowed_origins.len() > MAX_ORIGINS {
        return Err(RuleViolation::bad_input(
            "allowedOrigins",
            format!("at most {MAX_ORIGINS} origins"),
        ));
    }
    let mut origins = allowed_origins
        .iter()
        .map(|o| parse_origin("allowedOrigins", o))
        .collect::<Result<Vec<_>, _>>()?;
    origins.sort();
    origins.dedup();
    Ok(ClientSecurity {
        enabled,
        allowed_origins: origins,
    })
}

fn mac(secret: &str, message: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(message.as_bytes());
    mac
}

/// What a customer's backend sends its frontend: hex HMAC-SHA256 of the customer id, or the
/// expiring form `v1.<unix-expiry>.<hex hmac over "<customerId>.<unix-expiry>">`.
pub fn sign_customer_token(secret: &str, customer_id: &str, expires_at: Option<i64>) -> String {
    match expires_at {
        None => hex::encode(mac(secret, customer_id).finalize().into_bytes()),
        Some(expiry) => {
            let signature = mac(secret, &format!("{customer_id}.{expiry}")).finalize();
            format!("v1.{expiry}.{}", hex::encode(signature.into_bytes()))
        }
    }
}

/// Checks a customer token against every signing secret still valid (the current one and any
/// previous one inside its grace period), in constant time for each.
pub fn verify_customer_token(
    secrets: &[String],
    customer_id: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), VerificationCode> {
    let invalid = Err(VerificationCode::InvalidCustomerToken);
    if token.len() > MAX_TOKEN_CHARS {
        return invalid;
    }
    let (message, signature_hex) = match token.strip_prefix("v1.") {
        None => (customer_id.to_owned(), token),
        Some(rest) => {
            let Some((expiry, signature)) = rest.split_once('.') else {
                return invalid;
            };
            let Ok(expiry_secs) = expiry.parse::<i64>() else {
                return invalid;
            };
            let Some(expires) = DateTime::from_timestamp(expiry_secs, 0) else {
                return invalid;
            };
            if expires <= now || expires > now + MAX_TOKEN_LIFETIME {
                return invalid;
            }
            (format!("{customer_id}.{expiry}"), signature)
        }
    };
    let Ok(signature) = hex::decode(signature_hex) else {
        return invalid;
    };
    if secrets
        .iter()
        .any(|secret| mac(secret, &message).verify_slice(&signature).is_ok())
    {
        Ok(())
    } else {
        invalid
    }
}

/// What a request with a publishable key carried.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientProof<'a> {
    pub customer_id: Option<&'a str>,
    pub customer_token: Option<&'a str>,
    pub origin: Option<&'a str>,
}

/// The whole client-side check for one use of a publishable key: origin first, then the token.
/// An absent `Origin` is not refused (only browsers send one); a present one must be listed when
/// a list is set.
pub fn check_client(
    settings: &ClientSecurity,
    secrets: &[String],
    proof: ClientProof<'_>,
    now: DateTime<Utc>,
) -> Result<(), VerificationCode> {
    if !settings.enabled {
        return Ok(());
    }
    if let Some(origin) = proof.origin
        && !settings.allowed_origins.is_empty()
        && !settings
            .allowed_origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    {
        return Err(VerificationCode::OriginNotAllowed);
    }
    let (Some(customer_id), Some(token)) = (proof.customer_id, proof.customer_token) else {
        return Err(VerificationCode::CustomerTokenRequired);
    };
    verify_customer_token(secrets, customer_id, token, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    const SECRET: &str = "kpsign-test-secret";

    #[test]
    fn generated_secrets_carry_the_prefix_and_differ() {
        let mut rng = rand::rng();
        let a = generate_signing_secret(&mut rng);
        assert!(a.starts_with(SIGNING_SECRET_PREFIX));
        assert_eq!(a.len(), SIGNING_SECRET_PREFIX.len() + SIGNING_SECRET_BODY);
        assert_ne!(a, generate_signing_secret(&mut rng));
    }

    #[test]
    fn token_forms_verify_and_tampering_is_refused() {
        let plain = sign_customer_token(SECRET, "cus_1", None);
        let expiry = now().timestamp() + 3600;
        let expiring = sign_customer_token(SECRET, "cus_1", Some(expiry));
        let secrets = vec![SECRET.to_owned()];
        let upper = plain.to_uppercase();
        let too_late = sign_customer_token(SECRET, "cus_1", Some(now().timestamp() - 1));
        let too_long = sign_customer_token(SECRET, "cus_1", Some(now().timestamp() + 25 * 3600));
        let other_secret = sign_customer_token("kpsign-other", "cus_1", None);
        let cases: Vec<(&str, &str, bool)> = vec![
            ("cus_1", &plain, true),
            ("cus_1", &upper, true),
            ("cus_1", &expiring, true),
            ("cus_2", &plain, false),
            ("cus_2", &expiring, false),
            ("cus_1", &too_late, false),
            ("cus_1", &too_long, false),
            ("cus_1", &other_secret, false),
            ("cus_1", &plain[..63], false),
            ("cus_1", "", false),
            ("cus_1", "zz", false),
            ("cus_1", "v1.", false),
            ("cus_1", "v1.abc.00", false),
            ("cus_1", "v1.99999999999999999999.00", false),
        ];
        for (customer, token, ok) in cases {
            let result = verify_customer_token(&secrets, customer, token, now());
            assert_eq!(result.is_ok(), ok, "{customer} {token}");
        }
        let rolled = vec!["kpsign-new".to_owned(), SECRET.to_owned()];
        assert!(verify_customer_token(&rolled, "cus_1", &plain, now()).is_ok());
        assert!(verify_customer_token(&[], "cus_1", &plain, now()).is_err());
    }

    #[test]
    fn origins_are_normalised_and_validated() {
        let cases = [
            ("https://App.Example.com", Some("https://app.example.com")),
            ("http://localhost:3000", Some("http://localhost:3000")),
            ("https://[::1]:8443", Some("https://[::1]:8443")),
            ("app.example.com", None),
            ("ftp://example.com", None),
            ("https://", None),
            ("https://example.com/path", None),
            ("https://exa mple.com", None),
            ("https://exämple.com", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_origin("origin", input).ok().as_deref(),
                expected,
                "{input}"
            );
        }
        let many: Vec<String> = (0..=MAX_ORIGINS)
            .map(|i| format!("https://a{i}.com"))
            .collect();
        assert!(parse_client_security(true, &many).is_err());
    }

    #[test]
    fn client_check_applies_only_when_enabled_origin_first() {
        let settings = ClientSecurity {
            enabled: true,
            allowed_origins: vec!["https://app.example.com".into()],
        };
        let secrets = vec![SECRET.to_owned()];
        let token = sign_customer_token(SECRET, "cus_1", None);
        let proof = |origin, customer, token| ClientProof {
            customer_id: customer,
            customer_token: token,
            origin,
        };
        let cases = [
            (proof(None, Some("cus_1"), Some(token.as_str())), Ok(())),
            (
                proof(
                    Some("https://APP.example.com"),
                    Some("cus_1"),
                    Some(token.as_str()),
                ),
                Ok(()),
            ),
            (
                proof(
                    Some("https://evil.example"),
                    Some("cus_1"),
                    Some(token.as_str()),
                ),
                Err(VerificationCode::OriginNotAllowed),
            ),
            (
                proof(None, Some("cus_1"), None),
                Err(VerificationCode::CustomerTokenRequired),
            ),
            (
                proof(None, None, Some(token.as_str())),
                Err(VerificationCode::CustomerTokenRequired),
            ),
            (
                proof(None, Some("cus_2"), Some(token.as_str())),
                Err(VerificationCode::InvalidCustomerToken),
            ),
        ];
        for (proof, expected) in cases {
            assert_eq!(
                check_client(&settings, &secrets, proof, now()),
                expected,
                "{proof:?}"
            );
        }
        let off = ClientSecurity::default();
        assert_eq!(
            check_client(&off, &[], ClientProof::default(), now()),
            Ok(())
        );
    }
}
