//! The JSON objects of Keyplane's REST API, as this client reads and writes them: camelCase
//! fields, upper-case enums, RFC 3339 times. Answers accept fields and enum values this
//! client does not know yet (a newer server), so an upgrade of the server breaks no caller.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One API key. Its secret is never readable here: only `masked_key`, a display hint.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub key_type: ApiKeyType,
    pub kind: ApiKeyKind,
    pub status: ApiKeyStatus,
    /// `["*"]` for the full-access key; otherwise `resource:access` strings.
    pub scopes: Vec<String>,
    pub full_access: bool,
    pub masked_key: String,
    pub recoverable: bool,
    pub environment_id: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: Actor,
    pub customer_ids: Option<Vec<String>>,
    pub metadata: Option<serde_json::Value>,
    pub external_id: Option<String>,
    pub allowed_ips: Option<Vec<String>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub quota: Option<QuotaState>,
    pub rotated_from_id: Option<String>,
    pub replaced_by_id: Option<String>,
}

/// Who made a change: an API key, a person, or Keyplane itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    #[serde(rename = "type")]
    pub actor_type: ActorType,
    pub id: Option<String>,
    pub name: String,
}

/// Requests per period. `Exact` (the default) decides every request; `Leased` lets replicas
/// sharing Redis spend small leases locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub requests: i64,
    pub period_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RateLimitMode>,
}

/// Units a key's verifications may spend per refill period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct Quota {
    pub limit: i64,
    pub refill: QuotaRefill,
}

/// A key's quota and what was left of it when the key was read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaState {
    pub limit: i64,
    pub refill: QuotaRefill,
    pub remaining: i64,
    pub resets_at: Option<DateTime<Utc>>,
}

/// An enum of the API, with the text of each value. `Unknown` stands for a value a newer
/// server sends that this client does not know yet; sent back, it is refused by the server.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)+
            #[serde(other, rename = "UNKNOWN")]
            Unknown,
        }

        impl $name {
            /// The value as the API writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Unknown => "UNKNOWN",
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;

            /// The API's text of a value (`EXPIRING_SOON`), in any case.
            fn from_str(text: &str) -> Result<Self, crate::Error> {
                let upper = text.trim().to_ascii_uppercase();
                match upper.as_str() {
                    $($wire => Ok(Self::$variant),)+
                    _ => Err(crate::Error::InvalidInput(format!(
                        concat!("not a ", stringify!($name), "; one of: {}"),
                        [$($wire),+].join(", ")
                    ))),
                }
            }
        }
    };
}

wire_enum!(
    /// `DEFAULT` groups the system keys (full-access, publishable, integration); `SCOPED` the
    /// keys people and keys create.
    ApiKeyKind { Default = "DEFAULT", Scoped = "SCOPED" }
);

wire_enum!(
    ApiKeyType {
        FullAccess = "FULL_ACCESS",
        Publishable = "PUBLISHABLE",
        Scoped = "SCOPED",
        Integration = "INTEGRATION",
    }
);

wire_enum!(
    /// Derived by the server at each read: `REVOKED` wins, then `EXPIRED`, then `DISABLED`.
    ApiKeyStatus {
        Active = "ACTIVE",
        ExpiringSoon = "EXPIRING_SOON",
        Expired = "EXPIRED",
        Revoked = "REVOKED",
        Disabled = "DISABLED",
    }
);

wire_enum!(ActorType { ApiKey = "API_KEY", User = "USER", System = "SYSTEM" });

wire_enum!(
    /// How long a rotated key's old secret keeps working.
    GracePeriod {
        Now = "NOW",
        OneHour = "ONE_HOUR",
        OneDay = "ONE_DAY",
        ThreeDays = "THREE_DAYS",
        SevenDays = "SEVEN_DAYS",
    }
);

wire_enum!(
    ScopePreset {
        FullAccess = "FULL_ACCESS",
        ReadOnly = "READ_ONLY",
        CustomersWrite = "CUSTOMERS_WRITE",
        SubscriptionsWrite = "SUBSCRIPTIONS_WRITE",
        CouponsWrite = "COUPONS_WRITE",
        ApiKeysReadWrite = "API_KEYS_READ_WRITE",
        EventQueueRead = "EVENT_QUEUE_READ",
    }
);

