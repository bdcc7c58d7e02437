//! Audit events: one lifecycle change of one key, or one change of an environment's settings,
//! with who made it and what changed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::rate_limit::RateLimit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditEventType {
    KeyCreated,
    KeyUpdated,
    ScopesUpdated,
    KeyRotated,
    ExpirationChanged,
    KeyRevoked,
    /// The environment's default rate limit was set, changed or cleared.
    DefaultRateLimitChanged,
    /// Client-side security was turned on or off, or its allowed origins changed.
    ClientSecurityUpdated,
    /// A new client signing secret was made current (never the secret itself).
    SigningSecretRotated,
    IntegrationConnected,
    IntegrationDisconnected,
    /// A person read a recoverable key's full secret.
    KeyRevealed,
    KeyDisabled,
    KeyEnabled,
    /// A leak report matched the key; under the `REVOKE` policy it was revoked too.
    KeyLeaked,
    WebhookEndpointCreated,
    /// An endpoint's URL, events or enabled state changed, or its signing secret was rotated.
    WebhookEndpointUpdated,
    WebhookEndpointDeleted,
    /// The environment's answer to a leaked scoped key changed.
    LeakPolicyChanged,
}

impl AuditEventType {
    pub const ALL: [AuditEventType; 19] = [
        Self::KeyCreated,
        Self::KeyUpdated,
        Self::ScopesUpdated,
        Self::KeyRotated,
        Self::ExpirationChanged,
        Self::KeyRevoked,
        Self::DefaultRateLimitChanged,
        Self::ClientSecurityUpdated,
        Self::SigningSecretRotated,
        Self::IntegrationConnected,
        Self::IntegrationDisconnected,
        Self::KeyRevealed,
        Self::KeyDisabled,
        Self::KeyEnabled,
        Self::KeyLeaked,
        Self::WebhookEndpointCreated,
        Self::WebhookEndpointUpdated,
        Self::WebhookEndpointDeleted,
        Self::LeakPolicyChanged,
    ];

    /// The events about an environment's settings rather than one key: they name no key.
    pub const SETTINGS: [AuditEventType; 9] = [
        Self::DefaultRateLimitChanged,
        Self::ClientSecurityUpdated,
        Self::SigningSecretRotated,
        Self::IntegrationConnected,
        Self::IntegrationDisconnected,
        Self::WebhookEndpointCreated,
        Self::WebhookEndpointUpdated,
        Self::WebhookEndpointDeleted,
        Self::LeakPolicyChanged,
    ];

    /// The stored and wire name. Must never change: it is persisted.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KeyCreated => "KEY_CREATED",
            Self::KeyUpdated => "KEY_UPDATED",
            Self::ScopesUpdated => "SCOPES_UPDATED",
            Self::KeyRotated => "KEY_ROTATED",
            Self::ExpirationChanged => "EXPIRATION_CHANGED",
            Self::KeyRevoked => "KEY_REVOKED",
            Self::DefaultRateLimitChanged => "DEFAULT_RATE_LIMIT_CHANGED",
            Self::ClientSecurityUpdated => "CLIENT_SECURITY_UPDATED",
            Self::SigningSecretRotated => "SIGNING_SECRET_ROTATED",
            Self::IntegrationConnected => "INTEGRATION_CONNECTED",
            Self::IntegrationDisconnected => "INTEGRATION_DISCONNECTED",
            Self::KeyRevealed => "KEY_REVEALED",
            Self::KeyDisabled => "KEY_DISABLED",
            Self::KeyEnabled => "KEY_ENABLED",
            Self::KeyLeaked => "KEY_LEAKED",
            Self::WebhookEndpointCreated => "WEBHOOK_ENDPOINT_CREATED",
            Self::WebhookEndpointUpdated => "WEBHOOK_ENDPOINT_UPDATED",
            Self::WebhookEndpointDeleted => "WEBHOOK_ENDPOINT_DELETED",
            Self::LeakPolicyChanged => "LEAK_POLICY_CHANGED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// What an audit event is about: one key, or the environment's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditSubject {
    ApiKey,
    Environment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorType {
    ApiKey,
    User,
    System,
}

impl ActorType {
    /// The stored and wire name. Must never change: it is persisted.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "API_KEY",
            Self::User => "USER",
            Self::System => "SYSTEM",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::ApiKey, Self::User, Self::System]
            .into_iter()
            .find(|t| t.as_str() == text)
    }
}

/// Who made a change. The name is copied at the time of the change, so the trail still reads
/// right after the actor is renamed or revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub actor_type: ActorType,
    pub id: Option<String>,
    pub name: String,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            actor_type: ActorType::System,
            id: None,
            name: "Keyplane".to_owned(),
        }
    }

    pub fn user(id: &str, name: &str) -> Self {
        Self {
            actor_type: ActorType::User,
            id: Some(id.to_owned()),
            name: name.to_owned(),
        }
    }

    pub fn api_key(id: &str, name: &str) -> Self {
        Self {
            actor_type: ActorType::ApiKey,
            id: Some(id.to_owned()),
            name: name.to_owned(),
        }
    }
}

/// The fields an event touched, before or after the change: a key's, or for a settings event
/// the environment's. Only the fields the event concerns are set; for
/// `DEFAULT_RATE_LIMIT_CHANGED` an absent `rate_limit` means none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_security_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// The signing secret that was current (before) or became current (after), by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret_id: Option<String>,
    /// When the signing secret that was current stops being accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret_valid_until: Option<DateTime<Utc>>,
    /// The integration's provider code (`SALESFORCE`, `HUBSPOT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_ips: Option<Vec<String>>,
    /// For `KEY_DISABLED` (after) and `KEY_ENABLED` (before): why the key was disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<crate::quota::Quota>,
    /// A webhook endpoint's id, URL, events and enabled state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<crate::webhook::WebhookSnapshot>,
    /// `KEY_LEAKED` (after): where the secret was found and what was done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<crate::leak::LeakSnapshot>,
    /// `LEAK_POLICY_CHANGED`: the environment's policy for leaked scoped keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak_policy: Option<crate::leak::LeakPolicy>,
}

/// An event about to be written, in the same transaction as the change it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub event_type: AuditEventType,
    /// The key the event is about; `None` for a settings event.
    pub api_key_id: Option<String>,
    pub actor: Actor,
    pub before: KeySnapshot,
    pub after: KeySnapshot,
    /// For `KEY_ROTATED`: the key that replaced this one.
    pub related_key_id: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: i64,
    pub environment_id: String,
    pub event_type: AuditEventType,
    pub api_key_id: Option<String>,
    pub actor: Actor,
    pub before: KeySnapshot,
    pub after: KeySnapshot,
    pub related_key_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for t in AuditEventType::ALL {
            assert_eq!(AuditEventType::parse(t.as_str()), Some(t));
        }
        for t in [ActorType::ApiKey, ActorType::User, ActorType::System] {
            assert_eq!(ActorType::parse(t.as_str()), Some(t));
        }
    }
}
