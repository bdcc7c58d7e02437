//! Environment events: what happened in an environment, for systems beyond Keyplane (webhook
//! endpoints, event-queue readers). Every audit event becomes one, in the same transaction;
//! expiry notices and leak reports add their own. Events are ordered per environment by `seq`.
//! Payloads carry what the audit trail carries (names, scopes, settings) and never a secret
//! or a hash.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::audit::{Actor, AuditEventType, NewAuditEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    KeyCreated,
    KeyUpdated,
    KeyScopesUpdated,
    KeyRotated,
    KeyExpirationChanged,
    KeyRevoked,
    KeyDisabled,
    KeyEnabled,
    KeyRevealed,
    KeyExpiringSoon,
    KeyExpired,
    KeyLeaked,
    DefaultRateLimitChanged,
    ClientSecurityUpdated,
    SigningSecretRotated,
    IntegrationConnected,
    IntegrationDisconnected,
    WebhookEndpointCreated,
    WebhookEndpointUpdated,
    WebhookEndpointDeleted,
    LeakPolicyChanged,
}

impl EventType {
    pub const ALL: [EventType; 21] = [
        Self::KeyCreated,
        Self::KeyUpdated,
        Self::KeyScopesUpdated,
        Self::KeyRotated,
        Self::KeyExpirationChanged,
        Self::KeyRevoked,
        Self::KeyDisabled,
        Self::KeyEnabled,
        Self::KeyRevealed,
        Self::KeyExpiringSoon,
        Self::KeyExpired,
        Self::KeyLeaked,
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

    /// The stored and wire name (`key.rotated`). Must never change: receivers match on it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KeyCreated => "key.created",
            Self::KeyUpdated => "key.updated",
            Self::KeyScopesUpdated => "key.scopes_updated",
            Self::KeyRotated => "key.rotated",
            Self::KeyExpirationChanged => "key.expiration_changed",
            Self::KeyRevoked => "key.revoked",
            Self::KeyDisabled => "key.disabled",
            Self::KeyEnabled => "key.enabled",
            Self::KeyRevealed => "key.revealed",
            Self::KeyExpiringSoon => "key.expiring_soon",
            Self::KeyExpired => "key.expired",
            Self::KeyLeaked => "key.leaked",
            Self::DefaultRateLimitChanged => "environment.default_rate_limit_changed",
            Self::ClientSecurityUpdated => "client_security.updated",
            Self::SigningSecretRotated => "client_security.signing_secret_rotated",
            Self::IntegrationConnected => "integration.connected",
            Self::IntegrationDisconnected => "integration.disconnected",
            Self::WebhookEndpointCreated => "webhook_endpoint.created",
            Self::WebhookEndpointUpdated => "webhook_endpoint.updated",
            Self::WebhookEndpointDeleted => "webhook_endpoint.deleted",
            Self::LeakPolicyChanged => "environment.leak_policy_changed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The event every audit event of `audit_type` becomes.
    pub const fn of_audit(audit_type: AuditEventType) -> Self {
        match audit_type {
            AuditEventType::KeyCreated => Self::KeyCreated,
            AuditEventType::KeyUpdated => Self::KeyUpdated,
            AuditEventType::ScopesUpdated => Self::KeyScopesUpdated,
            AuditEventType::KeyRotated => Self::KeyRotated,
            AuditEventType::ExpirationChanged => Self::KeyExpirationChanged,
            AuditEventType::KeyRevoked => Self::KeyRevoked,
            AuditEventType::KeyDisabled => Self::KeyDisabled,
            AuditEventType::KeyEnabled => Self::KeyEnabled,
            AuditEventType::KeyRevealed => Self::KeyRevealed,
            AuditEventType::KeyLeaked => Self::KeyLeaked,
            AuditEventType::DefaultRateLimitChanged => Self::DefaultRateLimitChanged,
            AuditEventType::ClientSecurityUpdated => Self::ClientSecurityUpdated,
            AuditEventType::SigningSecretRotated => Self::SigningSecretRotated,
            AuditEventType::IntegrationConnected => Self::IntegrationConnected,
            AuditEventType::IntegrationDisconnected => Self::IntegrationDisconnected,
            AuditEventType::WebhookEndpointCreated => Self::WebhookEndpointCreated,
            AuditEventType::WebhookEndpointUpdated => Self::WebhookEndpointUpdated,
            AuditEventType::WebhookEndpointDeleted => Self::WebhookEndpointDeleted,
            AuditEventType::LeakPolicyChanged => Self::LeakPolicyChanged,
        }
    }
}

/// An event about to be written, in the transaction of what it reports.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: EventType,
    /// The key the event is about, if any: deliveries of one key's events keep their order.
    pub api_key_id: Option<String>,
    /// The event's own fields, an object.
    pub data: Value,
}

