//! Usage quotas in the schema: set on a key (`QuotaInput`), shown on it (`Quota`), spent by
//! verifications (`VerificationQuota`).

use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::quota::{KeyQuota, Quota, QuotaRefill};
use keyplane_service::quota::QuotaDecision;

use crate::error::ApiError;

/// When a quota is full again.
#[derive(
    Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = QuotaRefill)]
#[graphql(name = "QuotaRefill", remote = "keyplane_domain::quota::QuotaRefill")]
pub enum QuotaRefillValue {
    /// At 00:00 UTC each day.
    Daily,
    /// At 00:00 UTC on the first of each month.
    Monthly,
    /// Never: a budget for the key's whole life.
    Never,
}

/// Units a key's verifications may spend per refill period: 1 to 2,000,000,000. Setting a
/// different quota starts a new count; setting the same one keeps it.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct QuotaInput {
    pub limit: i64,
    pub refill: QuotaRefillValue,
}

impl QuotaInput {
    pub fn parse(self) -> Result<Quota, ApiError> {
        Ok(Quota::parse(
            "quota",
            self.limit,
            QuotaRefill::from(self.refill),
        )?)
    }
}

/// A key's quota and what is left of it when the key was read. Units a replica has claimed
/// and not yet spent count as spent until they go back (250 ms after its last use).
#[derive(SimpleObject, Debug, Clone, Copy)]
#[graphql(name = "Quota")]
pub struct QuotaNode {
    pub limit: i64,
    pub refill: QuotaRefillValue,
    pub remaining: i64,
    /// When it refills; null for `NEVER`.
    pub resets_at: Option<DateTime<Utc>>,
}

impl QuotaNode {
    pub fn of(quota: KeyQuota, now: DateTime<Utc>) -> Self {
        Self {
            limit: quota.quota.limit as i64,
            refill: quota.quota.refill.into(),
            remaining: quota.remaining_at(now) as i64,
            resets_at: quota.resets_at(now),
        }
    }
}

/// A quota as set, in the audit trail.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct QuotaSettings {
    pub limit: i64,
    pub refill: QuotaRefillValue,
}

impl From<Quota> for QuotaSettings {
    fn from(quota: Quota) -> Self {
        Self {
            limit: quota.limit as i64,
            refill: quota.refill.into(),
        }
    }
}

/// The verified key's quota after this verification.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct VerificationQuota {
    pub limit: i64,
    /// Units left after this verification.
    pub remaining: i64,
    /// When it refills; null for `NEVER`.
    pub resets_at: Option<DateTime<Utc>>,
}

impl From<QuotaDecision> for VerificationQuota {
    fn from(d: QuotaDecision) -> Self {
        Self {
            limit: d.limit as i64,
            remaining: d.remaining as i64,
            resets_at: d.resets_at,
        }
    }
}
