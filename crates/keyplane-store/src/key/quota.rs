//! A key's quota count: claimed by replicas in leases, each claim one short write transaction
//! on the locked key row, so two replicas never claim the same unit; unspent units come back
//! the same way.

use chrono::{DateTime, Utc};
use keyplane_domain::quota::{KeyQuota, Quota, QuotaClaim, QuotaRefill};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use crate::entity::api_key;
use crate::{Store, StoreError, commit, stored_instant};

use super::lock_in_environment;

/// A quota as it is kept: five nullable columns, all set or none.
pub(super) struct QuotaColumns {
    pub limit: Option<i64>,
    pub refill: Option<String>,
    pub set_at: Option<DateTime<Utc>>,
    pub period_start: Option<DateTime<Utc>>,
    pub used: Option<i64>,
}

impl QuotaColumns {
    pub(super) fn of(quota: Option<KeyQuota>) -> Self {
        match quota {
            Some(q) => Self {
                // Bounded by `Quota::parse` and the claims: both fit an i64.
                limit: Some(q.quota.limit as i64),
                refill: Some(q.quota.refill.as_str().to_owned()),
                set_at: Some(stored_instant(q.set_at)),
                period_start: Some(stored_instant(q.period_start)),
                used: Some(q.used as i64),
            },
            None => Self {
                limit: None,
                refill: None,
                set_at: None,
                period_start: None,
                used: None,
            },
        }
    }

    pub(super) fn of_model(model: &api_key::Model) -> Self {
        Self {
            limit: model.quota_limit,
            refill: model.quota_refill.clone(),
            set_at: model.quota_set_at,
            period_start: model.quota_period_start,
            used: model.quota_used,
        }
    }

    pub(super) fn read(self) -> Result<Option<KeyQuota>, StoreError> {
        let corrupt = || StoreError::corrupt("quota columns");
        match (
            self.limit,
            self.refill,
            self.set_at,
            self.period_start,
            self.used,
        ) {
            (None, None, None, None, None) => Ok(None),
            (Some(limit), Some(refill), Some(set_at), Some(period_start), Some(used)) => {
                let refill = QuotaRefill::parse(&refill).ok_or_else(corrupt)?;
                let quota = Quota::parse("quota", limit, refill).map_err(|_| corrupt())?;
                Ok(Some(KeyQuota {
                    quota,
                    set_at,
                    period_start,
                    used: u64::try_from(used).map_err(|_| corrupt())?,
                }))
            }
            _ => Err(corrupt()),
        }
    }

    pub(super) fn set(self, model: &mut api_key::ActiveModel) {
        model.quota_limit = Set(self.limit);
        model.quota_refill = Set(self.refill);
        model.quota_set_at = Set(self.set_at);
        model.quota_period_start = Set(self.period_start);
        model.quota_used = Set(self.used);
    }
}

/// Most rotations a claim follows from the presented key to the one that counts.
const MAX_ROTATION_HOPS: usize = 8;

/// What a claim found: the key whose count it spent (the presented key, or the key that
/// replaced it in a rotation), and the grant against its quota as it is now (which may be
/// newer than the one the caller had cached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaGrant {
    pub counted_key_id: String,
    pub quota: KeyQuota,
    pub claim: QuotaClaim,
}

impl Store {
    /// Claims up to `wanted` units of the key's quota, at least `spend` or none. A key replaced
    /// in a rotation spends from the key that replaced it, so the old and new secrets share one
    /// count. `None` when the key has no quota (any more).
    pub async fn claim_quota(
        &self,
        environment_id: &str,
        key_id: &str,
        spend: u64,
        wanted: u64,
        now: DateTime<Utc>,
    ) -> Result<Option<QuotaGrant>, StoreError> {
        self.write(|| async move {
            let txn = self.begin_write().await?;
            let mut key = lock_in_environment(&txn, environment_id, key_id).await?;
            for _ in 0..MAX_ROTATION_HOPS {
                let Some(next) = key.replaced_by_id.as_deref() else {
                    break;
                };
                key = lock_in_environment(&txn, environment_id, next).await?;
            }
            let Some(quota) = key.quota else {
                return Ok(None);
            };
            let claim = quota.claim(spend, wanted, now);
            if claim.granted > 0 {
                write_count(&txn, &key.id, claim.period_start, claim.used).await?;
            }
            commit(txn).await?;
            let quota = KeyQuota {
                period_start: claim.period_start,
                used: claim.used,
                ..quota
            };
            Ok(Some(QuotaGrant {
                counted_key_id: key.id,
                quota,
                claim,
            }))
        })
        .await
    }

    /// Returns `units` leased from `key_id`'s count (a grant's `counted_key_id`) under the quota
    /// set at `set_at`, in the period that began at `period_start`. Units of a quota since
    /// replaced, or of a period since ended, are moot.
    pub async fn give_back_quota(
        &self,
        environment_id: &str,
        key_id: &str,
        set_at: DateTime<Utc>,
        period_start: DateTime<Utc>,
        units: u64,
    ) -> Result<(), StoreError> {
        self.write(|| async move {
            let txn = self.begin_write().await?;
            let key = lock_in_environment(&txn, environment_id, key_id).await?;
            let used = key
                .quota
                .filter(|q| q.set_at == stored_instant(set_at))
                .and_then(|q| q.give_back(stored_instant(period_start), units));
            if let Some(used) = used {
                write_count(&txn, key_id, stored_instant(period_start), used).await?;
            }
            commit(txn).await
        })
        .await
    }
}

async fn write_count(
    txn: &impl ConnectionTrait,
    key_id: &str,
    period_start: DateTime<Utc>,
    used: u64,
) -> Result<(), StoreError> {
    api_key::ActiveModel {
        id: Set(key_id.to_owned()),
        quota_period_start: Set(Some(stored_instant(period_start))),
        quota_used: Set(Some(used as i64)),
        ..Default::default()
    }
    .update(txn)
    .await?;
    Ok(())
}
