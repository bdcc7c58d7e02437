//! Revoking many keys in one transaction: each key decided by the single-key rule, one audit
//! event and one change notice per revoked key.

use chrono::{DateTime, Duration, Utc};
use keyplane_domain::RuleViolation;
use std::collections::HashSet;

use keyplane_domain::audit::Actor;
use keyplane_domain::key::{ApiKey, ApiKeyType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::api_key::{self, Column};
use crate::{Store, StoreError, commit, stored_instant};

use super::lifecycle::write_change;
use super::locks::locked_in_id_order;
use super::{KeyChange, KeyContext, KeyFilter, filtered, lock_full_access, usable_full_access};

/// Which keys a bulk revocation is about.
#[derive(Debug, Clone)]
pub enum KeySelection {
    /// These ids (each at most once); ids not in the environment are skipped as `NOT_FOUND`.
    Ids(Vec<String>),
    /// The environment's unrevoked keys this filter matches.
    Filter(KeyFilter),
}

/// A bulk revocation's selection and bounds.
#[derive(Debug, Clone)]
pub struct RevocationBatch {
    pub selection: KeySelection,
    /// The most keys a filter may match; more refuses the whole batch.
    pub max: usize,
    /// What `EXPIRING_SOON` means for a status filter.
    pub expiring_soon: Duration,
}

/// What a bulk revocation did.
#[derive(Debug, Clone, Default)]
pub struct BulkRevocation {
    pub revoked: Vec<ApiKey>,
    /// Each key left alone, by id, with the rule that refused it.
    pub skipped: Vec<(String, RuleViolation)>,
}

impl Store {
    /// Locks the environment's full-access keys, then the selected keys in id order, lets
    /// `decide` judge each (told how many other full-access keys are still usable, counting
    /// the ones this batch already revoked), and revokes the ones it allows. A filter matching
    /// more than `batch.max` keys is refused whole, changing nothing.
    pub async fn revoke_keys<F>(
        &self,
        environment_id: &str,
        batch: &RevocationBatch,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<BulkRevocation, StoreError>
    where
        F: Fn(&ApiKey, KeyContext) -> Result<(), RuleViolation> + Send + Sync,
    {
        let decide = &decide;
        self.write(move || async move {
            let now = stored_instant(now);
            let txn = self.begin_write().await?;
            let full_access = lock_full_access(&txn, environment_id).await?;
            let (targets, mut skipped) = lock_selection(&txn, environment_id, batch, now).await?;
            let mut usable = usable_full_access(&full_access, now, |_| true);
            let mut revoked = Vec::new();
            for target in targets {
                let counts =
                    target.key_type == ApiKeyType::FullAccess && target.check_usable(now).is_ok();
                let context = KeyContext {
                    other_usable_full_access: usable - usize::from(counts),
                };
                if let Err(violation) = decide(&target, context) {
                    skipped.push((target.id, violation));
                    continue;
                }
                let updated =
                    write_change(&txn, environment_id, &target, KeyChange::Revoke, actor, now)
                        .await?;
                usable -= usize::from(counts);
                revoked.push(updated);
            }
            commit(txn).await?;
            Ok(BulkRevocation { revoked, skipped })
        })
        .await
    }
}

/// The selected keys, locked in id order, and the ids skipped before any rule ran.
async fn lock_selection(
    txn: &impl ConnectionTrait,
    environment_id: &str,
    batch: &RevocationBatch,
    now: DateTime<Utc>,
) -> Result<(Vec<ApiKey>, Vec<(String, RuleViolation)>), StoreError> {
    let (selection, max) = (&batch.selection, batch.max);
    let query = api_key::Entity::find().filter(Column::EnvironmentId.eq(environment_id));
    let query = match selection {
        KeySelection::Ids(ids) => query.filter(Column::Id.is_in(ids.iter().map(String::as_str))),
        KeySelection::Filter(filter) => filtered(
            query.filter(Column::RevokedAt.is_null()),
            filter,
            txn.get_database_backend(),
            now,
            batch.expiring_soon,
        )
        .limit(max as u64 + 1),
    };
    let keys = locked_in_id_order(query, txn).await?;
    if keys.len() > max {
        return Err(RuleViolation::bad_input(
            "filter",
            format!("the filter matches more than {max} keys: narrow it, or revoke in batches"),
        )
        .into());
    }
    let skipped = match selection {
        KeySelection::Ids(ids) => {
            let found: HashSet<&str> = keys.iter().map(|key| key.id.as_str()).collect();
            ids.iter()
                .filter(|id| !found.contains(id.as_str()))
                .map(|id| (id.clone(), RuleViolation::not_found("API key")))
                .collect()
        }
        KeySelection::Filter(_) => Vec::new(),
    };
    Ok((keys, skipped))
}
