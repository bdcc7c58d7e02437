//! Webhooks: endpoint rules (URL, subscribed events), Standard Webhooks signatures, the retry
//! schedule and which destinations are private. Delivery itself is I/O and lives in the
//! application layer.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::{CryptoRng, Rng};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::RuleViolation;
use crate::event::EventType;

mod destination;
mod stored;

pub use destination::is_private_destination;
pub use stored::{DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint};

/// The signing secret's prefix, as the Standard Webhooks libraries expect it.
pub const SECRET_PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;
/// Endpoints per environment.
pub const MAX_ENDPOINTS: u64 = 20;
const MAX_URL_CHARS: usize = 2_000;
const MAX_DESCRIPTION_CHARS: usize = 500;
/// The part of a receiver's answer kept with each attempt.
pub const RESPONSE_EXCERPT_BYTES: usize = 1_000;

/// An endpoint's signing secret: `whsec_` and the base64 of 32 random bytes. `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

impl WebhookSecret {
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let bytes: [u8; SECRET_BYTES] = rng.random();
        Self(bytes.to_vec())
    }

    /// The raw key, as it is sealed in the database.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The form shown once to the endpoint's owner.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `webhook-signature` for one message: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}`.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// Which events an endpoint receives: all of them, or the listed types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFilter {
    All,
    Only(Vec<EventType>),
}

impl EventFilter {
    /// `["*"]` is every event; otherwise each name must be an event type, and at least one
    /// is needed.
    pub fn parse(names: &[String]) -> Result<Self, RuleViolation> {
        if names.is_empty() {
            return Err(RuleViolation::bad_input(
                "events",
                "name at least one event type, or \"*\" for all",
            ));
        }
        if names.iter().any(|n| n == "*") {
            return Ok(Self::All);
        }
        let mut types = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            // The refusal names the position, never the text: it may be anything pasted.
            let event_type = EventType::parse(name).ok_or_else(|| {
                RuleViolation::bad_input(
                    "events",
                    format!("events[{i}] is not an event type (key.created, key.revoked, …)"),
                )
            })?;
            if !types.contains(&event_type) {
                types.push(event_type);
            }
        }
        Ok(Self::Only(types))
    }

    pub fn matches(&self, event_type: EventType) -> bool {
        match self {
            Self::All => true,
            Self::Only(types) => types.contains(&event_type),
        }
    }

    pub fn names(&self) -> Vec<String> {
        match self {
            Self::All => vec!["*".to_owned()],
            Self::Only(types) => types.iter().map(|t| t.as_str().to_owned()).collect(),
        }
    }
}

/// A destination URL: `http` or `https`, a host, no credentials in it.
pub fn parse_url(text: &str) -> Result<url::Url, RuleViolation> {
    let invalid = |why: &str| RuleViolation::bad_input("url", format!("the URL {why}"));
    if text.chars().count() > MAX_URL_CHARS {
        return Err(invalid(&format!(
            "is longer than {MAX_URL_CHARS} characters"
        )));
    }
    let url = url::Url::parse(text.trim()).map_err(|_| invalid("is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("must start with https:// (or http://)"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry a user name or password"));
    }
    Ok(url)
}

pub fn parse_description(text: Option<&str>) -> Result<Option<String>, RuleViolation> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(RuleViolation::bad_input(
            "description",
            format!("a description has at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// How long a delivery is retried after its event: then it has failed for good (and can
/// still be replayed).
pub const DELIVERY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// When attempts are retried: exponential backoff from `base`, capped at `max_delay`, with
/// jitter, within [`DELIVERY_WINDOW`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub base: Duration,
    pub max_delay: Duration,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
        }
    }
}

impl RetrySchedule {
    /// The wait after the `attempts`-th failed attempt (1 for the first). `jitter` in
    /// `[0, 1)` picks a point between half the delay and all of it, so receivers that failed
    /// together are not retried together.
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let doubling = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        let full = self.base.saturating_mul(doubling).min(self.max_delay);
        full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// The first `RESPONSE_EXCERPT_BYTES` of a receiver's answer, cut on a character boundary.
pub fn response_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(RESPONSE_EXCERPT_BYTES + 4)]);
    let mut end = text.len().min(RESPONSE_EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// An endpoint as audit events show it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSnapshot {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Set on the event that rotated the signing secret.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret_rotated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The Standard Webhooks specification's own example.
        let secret = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = WebhookSecret::from_bytes(secret).sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let generated = WebhookSecret::generate(&mut rand::rng());
        assert!(generated.expose().starts_with(SECRET_PREFIX));
        assert!(!format!("{generated:?}").contains(&generated.expose()[6..]));
    }

    #[test]
    fn event_filters_name_known_types_or_all() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            EventFilter::parse(&names(&["*"])).unwrap(),
            EventFilter::All
        );
        let only = EventFilter::parse(&names(&["key.revoked", "key.revoked"])).unwrap();
        assert_eq!(only, EventFilter::Only(vec![EventType::KeyRevoked]));
        assert!(only.matches(EventType::KeyRevoked));
        assert!(!only.matches(EventType::KeyCreated));
        assert!(EventFilter::parse(&[]).is_err());
        assert!(EventFilter::parse(&names(&["key.nope"])).is_err());
    }

    #[test]
    fn an_unknown_event_type_is_refused_without_repeating_it() {
        let pasted = "secret-looking-value-123";
        let err = EventFilter::parse(&["key.created".to_owned(), pasted.to_owned()]).unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::BadUserInput);
        assert_eq!(err.field, Some("events"));
        assert!(!err.message.contains(pasted), "{}", err.message);
        assert!(err.message.starts_with("events[1] "), "{}", err.message);
    }

    #[test]
    fn urls_need_a_web_scheme_a_host_and_no_credentials() {
        assert!(parse_url("https://hooks.example.com/keyplane").is_ok());
        assert!(parse_url("http://127.0.0.1:8080/h").is_ok());
        for bad in [
            "ftp://x.example",
            "https://user:pw@x.example",
            "not a url",
            "https://",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.delay(1, 0.999_999).as_secs(), 4);
        assert_eq!(schedule.delay(1, 0.0), Duration::from_millis(2_500));
        assert_eq!(schedule.delay(3, 1.0), Duration::from_secs(20));
        assert_eq!(schedule.delay(40, 1.0), Duration::from_secs(3600));
        assert_eq!(schedule.delay(40, 0.0), Duration::from_secs(1800));
    }

    #[test]
    fn excerpts_are_bounded_on_character_boundaries() {
        let body = "é".repeat(RESPONSE_EXCERPT_BYTES);
        let excerpt = response_excerpt(body.as_bytes());
        assert!(excerpt.len() <= RESPONSE_EXCERPT_BYTES);
        assert!(excerpt.chars().all(|c| c == 'é'));
        assert_eq!(response_excerpt(b"ok"), "ok");
    }
}
