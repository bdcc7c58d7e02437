//! API keys: lookup, listing and the rows they are read from; `lifecycle` holds the changes,
//! `bulk` the revocation of many keys at once.

mod bulk;
mod filter;
mod lifecycle;
mod locks;
mod quota;

use chrono::{DateTime, Duration, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::audit::{Actor, ActorType};
use keyplane_domain::ip_ranges::IpRanges;
use keyplane_domain::key::{ApiKey, ApiKeyType, Disabled};
use keyplane_domain::lifecycle::SettingsChange;
use keyplane_domain::metadata::Metadata;
use keyplane_domain::rate_limit::RateLimit;
use keyplane_domain::scope::ScopeSet;
use keyplane_domain::secret::KeyHash;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};

use crate::entity::api_key::{self, Column};
use crate::page::{Page, PageRequest};
use crate::{RateLimitColumns, Store, StoreError, new_id, stored_instant};
pub use bulk::{BulkRevocation, KeySelection, RevocationBatch};
use filter::filtered;
pub use filter::{KeyFilter, TimeRange};
use locks::{lock_for_change, lock_full_access, usable_full_access};
use quota::QuotaColumns;
pub use quota::QuotaGrant;

/// A key about to be inserted. Only the hash of its secret is here.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub key_type: ApiKeyType,
    pub name: String,
    pub description: Option<String>,
    pub scopes: ScopeSet,
    pub hash: KeyHash,
    pub masked_key: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotated_from_id: Option<String>,
    pub customer_ids: Option<Vec<String>>,
    pub rate_limit: Option<RateLimit>,
    pub integration_id: Option<String>,
    pub metadata: Option<Metadata>,
    pub external_id: Option<String>,
    pub allowed_ips: Option<IpRanges>,
    /// The quota and its count: fresh for a new key, carried over by a rotation.
    pub quota: Option<keyplane_domain::quota::KeyQuota>,
    /// The secret sealed with the data key. Kept only if the environment has recoverable keys
    /// on when the key is written (checked inside the transaction), else dropped.
    pub sealed_secret: Option<String>,
}

/// One decided change of an existing key. Each maps to exactly one audit event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    Settings(SettingsChange),
    Scopes(ScopeSet),
    Expiration(DateTime<Utc>),
    Revoke,
    Disable(Disabled),
    Enable,
    /// A leak report matched the key: `KEY_LEAKED` with where it was found, and under the
    /// `REVOKE` action the key is revoked in the same change.
    Leaked(keyplane_domain::leak::LeakSnapshot),
    /// These changes in order, in one transaction: all are written or none. Each writes its
    /// own audit event, as it would alone.
    Several(Vec<KeyChange>),
}

/// What a change decision may need to know beyond the key itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyContext {
    /// For a full-access key: how many other full-access keys of its environment are usable
    /// now. Read with those keys locked, so two changes cannot each count on the other.
    pub other_usable_full_access: usize,
}

/// What a rotation decided: the old key's new expiration, and the new key's secret hash.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub old_expires_at: DateTime<Utc>,
    /// When the new key expires: `None` for never.
    pub new_expires_at: Option<DateTime<Utc>>,
    pub hash: KeyHash,
    pub masked_key: String,
    /// The new secret sealed, kept as [`NewKey::sealed_secret`] is.
    pub sealed_secret: Option<String>,
}

impl Store {
    /// The key a presented secret hashes to, in any environment.
    pub async fn find_key_by_hash(&self, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
        self.read(move || self.find_key_by_hash_once(hash)).await
    }

    async fn find_key_by_hash_once(&self, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
        api_key::Entity::find()
            .filter(Column::KeyHash.eq(hash.to_hex()))
            .one(&self.db)
            .await?
            .map(key_from_model)
            .transpose()
    }

    /// The keys of `environment_id` among `key_ids`, in one statement; ids of other
    /// environments' keys are left out, like missing ones.
    pub async fn find_keys(
        &self,
        environment_id: &str,
        key_ids: &[String],
    ) -> Result<Vec<ApiKey>, StoreError> {
        if key_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(move || async move {
            api_key::Entity::find()
                .filter(Column::EnvironmentId.eq(environment_id))
                .filter(Column::Id.is_in(key_ids.iter().map(String::as_str)))
                .all(&self.db)
                .await?
                .into_iter()
                .map(key_from_model)
                .collect()
        })
        .await
    }

