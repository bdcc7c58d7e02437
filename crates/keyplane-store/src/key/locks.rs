//! Locking keys for a change: a full-access key together with its environment's other
//! full-access keys, so the last-usable-full-access-key rule counts what is committed.

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::key::{ApiKey, ApiKeyType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::StoreError;
use crate::entity::api_key::{self, Column};

use super::{KeyContext, find_in_environment, key_from_model, lock_in_environment};

/// The key, locked, with what a change decision needs to know. A full-access key is locked
/// together with its environment's other full-access keys, all in id order (so two changes of
/// two such keys never deadlock), and they are counted while locked.
pub(super) async fn lock_for_change(
    txn: &impl ConnectionTrait,
    environment_id: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<(ApiKey, KeyContext), StoreError> {
    // A key's type never changes, so reading it unlocked first is safe.
    let peek = find_in_environment(txn, environment_id, key_id, false)
        .await?
        .ok_or_else(|| StoreError::from(RuleViolation::not_found("API key")))?;
    if peek.key_type != ApiKeyType::FullAccess {
        let current = lock_in_environment(txn, environment_id, key_id).await?;
        let context = KeyContext {
            other_usable_full_access: 0,
        };
        return Ok((current, context));
    }
    let full_access = lock_full_access(txn, environment_id).await?;
    let context = KeyContext {
        other_usable_full_access: usable_full_access(&full_access, now, |key| key.id != key_id),
    };
    let current = full_access
        .into_iter()
        .find(|key| key.id == key_id)
        .ok_or_else(|| StoreError::from(RuleViolation::not_found("API key")))?;
    Ok((current, context))
}

/// Every full-access key of the environment, locked, in id order.
pub(super) async fn lock_full_access(
    txn: &impl ConnectionTrait,
    environment_id: &str,
) -> Result<Vec<ApiKey>, StoreError> {
    let query = api_key::Entity::find()
        .filter(Column::EnvironmentId.eq(environment_id))
        .filter(Column::KeyType.eq(ApiKeyType::FullAccess.as_str()));
    locked_in_id_order(query, txn).await
}

/// The keys `query` selects, locked in id order: every multi-key lock takes rows in this order,
/// so two such transactions never deadlock.
pub(super) async fn locked_in_id_order(
    query: Select<api_key::Entity>,
    txn: &impl ConnectionTrait,
) -> Result<Vec<ApiKey>, StoreError> {
    query
        .order_by_asc(Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?
        .into_iter()
        .map(key_from_model)
        .collect()
}

/// How many of the full-access keys `full_access` that `counts` are usable at `now`.
pub(super) fn usable_full_access(
    full_access: &[ApiKey],
    now: DateTime<Utc>,
    counts: impl Fn(&ApiKey) -> bool,
) -> usize {
    full_access
        .iter()
        .filter(|key| counts(key) && key.check_usable(now).is_ok())
        .count()
}
