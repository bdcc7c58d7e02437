//! The REST API's JSON objects: camelCase field names and upper-case enums, as in GraphQL;
//! times RFC 3339 UTC. Each is built from a domain value here, at the edge.

use chrono::{DateTime, Utc};
use keyplane_domain::audit::Actor as DomainActor;
use keyplane_domain::key::ApiKey as DomainKey;
use keyplane_domain::quota::Quota as DomainQuota;
use keyplane_domain::rate_limit::RateLimit as DomainRateLimit;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::schema::enums::{ActorType, ApiKeyKind, ApiKeyStatus, ApiKeyType};
use crate::schema::{QuotaRefillValue, RateLimitModeValue};

/// One API key. Its secret is never readable here: only `maskedKey`, a display hint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ApiKey {
    #[schema(example = "0193a2f4-6b1c-7d2e-9f30-4a5b6c7d8e9f")]
    pub id: String,
    #[schema(example = "billing-service")]
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub key_type: ApiKeyType,
    pub kind: ApiKeyKind,
    pub status: ApiKeyStatus,
    /// `["*"]` for the full-access key; otherwise `resource:access` strings.
    #[schema(example = json!(["customers:read"]))]
    pub scopes: Vec<String>,
    pub full_access: bool,
    #[schema(example = "server-…a1b2")]
    pub masked_key: String,
    /// Whether a sealed copy of the secret is kept, so owners and members can reveal it.
    pub recoverable: bool,
    pub environment_id: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the key last authenticated; may lag by up to the flush interval.
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: Actor,
    /// The only customers the key may act for; null when not restricted.
    pub customer_ids: Option<Vec<String>>,
    /// The platform's own data about the key (a JSON object).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    pub external_id: Option<String>,
    /// The only addresses the key may be used from, as CIDR ranges; null for any.
    pub allowed_ips: Option<Vec<String>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// The key's own rate limit; null when the environment's default (if any) applies.
    pub rate_limit: Option<RateLimit>,
    pub quota: Option<QuotaState>,
    /// The key this one replaced in a rotation.
    pub rotated_from_id: Option<String>,
    /// The key that replaced this one in a rotation.
    pub replaced_by_id: Option<String>,
}

impl ApiKey {
    pub(super) fn of(key: DomainKey, now: DateTime<Utc>, expiring_soon: chrono::Duration) -> Self {
        Self {
            status: key.status(now, expiring_soon).into(),
            key_type: key.key_type.into(),
            kind: key.key_type.kind().into(),
            scopes: key.scopes.to_strings(),
            full_access: key.scopes.is_all(),
            metadata: key.metadata.as_ref().map(|m| m.to_value()),
            allowed_ips: key.allowed_ips.as_ref().map(|r| r.to_strings()),
            disabled_at: key.disabled.as_ref().map(|d| d.at),
            disabled_reason: key.disabled.as_ref().map(|d| d.reason.clone()),
            rate_limit: key.rate_limit.map(RateLimit::from),
            quota: key.quota.map(|q| QuotaState {
                limit: q.quota.limit as i64,
                refill: q.quota.refill.into(),
                remaining: q.remaining_at(now) as i64,
                resets_at: q.resets_at(now),
            }),
            created_by: Actor::from(key.created_by),
            id: key.id,
            name: key.name,
            description: key.description,
            masked_key: key.masked_key,
            recoverable: key.recoverable,
            environment_id: key.environment_id,
            expires_at: key.expires_at,
            revoked_at: key.revoked_at,
            last_used_at: key.last_used_at,
            created_at: key.created_at,
            customer_ids: key.customer_ids,
            external_id: key.external_id,
            rotated_from_id: key.rotated_from_id,
            replaced_by_id: key.replaced_by_id,
        }
    }
}

/// Who made a change: an API key, a console user, or Keyplane itself.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Actor {
    #[serde(rename = "type")]
    pub actor_type: ActorType,
    pub id: Option<String>,
    /// The actor's name when the change was made.
    pub name: String,
}

impl From<DomainActor> for Actor {
    fn from(actor: DomainActor) -> Self {
        Self {
            actor_type: actor.actor_type.into(),
            id: actor.id,
            name: actor.name,
        }
    }
}

/// Requests per period. `EXACT` (the default) decides every request; `LEASED` lets replicas
/// sharing Redis spend small leases locally.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RateLimit {
    #[schema(example = 100)]
    pub requests: i64,
    #[schema(example = 60)]
    pub period_seconds: i64,
    #[serde(default = "exact")]
    pub mode: RateLimitModeValue,
}

fn exact() -> RateLimitModeValue {
    RateLimitModeValue::Exact
}

impl From<DomainRateLimit> for RateLimit {
    fn from(limit: DomainRateLimit) -> Self {
        Self {
            requests: limit.requests as i64,
            period_seconds: limit.period_seconds as i64,
            mode: limit.mode.into(),
        }
    }
}

impl RateLimit {
    pub(super) fn parse(self, field: &'static str) -> Result<DomainRateLimit, ApiError> {
        Ok(
            DomainRateLimit::parse(field, self.requests, self.period_seconds)?
                .with_mode(self.mode.into()),
        )
    }
}

/// Units a key's verifications may spend per refill period: 1 to 2,000,000,000.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Quota {
    pub limit: i64,
    pub refill: QuotaRefillValue,
}

impl Quota {
    pub(super) fn parse(self) -> Result<DomainQuota, ApiError> {
        Ok(DomainQuota::parse("quota", self.limit, self.refill.into())?)
    }
}

/// A key's quota and what was left of it when the key was read.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct QuotaState {
    pub limit: i64,
    pub refill: QuotaRefillValue,
    pub remaining: i64,
    /// When it refills; null for `NEVER`.
    pub resets_at: Option<DateTime<Utc>>,
}

/// Reads a field that may be omitted but is never `null` (with `#[serde(default,
/// deserialize_with = "not_null")]`): `{"name": null}` is refused as bad input rather than read
/// as if the field were absent, so a client that means "clear" learns it cannot.
pub(super) fn not_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A field of a PATCH body: absent leaves it as it is, `null` clears it, a value sets it.
#[derive(Debug, Clone, Default)]
pub(super) enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Self::Null,
            Some(value) => Self::Value(value),
        })
    }
}

impl<T> Patch<T> {
    /// `None` for absent, `Some(None)` for null: the shape the domain's change requests take.
    pub(super) fn change(self) -> Option<Option<T>> {
        match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Value(value) => Some(Some(value)),
        }
    }

    pub(super) fn as_ref(&self) -> Patch<&T> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(value) => Patch::Value(value),
        }
    }
}