    /// A key of `environment_id`. A key of another environment is `None`, like a missing one.
    pub async fn find_key(
        &self,
        environment_id: &str,
        key_id: &str,
    ) -> Result<Option<ApiKey>, StoreError> {
        self.read(move || self.find_key_once(environment_id, key_id))
            .await
    }

    async fn find_key_once(
        &self,
        environment_id: &str,
        key_id: &str,
    ) -> Result<Option<ApiKey>, StoreError> {
        find_in_environment(&self.db, environment_id, key_id, false).await
    }

    /// An environment's keys, newest first.
    pub async fn list_keys(
        &self,
        environment_id: &str,
        filter: &KeyFilter,
        page: &PageRequest<String>,
        now: DateTime<Utc>,
        expiring_soon: Duration,
    ) -> Result<Page<ApiKey>, StoreError> {
        self.read(move || self.list_keys_once(environment_id, filter, page, now, expiring_soon))
            .await
    }

    async fn list_keys_once(
        &self,
        environment_id: &str,
        filter: &KeyFilter,
        page: &PageRequest<String>,
        now: DateTime<Utc>,
        expiring_soon: Duration,
    ) -> Result<Page<ApiKey>, StoreError> {
        let mut query = api_key::Entity::find().filter(Column::EnvironmentId.eq(environment_id));
        if filter.statuses.is_none() {
            // A disconnected integration's keys leave the default listing; asking for
            // REVOKED keys still shows them.
            query = query.filter(
                Condition::any()
                    .add(Column::KeyType.ne(ApiKeyType::Integration.as_str()))
                    .add(Column::RevokedAt.is_null()),
            );
        }
        let query = filtered(
            query,
            filter,
            self.db.get_database_backend(),
            now,
            expiring_soon,
        );
        let rows = crate::page::keyset(query, Column::Id, page)
            .all(&self.db)
            .await?;
        let keys = rows
            .into_iter()
            .map(key_from_model)
            .collect::<Result<_, _>>()?;
        Ok(Page::from_overfetch(keys, page))
    }
}

pub(super) async fn find_in_environment(
    db: &impl ConnectionTrait,
    environment_id: &str,
    key_id: &str,
    lock: bool,
) -> Result<Option<ApiKey>, StoreError> {
    let mut query = api_key::Entity::find_by_id(key_id.to_owned())
        .filter(Column::EnvironmentId.eq(environment_id));
    if lock {
        query = query.lock_exclusive();
    }
    query.one(db).await?.map(key_from_model).transpose()
}

/// The key's row, sealed secret included and locked for the rest of the transaction, for
/// revealing it.
pub(crate) async fn lock_in_environment_with_secret(
    db: &impl ConnectionTrait,
    environment_id: &str,
    key_id: &str,
) -> Result<Option<api_key::Model>, StoreError> {
    Ok(api_key::Entity::find_by_id(key_id.to_owned())
        .filter(Column::EnvironmentId.eq(environment_id))
        .lock_exclusive()
        .one(db)
        .await?)
}

/// The key, locked for the rest of the transaction, or `NOT_FOUND`.
pub(super) async fn lock_in_environment(
    txn: &impl ConnectionTrait,
    environment_id: &str,
    key_id: &str,
) -> Result<ApiKey, StoreError> {
    find_in_environment(txn, environment_id, key_id, true)
        .await?
        .ok_or_else(|| RuleViolation::not_found("API key").into())
}