wire_enum!(RateLimitMode { Exact = "EXACT", Leased = "LEASED" });

wire_enum!(
    /// When a quota is full again.
    QuotaRefill { Daily = "DAILY", Monthly = "MONTHLY", Never = "NEVER" }
);

wire_enum!(
    /// The width of one point of a usage series (at most 1,500 points a series).
    UsageGranularity { Minute = "MINUTE", Hour = "HOUR", Day = "DAY" }
);

wire_enum!(
    /// What an audit event is about: one key, or the environment's settings.
    AuditEventSubject { ApiKey = "API_KEY", Environment = "ENVIRONMENT" }
);

wire_enum!(
    AuditEventType {
        KeyCreated = "KEY_CREATED",
        KeyUpdated = "KEY_UPDATED",
        ScopesUpdated = "SCOPES_UPDATED",
        KeyRotated = "KEY_ROTATED",
        ExpirationChanged = "EXPIRATION_CHANGED",
        KeyRevoked = "KEY_REVOKED",
        DefaultRateLimitChanged = "DEFAULT_RATE_LIMIT_CHANGED",
        ClientSecurityUpdated = "CLIENT_SECURITY_UPDATED",
        SigningSecretRotated = "SIGNING_SECRET_ROTATED",
        IntegrationConnected = "INTEGRATION_CONNECTED",
        IntegrationDisconnected = "INTEGRATION_DISCONNECTED",
        KeyRevealed = "KEY_REVEALED",
        KeyDisabled = "KEY_DISABLED",
        KeyEnabled = "KEY_ENABLED",
        KeyLeaked = "KEY_LEAKED",
        WebhookEndpointCreated = "WEBHOOK_ENDPOINT_CREATED",
        WebhookEndpointUpdated = "WEBHOOK_ENDPOINT_UPDATED",
        WebhookEndpointDeleted = "WEBHOOK_ENDPOINT_DELETED",
        LeakPolicyChanged = "LEAK_POLICY_CHANGED",
    }
);

wire_enum!(
    /// The outcome of a verification. Every outcome is an answer, not an error.
    VerificationCode {
        Valid = "VALID",
        Malformed = "MALFORMED",
        NotFound = "NOT_FOUND",
        Expired = "EXPIRED",
        Revoked = "REVOKED",
        Disabled = "DISABLED",
        IpNotAllowed = "IP_NOT_ALLOWED",
        WrongEnvironment = "WRONG_ENVIRONMENT",
        Forbidden = "FORBIDDEN",
        RateLimited = "RATE_LIMITED",
        QuotaExceeded = "QUOTA_EXCEEDED",
        CustomerTokenRequired = "CUSTOMER_TOKEN_REQUIRED",
        InvalidCustomerToken = "INVALID_CUSTOMER_TOKEN",
        CustomerNotAllowed = "CUSTOMER_NOT_ALLOWED",
        OriginNotAllowed = "ORIGIN_NOT_ALLOWED",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_read_and_write_the_api_text() {
        let status: ApiKeyStatus = serde_json::from_str("\"EXPIRING_SOON\"").unwrap();
        assert_eq!(status, ApiKeyStatus::ExpiringSoon);
        assert_eq!(status.as_str(), "EXPIRING_SOON");
        assert_eq!(
            serde_json::to_string(&GracePeriod::OneDay).unwrap(),
            "\"ONE_DAY\""
        );
        assert_eq!(
            "one_day".parse::<GracePeriod>().unwrap(),
            GracePeriod::OneDay
        );
        assert!("forever".parse::<GracePeriod>().is_err());
    }

    #[test]
    fn a_value_a_newer_server_sends_is_read_as_unknown() {
        let event: AuditEventType = serde_json::from_str("\"KEY_TELEPORTED\"").unwrap();
        assert_eq!(event, AuditEventType::Unknown);
    }
}
