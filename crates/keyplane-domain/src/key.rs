//! API keys: their types, derived status, validated name and description, and the record the
//! rest of the system passes around.

use chrono::{DateTime, Duration, Utc};

use crate::audit::Actor;
use crate::error::RuleViolation;
use crate::ip_ranges::IpRanges;
use crate::metadata::Metadata;
use crate::rate_limit::RateLimit;
use crate::scope::ScopeSet;
use crate::secret::KeyPrefix;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKeyType {
    FullAccess,
    Publishable,
    Scoped,
    Integration,
}

impl ApiKeyType {
    pub const ALL: [ApiKeyType; 4] = [
        Self::FullAccess,
        Self::Publishable,
        Self::Scoped,
        Self::Integration,
    ];

    /// The stored and wire name. Must never change: it is persisted.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FullAccess => "FULL_ACCESS",
            Self::Publishable => "PUBLISHABLE",
            Self::Scoped => "SCOPED",
            Self::Integration => "INTEGRATION",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    pub const fn prefix(self) -> KeyPrefix {
        match self {
            Self::Publishable => KeyPrefix::Client,
            Self::FullAccess | Self::Scoped | Self::Integration => KeyPrefix::Server,
        }
    }

    /// The console's grouping: system keys are `DEFAULT`, user-made keys `SCOPED`.
    pub const fn kind(self) -> ApiKeyKind {
        match self {
            Self::Scoped => ApiKeyKind::Scoped,
            Self::FullAccess | Self::Publishable | Self::Integration => ApiKeyKind::Default,
        }
    }

    /// Only scoped keys have scopes, a name and a description that callers may change.
    pub const fn is_editable(self) -> bool {
        matches!(self, Self::Scoped)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKeyKind {
    Default,
    Scoped,
}

impl ApiKeyKind {
    pub fn types(self) -> impl Iterator<Item = ApiKeyType> {
        ApiKeyType::ALL
            .into_iter()
            .filter(move |t| t.kind() == self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    Active,
    ExpiringSoon,
    Expired,
    Revoked,
    /// Switched off for now; enabling it makes it work again.
    Disabled,
}

/// Status is derived, never stored: `REVOKED`, else `EXPIRED` once `expires_at <= now` (an
/// expired key stays expired whether or not it is disabled), else `DISABLED`, else
/// `EXPIRING_SOON` within `expiring_soon` of expiry, else `ACTIVE`.
pub fn derive_status(
    revoked_at: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    expiring_soon: Duration,
) -> KeyStatus {
    match (revoked_at, expires_at) {
        (Some(_), _) => KeyStatus::Revoked,
        (None, Some(at)) if at <= now => KeyStatus::Expired,
        _ if disabled_at.is_some() => KeyStatus::Disabled,
        (None, Some(at)) if at - now <= expiring_soon => KeyStatus::ExpiringSoon,
        _ => KeyStatus::Active,
    }
}

/// Why a key that exists cannot authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    Expired,
    Revoked,
    Disabled,
}

/// A stored key, as every layer above the store sees it. It never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub environment_id: String,
    pub key_type: ApiKeyType,
    pub name: String,
    pub description: Option<String>,
    pub scopes: ScopeSet,
    pub masked_key: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: Actor,
    pub rotated_from_id: Option<String>,
    pub replaced_by_id: Option<String>,
    /// The only customers the key may act for; `None` means any.
    pub customer_ids: Option<Vec<String>>,
    /// The key's own rate limit; `None` falls back to the environment's default, if any.
    pub rate_limit: Option<RateLimit>,
    /// For `INTEGRATION` keys: the integration that owns the key.
    pub integration_id: Option<String>,
    /// Whether a sealed copy of the secret is kept, so owners and members can reveal it.
    pub recoverable: bool,
    /// The platform's own data about the key, answered with every verification.
    pub metadata: Option<Metadata>,
    /// The platform's own id for the key's owner (a tenant, a user).
    pub external_id: Option<String>,
    /// Set while the key is disabled: when, and the reason given.
    pub disabled: Option<Disabled>,
    /// The only addresses the key may be used from; `None` means any.
    pub allowed_ips: Option<IpRanges>,
    /// The units its verifications may spend, and the count as it was read.
    pub quota: Option<crate::quota::KeyQuota>,
}

/// A disabled key's state: since when, and why (as its disabler wrote it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disabled {
    pub at: DateTime<Utc>,
    pub reason: String,
}

impl ApiKey {
    pub fn status(&self, now: DateTime<Utc>, expiring_soon: Duration) -> KeyStatus {
        derive_status(
            self.revoked_at,
            self.disabled.as_ref().map(|d| d.at),
            self.expires_at,
            now,
            expiring_soon,
        )
    }