impl NewEvent {
    /// The event an audit event becomes: who did it, and the fields before and after.
    pub fn of_audit(event: &NewAuditEvent) -> Self {
        let mut data = json!({
            "actor": actor_json(&event.actor),
            "before": event.before,
            "after": event.after,
        });
        if let Some(related) = &event.related_key_id {
            data["relatedKeyId"] = json!(related);
        }
        Self {
            event_type: EventType::of_audit(event.event_type),
            api_key_id: event.api_key_id.clone(),
            data,
        }
    }

    /// `key.expiring_soon` or `key.expired`, sent by the expiry scheduler.
    pub fn expiry(event_type: EventType, api_key_id: &str, expires_at: DateTime<Utc>) -> Self {
        Self {
            event_type,
            api_key_id: Some(api_key_id.to_owned()),
            data: json!({ "expiresAt": timestamp(expires_at) }),
        }
    }
}

fn actor_json(actor: &Actor) -> Value {
    json!({ "type": actor.actor_type.as_str(), "id": actor.id, "name": actor.name })
}

/// RFC 3339 in UTC with microseconds, as every event field carries instants.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unique across environments; the webhook message id is built from it.
    pub id: i64,
    pub environment_id: String,
    /// 1, 2, 3… per environment, in commit order.
    pub seq: i64,
    pub event_type: EventType,
    pub api_key_id: Option<String>,
    pub data: Value,
    pub occurred_at: DateTime<Utc>,
}

impl Event {
    /// The message id, the same on every delivery attempt (`webhook-id`), so receivers can
    /// drop duplicates.
    pub fn message_id(&self) -> String {
        format!("evt_{}", self.id)
    }

    /// The JSON every reader gets: webhook bodies, `/v1/events` entries, SSE `data`.
    pub fn body(&self) -> Value {
        let mut data = self.data.clone();
        if let (Some(key), Value::Object(fields)) = (&self.api_key_id, &mut data) {
            fields.insert("apiKeyId".to_owned(), json!(key));
        }
        json!({
            "id": self.message_id(),
            "seq": self.seq,
            "type": self.event_type.as_str(),
            "environmentId": self.environment_id,
            "timestamp": timestamp(self.occurred_at),
            "data": data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::KeySnapshot;

    #[test]
    fn wire_names_round_trip_and_every_audit_type_has_an_event() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        for t in AuditEventType::ALL {
            let event = EventType::of_audit(t);
            assert!(EventType::ALL.contains(&event));
        }
        assert_eq!(EventType::parse("key.nope"), None);
    }

    #[test]
    fn an_audit_event_becomes_an_event_with_its_actor_and_fields() {
        let audit = NewAuditEvent {
            event_type: AuditEventType::KeyRotated,
            api_key_id: Some("k1".into()),
            actor: Actor::user("u1", "Ada"),
            before: KeySnapshot::default(),
            after: KeySnapshot {
                name: Some("billing".into()),
                ..KeySnapshot::default()
            },
            related_key_id: Some("k2".into()),
        };
        let new = NewEvent::of_audit(&audit);
        assert_eq!(new.event_type, EventType::KeyRotated);
        let event = Event {
            id: 7,
            environment_id: "e1".into(),
            seq: 3,
            event_type: new.event_type,
            api_key_id: new.api_key_id,
            data: new.data,
            occurred_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        let body = event.body();
        assert_eq!(body["id"], "evt_7");
        assert_eq!(body["seq"], 3);
        assert_eq!(body["type"], "key.rotated");
        assert_eq!(body["timestamp"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(body["data"]["apiKeyId"], "k1");
        assert_eq!(body["data"]["relatedKeyId"], "k2");
        assert_eq!(body["data"]["actor"]["name"], "Ada");
        assert_eq!(body["data"]["after"]["name"], "billing");
    }
}
