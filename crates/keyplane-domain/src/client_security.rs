//! Client-side security for publishable keys: an environment can require every use of its
//! publishable key to carry a customer id and a token the platform's backend signed for that
//! customer with the environment's signing secret, and can limit the browser origins it accepts.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::{CryptoRng, Rng, distr::Alphanumeric};
use sha2::Sha256;

use crate::customer::parse_customer_id;
use crate::error::RuleViolation;
use crate::verification::VerificationCode;

/// Prefix of client signing secrets. Must never change: backends may check it.
pub const SIGNING_SECRET_PREFIX: &str = "kpsign-";
const SIGNING_SECRET_BODY: usize = 43;
/// An expiring token may live at most this long from when it is checked.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::hours(24);
pub const MAX_ORIGINS: usize = 50;
const MAX_ORIGIN_CHARS: usize = 255;
/// Longest customer token accepted: an expiring form with a 20-digit expiry.
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
    normalise_origin(origin).ok_or_else(|| not_an_origin(field, "the value"))
}

fn normalise_origin(origin: &str) -> Option<String> {
    if origin.len() > MAX_ORIGIN_CHARS || !origin.is_ascii() {
        return None;
    }
    let lower = origin.to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    let valid_host = rest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !valid_host || rest.starts_with(['.', '-', ':']) {
        return None;
    }
    Some(lower)
}

/// The refusal names the value by `subject` (`allowedOrigins[2]`), never by its text: a
/// caller may have pasted a secret into the wrong field.
fn not_an_origin(field: &'static str, subject: &str) -> RuleViolation {
    RuleViolation::bad_input(
        field,
        format!(
            "{subject} is not an origin: expected scheme://host[:port] with no path, \
             like https://app.example.com"
        ),
    )
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
        .enumerate()
        .map(|(i, o)| {
            normalise_origin(o)
                .ok_or_else(|| not_an_origin("allowedOrigins", &format!("allowedOrigins[{i}]")))
        })
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

/// Whether the two original token forms still verify. They sign `<customerId>` and
/// `<customerId>.<expiry>`, and ids may contain `.`, so a token of one form can stand for
/// another customer in the other (the token for `a.1800000000` is also the expiring token of
/// `a`, and the other way round). Accepted until platforms have moved to the `v2` forms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LegacyTokens {
    #[default]
    Accept,
    Refuse,
}

/// The message a `v2` token signs: `v2`, the customer id and the expiry (empty for a token
/// that never expires), each on its own line. A customer id is printable ASCII, so it holds no
/// line break: the message names exactly one customer and one expiry, and no message of the
/// legacy forms (printable ASCII throughout) is ever a `v2` message.
fn v2_message(customer_id: &str, expiry: Option<i64>) -> String {
    let expiry = expiry.map(|e| e.to_string()).unwrap_or_default();
    format!("v2\n{customer_id}\n{expiry}")
}

/// What a customer's backend sends its frontend: `v2.<hex hmac>` for a token that never
/// expires, or `v2.<unix-expiry>.<hex hmac>`, the HMAC-SHA256 over
/// `"v2\n<customerId>\n<unix-expiry or nothing>"` with the signing secret.
pub fn sign_customer_token(secret: &str, customer_id: &str, expires_at: Option<i64>) -> String {
    let signature = hex::encode(
        mac(secret, &v2_message(customer_id, expires_at))
            .finalize()
            .into_bytes(),
    );
    match expires_at {
        None => format!("v2.{signature}"),
        Some(expiry) => format!("v2.{expiry}.{signature}"),
    }
}

/// An expiry as a token carries it: unix seconds, in the future and at most
/// [`MAX_TOKEN_LIFETIME`] away.
fn parse_expiry(text: &str, now: DateTime<Utc>) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds = text.parse::<i64>().ok()?;
    // One spelling per expiry: no leading zeros.
    if seconds.to_string() != text {
        return None;
    }
    let expires = DateTime::from_timestamp(seconds, 0)?;
    (expires > now && expires <= now + MAX_TOKEN_LIFETIME).then_some(seconds)
}