    /// Whether the key may authenticate a request at `now`, in the order of [`derive_status`].
    /// An old key inside its rotation grace period still does.
    pub fn check_usable(&self, now: DateTime<Utc>) -> Result<(), Unusable> {
        if self.revoked_at.is_some() {
            return Err(Unusable::Revoked);
        }
        if self.is_expired(now) {
            return Err(Unusable::Expired);
        }
        match self.disabled {
            Some(_) => Err(Unusable::Disabled),
            None => Ok(()),
        }
    }

    /// Whether a request from `client` may use the key. A key held to an allow-list refuses a
    /// request whose address is unknown.
    pub fn allows_address(&self, client: Option<std::net::IpAddr>) -> bool {
        match (&self.allowed_ips, client) {
            (None, _) => true,
            (Some(ranges), Some(address)) => ranges.contains(address),
            (Some(_), None) => false,
        }
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// A key name: trimmed, 1 to 100 characters, no control characters.
pub fn parse_key_name(name: &str) -> Result<String, RuleViolation> {
    let name = name.trim();
    if name.is_empty() {
        return Err(RuleViolation::bad_input(
            "name",
            "the name must not be empty",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(RuleViolation::bad_input(
            "name",
            format!("the name must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(RuleViolation::bad_input(
            "name",
            "the name must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// An optional description: at most 500 characters; blank means none.
pub fn parse_key_description(description: Option<&str>) -> Result<Option<String>, RuleViolation> {
    let Some(description) = description.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(RuleViolation::bad_input(
            "description",
            format!("the description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(Some(description.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn status_is_derived_from_revocation_and_expiry() {
        let now = DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let week = Duration::days(7);
        let soon = Some(now + Duration::seconds(1));
        let past = Some(now - Duration::days(1));
        let cases = [
            (None, None, None, KeyStatus::Active),
            (None, None, Some(now + Duration::days(8)), KeyStatus::Active),
            (
                None,
                None,
                Some(now + Duration::days(7)),
                KeyStatus::ExpiringSoon,
            ),
            (None, None, soon, KeyStatus::ExpiringSoon),
            (None, None, Some(now), KeyStatus::Expired),
            (None, None, past, KeyStatus::Expired),
            (Some(now), None, None, KeyStatus::Revoked),
            (Some(now), None, past, KeyStatus::Revoked),
            (None, Some(now), None, KeyStatus::Disabled),
            (None, Some(now), soon, KeyStatus::Disabled),
            (None, Some(now), past, KeyStatus::Expired),
            (Some(now), Some(now), None, KeyStatus::Revoked),
        ];
        for (revoked, disabled, expires, expected) in cases {
            assert_eq!(
                derive_status(revoked, disabled, expires, now, week),
                expected,
                "{revoked:?} {disabled:?} {expires:?}"
            );
        }
    }

    #[test]
    fn kinds_group_system_keys_as_default() {
        assert_eq!(
            ApiKeyKind::Default.types().collect::<Vec<_>>(),
            vec![
                ApiKeyType::FullAccess,
                ApiKeyType::Publishable,
                ApiKeyType::Integration
            ]
        );
        assert_eq!(ApiKeyType::Publishable.prefix(), KeyPrefix::Client);
        assert_eq!(ApiKeyType::Integration.prefix(), KeyPrefix::Server);
    }

    #[test]
    fn names_and_descriptions_are_bounded() {
        let long_name = "n".repeat(MAX_NAME_CHARS + 1);
        let exact_name = "é".repeat(MAX_NAME_CHARS);
        let cases: &[(&str, bool)] = &[
            ("billing", true),
            ("  padded  ", true),
            (&exact_name, true),
            ("", false),
            ("   ", false),
            (&long_name, false),
            ("tab\tname", false),
        ];
        for (name, ok) in cases {
            let result = parse_key_name(name);
            assert_eq!(result.is_ok(), *ok, "{name:?}");
            if let Err(e) = result {
                assert_eq!((e.code, e.field), (ErrorCode::BadUserInput, Some("name")));
            }
        }
        assert_eq!(parse_key_description(Some("  ")).unwrap(), None);
        assert_eq!(parse_key_description(None).unwrap(), None);
        assert!(parse_key_description(Some(&"d".repeat(MAX_DESCRIPTION_CHARS))).is_ok());
        let err = parse_key_description(Some(&"d".repeat(MAX_DESCRIPTION_CHARS + 1))).unwrap_err();
        assert_eq!(err.field, Some("description"));
    }
}
