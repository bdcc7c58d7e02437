//! Leak response: what happens to a key whose secret was found exposed. A scoped key is
//! revoked at once under the environment's default policy (`REVOKE`) or only reported
//! (`NOTIFY`); a full-access, publishable or integration key is always only reported, since
//! it must be rotated (or its integration reconnected), not revoked out from under its users.

use serde::{Deserialize, Serialize};

use crate::RuleViolation;
use crate::key::ApiKeyType;

/// The environment's answer to a leaked scoped key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeakPolicy {
    #[default]
    Revoke,
    Notify,
}

impl LeakPolicy {
    /// The stored name. Must never change.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Revoke => "REVOKE",
            Self::Notify => "NOTIFY",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Revoke, Self::Notify]
            .into_iter()
            .find(|p| p.as_str() == text)
    }

    /// What is done to a leaked key of `key_type` under this policy.
    pub const fn action_for(self, key_type: ApiKeyType) -> LeakAction {
        match (key_type, self) {
            (ApiKeyType::Scoped, Self::Revoke) => LeakAction::Revoked,
            _ => LeakAction::Notified,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeakAction {
    Revoked,
    Notified,
}

/// The longest `url` and `source` kept from a report; longer ones are cut.
const MAX_FIELD: usize = 2_000;

/// Where a secret was found, as the report said, and what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeakSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub action: LeakAction,
}

/// Where a report says a secret was found. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeakLocation {
    pub url: Option<String>,
    pub source: Option<String>,
}

impl LeakLocation {
    /// Trims both fields, drops empty ones and cuts long ones, so a report cannot fill the
    /// audit trail.
    pub fn new(url: Option<&str>, source: Option<&str>) -> Self {
        let clean = |text: Option<&str>| {
            let text = text?.trim();
            (!text.is_empty()).then(|| text.chars().take(MAX_FIELD).collect())
        };
        Self {
            url: clean(url),
            source: clean(source),
        }
    }

    pub fn snapshot(&self, action: LeakAction) -> LeakSnapshot {
        LeakSnapshot {
            url: self.url.clone(),
            source: self.source.clone(),
            action,
        }
    }
}

/// The most tokens one report may carry.
pub const MAX_REPORTED_TOKENS: usize = 1_000;

pub fn ensure_report_size(tokens: usize) -> Result<(), RuleViolation> {
    if tokens > MAX_REPORTED_TOKENS {
        return Err(RuleViolation::bad_input(
            "tokens",
            format!("a report carries at most {MAX_REPORTED_TOKENS} tokens"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scoped_keys_are_revoked_and_only_under_revoke() {
        assert_eq!(
            LeakPolicy::Revoke.action_for(ApiKeyType::Scoped),
            LeakAction::Revoked
        );
        assert_eq!(
            LeakPolicy::Notify.action_for(ApiKeyType::Scoped),
            LeakAction::Notified
        );
        for policy in [LeakPolicy::Revoke, LeakPolicy::Notify] {
            for key_type in [
                ApiKeyType::FullAccess,
                ApiKeyType::Publishable,
                ApiKeyType::Integration,
            ] {
                assert_eq!(policy.action_for(key_type), LeakAction::Notified);
            }
            assert_eq!(LeakPolicy::parse(policy.as_str()), Some(policy));
        }
        assert_eq!(LeakPolicy::default(), LeakPolicy::Revoke);
    }

    #[test]
    fn locations_are_trimmed_and_bounded() {
        let long = "x".repeat(5_000);
        let location = LeakLocation::new(Some("  https://gist.example/1 "), Some(&long));
        assert_eq!(location.url.as_deref(), Some("https://gist.example/1"));
        assert_eq!(location.source.unwrap().len(), MAX_FIELD);
        assert_eq!(LeakLocation::new(Some("  "), None), LeakLocation::default());
        assert!(ensure_report_size(MAX_REPORTED_TOKENS).is_ok());
        assert!(ensure_report_size(MAX_REPORTED_TOKENS + 1).is_err());
    }
}