pub(crate) async fn insert_key(
    db: &impl ConnectionTrait,
    environment_id: &str,
    key: NewKey,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ApiKey, StoreError> {
    insert_key_with_id(db, environment_id, new_id(), key, actor, now).await
}

async fn insert_key_with_id(
    db: &impl ConnectionTrait,
    environment_id: &str,
    id: String,
    key: NewKey,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ApiKey, StoreError> {
    let limit = RateLimitColumns::of(key.rate_limit);
    let sealed_secret = match key.sealed_secret {
        Some(sealed) if recoverable_keys_on(db, environment_id).await? => Some(sealed),
        _ => None,
    };
    let model = api_key::Model {
        id,
        environment_id: environment_id.to_owned(),
        key_type: key.key_type.as_str().to_owned(),
        name: key.name,
        description: key.description,
        scopes: key.scopes.to_stored(),
        key_hash: key.hash.to_hex(),
        masked_key: key.masked_key,
        expires_at: key.expires_at.map(stored_instant),
        revoked_at: None,
        last_used_at: None,
        created_at: now,
        created_by_type: actor.actor_type.as_str().to_owned(),
        created_by_id: actor.id.clone(),
        created_by_name: actor.name.clone(),
        rotated_from_id: key.rotated_from_id,
        replaced_by_id: None,
        customer_ids: encode_customer_ids(key.customer_ids.as_deref())?,
        rate_limit_requests: limit.requests,
        rate_limit_period_seconds: limit.period_seconds,
        rate_limit_mode: limit.mode,
        integration_id: key.integration_id,
        sealed_secret,
        metadata: key.metadata.as_ref().map(|m| m.as_json().to_owned()),
        external_id: key.external_id,
        disabled_at: None,
        disabled_reason: None,
        allowed_ips: encode_allowed_ips(key.allowed_ips.as_ref())?,
        quota_limit: None,
        quota_refill: None,
        quota_set_at: None,
        quota_period_start: None,
        quota_used: None,
        expiring_soon_noticed_for: None,
        expired_noticed_for: None,
    };
    let mut model = model.into_active_model();
    QuotaColumns::of(key.quota).set(&mut model);
    let inserted = model.insert(db).await.map_err(|e| {
        StoreError::conflict_on_unique(e, "a key with this secret or role already exists")
    })?;
    key_from_model(inserted)
}

/// Whether the environment keeps sealed copies of new secrets, read under a share lock on
/// PostgreSQL: turning the setting off locks the row for update, so a key written concurrently
/// either sees it off or is written before the sealed copies are deleted.
async fn recoverable_keys_on(
    db: &impl ConnectionTrait,
    environment_id: &str,
) -> Result<bool, StoreError> {
    use crate::entity::environment;
    let mut query = environment::Entity::find_by_id(environment_id.to_owned());
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_shared();
    }
    Ok(query.one(db).await?.is_some_and(|env| env.recoverable_keys))
}

pub(crate) fn key_from_model(model: api_key::Model) -> Result<ApiKey, StoreError> {
    let quota = QuotaColumns::of_model(&model).read()?;
    let key_type = ApiKeyType::parse(&model.key_type)
        .ok_or_else(|| StoreError::corrupt(format!("key type {:?}", model.key_type)))?;
    let scopes = ScopeSet::from_stored(&model.scopes)
        .map_err(|_| StoreError::corrupt(format!("scopes of key {}", model.id)))?;
    let actor_type = ActorType::parse(&model.created_by_type)
        .ok_or_else(|| StoreError::corrupt(format!("actor type {:?}", model.created_by_type)))?;
    Ok(ApiKey {
        id: model.id,
        environment_id: model.environment_id,
        key_type,
        name: model.name,
        description: model.description,
        scopes,
        masked_key: model.masked_key,
        expires_at: model.expires_at,
        revoked_at: model.revoked_at,
        last_used_at: model.last_used_at,
        created_at: model.created_at,
        created_by: Actor {
            actor_type,
            id: model.created_by_id,
            name: model.created_by_name,
        },
        rotated_from_id: model.rotated_from_id,
        replaced_by_id: model.replaced_by_id,
        customer_ids: model
            .customer_ids
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| StoreError::corrupt("customer ids"))?,
        integration_id: model.integration_id,
        recoverable: model.sealed_secret.is_some(),
        metadata: model
            .metadata
            .as_deref()
            .map(|text| Metadata::from_stored(text).ok_or_else(|| StoreError::corrupt("metadata")))
            .transpose()?,
        external_id: model.external_id,
        disabled: match (model.disabled_at, model.disabled_reason) {
            (Some(at), Some(reason)) => Some(Disabled { at, reason }),
            (None, None) => None,
            _ => return Err(StoreError::corrupt("disabled columns set by halves")),
        },
        allowed_ips: model
            .allowed_ips
            .as_deref()
            .map(|text| {
                serde_json::from_str::<Vec<String>>(text)
                    .ok()
                    .and_then(|entries| IpRanges::from_stored(&entries))
                    .ok_or_else(|| StoreError::corrupt("allowed ips"))
            })
            .transpose()?,
        quota,
        rate_limit: RateLimitColumns {
            requests: model.rate_limit_requests,
            period_seconds: model.rate_limit_period_seconds,
            mode: model.rate_limit_mode,
        }
        .read()?,
    })
}

fn encode_allowed_ips(ranges: Option<&IpRanges>) -> Result<Option<String>, StoreError> {
    ranges
        .map(|r| serde_json::to_string(&r.to_strings()))
        .transpose()
        .map_err(|e| StoreError::corrupt(e.to_string()))
}

fn encode_customer_ids(ids: Option<&[String]>) -> Result<Option<String>, StoreError> {
    ids.map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::corrupt(e.to_string()))
}