/// Checks a customer token against every signing secret still valid (the current one and any
/// previous one inside its grace period), in constant time for each. The legacy forms (hex
/// HMAC over the id, and `v1.<expiry>.<hex hmac over "<customerId>.<expiry>">`) verify only
/// while `legacy` accepts them.
pub fn verify_customer_token(
    secrets: &[String],
    customer_id: &str,
    token: &str,
    now: DateTime<Utc>,
    legacy: LegacyTokens,
) -> Result<(), VerificationCode> {
    let invalid = Err(VerificationCode::InvalidCustomerToken);
    // An id that is not a customer id could hold a line break and forge a `v2` message.
    if token.len() > MAX_TOKEN_CHARS || parse_customer_id("customerId", customer_id).is_err() {
        return invalid;
    }
    let legacy_ok = legacy == LegacyTokens::Accept;
    let (message, signature_hex) = if let Some(rest) = token.strip_prefix("v2.") {
        match rest.split_once('.') {
            None => (v2_message(customer_id, None), rest),
            Some((expiry, signature)) => {
                let Some(expiry) = parse_expiry(expiry, now) else {
                    return invalid;
                };
                (v2_message(customer_id, Some(expiry)), signature)
            }
        }
    } else if let Some(rest) = token.strip_prefix("v1.") {
        let Some((expiry, signature)) = rest.split_once('.') else {
            return invalid;
        };
        if !legacy_ok || parse_expiry(expiry, now).is_none() {
            return invalid;
        }
        (format!("{customer_id}.{expiry}"), signature)
    } else {
        if !legacy_ok {
            return invalid;
        }
        (customer_id.to_owned(), token)
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

/// Whether `token` has one of the legacy forms (for telling operators they are still used).
pub fn is_legacy_token(token: &str) -> bool {
    !token.starts_with("v2.")
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
    legacy: LegacyTokens,
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
    verify_customer_token(secrets, customer_id, token, now, legacy)
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

    /// The legacy forms, as backends computed them before `v2`.
    fn legacy_token(secret: &str, customer_id: &str, expiry: Option<i64>) -> String {
        let hex_mac = |message: &str| hex::encode(mac(secret, message).finalize().into_bytes());
        match expiry {
            None => hex_mac(customer_id),
            Some(expiry) => format!(
                "v1.{expiry}.{}",
                hex_mac(&format!("{customer_id}.{expiry}"))
            ),
        }
    }

    #[test]
    fn token_forms_verify_and_tampering_is_refused() {
        use LegacyTokens::{Accept, Refuse};
        let expiry = now().timestamp() + 3600;
        let plain = sign_customer_token(SECRET, "cus_1", None);
        let expiring = sign_customer_token(SECRET, "cus_1", Some(expiry));
        let old_plain = legacy_token(SECRET, "cus_1", None);
        let old_expiring = legacy_token(SECRET, "cus_1", Some(expiry));
        let upper = old_plain.to_uppercase();
        let too_late = sign_customer_token(SECRET, "cus_1", Some(now().timestamp() - 1));
        let too_long = sign_customer_token(SECRET, "cus_1", Some(now().timestamp() + 25 * 3600));
        let other_secret = sign_customer_token("kpsign-other", "cus_1", None);
        let zero_padded = expiring.replacen("v2.", "v2.0", 1);
        // The confusions of the legacy forms: `a.<expiry>`'s plain token is `a`'s expiring one.
        let dotted = format!("a.{expiry}");
        let dotted_plain = sign_customer_token(SECRET, &dotted, None);
        let dotted_old_plain = legacy_token(SECRET, &dotted, None);
        let a_expiring = sign_customer_token(SECRET, "a", Some(expiry));
        let a_old_expiring = legacy_token(SECRET, "a", Some(expiry));
        let as_v1 = |signature: &str| format!("v1.{expiry}.{signature}");
        let as_v2 = |signature: &str| format!("v2.{expiry}.{signature}");
        let signature_of = |token: &str| token.rsplit('.').next().unwrap().to_owned();
        let cases: Vec<(&str, String, LegacyTokens, bool)> = vec![
            ("cus_1", plain.clone(), Accept, true),
            ("cus_1", plain.clone(), Refuse, true),
            ("cus_1", expiring.clone(), Refuse, true),
            ("cus_1", old_plain.clone(), Accept, true),
            ("cus_1", upper, Accept, true),
            ("cus_1", old_expiring.clone(), Accept, true),
            ("cus_1", old_plain, Refuse, false),
            ("cus_1", old_expiring, Refuse, false),
            ("cus_2", plain.clone(), Accept, false),
            ("cus_2", expiring.clone(), Accept, false),
            ("cus_1", too_late, Accept, false),
            ("cus_1", too_long, Accept, false),
            ("cus_1", other_secret, Accept, false),
            ("cus_1", zero_padded, Accept, false),
            ("cus_1", plain[..60].to_owned(), Accept, false),
            ("cus_1", String::new(), Accept, false),
            ("cus_1", "zz".into(), Accept, false),
            ("cus_1", "v1.".into(), Accept, false),
            ("cus_1", "v2.".into(), Accept, false),
            ("cus_1", "v1.abc.00".into(), Accept, false),
            ("cus_1", "v2.abc.00".into(), Accept, false),
            ("cus_1", "v1.99999999999999999999.00".into(), Accept, false),
            // An id that is not a customer id never verifies.
            ("cus 1", legacy_token(SECRET, "cus 1", None), Accept, false),
            (
                "a\nb",
                sign_customer_token(SECRET, "a\nb", None),
                Accept,
                false,
            ),
            // v2 tokens stand for their own customer only, whatever the legacy setting.
            ("a", as_v1(&signature_of(&dotted_plain)), Accept, false),
            ("a", as_v2(&signature_of(&dotted_plain)), Accept, false),
            ("a", as_v2(&signature_of(&dotted_old_plain)), Accept, false),
            (dotted.as_str(), signature_of(&a_expiring), Accept, false),
            (
                dotted.as_str(),
                format!("v2.{}", signature_of(&a_expiring)),
                Accept,
                false,
            ),
            (
                dotted.as_str(),
                format!("v2.{}", signature_of(&a_old_expiring)),
                Accept,
                false,
            ),
            // The legacy confusion itself: allowed only while legacy tokens are accepted.
            ("a", as_v1(&dotted_old_plain), Accept, true),
            ("a", as_v1(&dotted_old_plain), Refuse, false),
            (dotted.as_str(), signature_of(&a_old_expiring), Accept, true),
            (
                dotted.as_str(),
                signature_of(&a_old_expiring),
                Refuse,
                false,
            ),
        ];
        let secrets = vec![SECRET.to_owned()];
        for (customer, token, legacy, ok) in cases {
            let result = verify_customer_token(&secrets, customer, &token, now(), legacy);
            assert_eq!(result.is_ok(), ok, "{customer:?} {token} {legacy:?}");
        }
        let rolled = vec!["kpsign-new".to_owned(), SECRET.to_owned()];
        assert!(verify_customer_token(&rolled, "cus_1", &plain, now(), Refuse).is_ok());
        assert!(verify_customer_token(&[], "cus_1", &plain, now(), Accept).is_err());
        assert!(is_legacy_token(&legacy_token(SECRET, "c", None)));
        assert!(!is_legacy_token(&plain));
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
    fn an_invalid_origin_is_refused_without_repeating_it() {
        let pasted = "secret-looking-value-123";
        let alone = parse_origin("origin", pasted).unwrap_err();
        assert_eq!(alone.field, Some("origin"));
        assert!(!alone.message.contains(pasted), "{}", alone.message);
        let listed = parse_client_security(
            true,
            &[
                "https://app.example.com".to_owned(),
                format!("https://{pasted}/path"),
            ],
        )
        .unwrap_err();
        assert_eq!(listed.code, crate::ErrorCode::BadUserInput);
        assert_eq!(listed.field, Some("allowedOrigins"));
        assert!(!listed.message.contains(pasted), "{}", listed.message);
        assert!(
            listed.message.starts_with("allowedOrigins[1] "),
            "{}",
            listed.message
        );
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
                check_client(&settings, &secrets, proof, now(), LegacyTokens::Refuse),
                expected,
                "{proof:?}"
            );
        }
        let off = ClientSecurity::default();
        assert_eq!(
            check_client(
                &off,
                &[],
                ClientProof::default(),
                now(),
                LegacyTokens::Refuse
            ),
            Ok(())
        );
    }
}
