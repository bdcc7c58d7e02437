//! The key lifecycle's writes: create, change (settings, scopes, expiration, revoke) and
//! rotate, each with its audit event in the same transaction.

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::audit::{Actor, AuditEventType, KeySnapshot, NewAuditEvent};
use keyplane_domain::key::ApiKey;
use keyplane_domain::leak::LeakAction;
use keyplane_domain::lifecycle::SettingsChange;
use keyplane_domain::metadata::Metadata;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use crate::change::{Change, notify};
use crate::entity::api_key;
use crate::{RateLimitColumns, Store, StoreError, audit, commit, new_id, stored_instant};

use super::{
    KeyChange, KeyContext, NewKey, Rotation, encode_allowed_ips, encode_customer_ids, insert_key,
    insert_key_with_id, key_from_model, lock_for_change, lock_in_environment,
};

impl Store {
    /// Inserts a caller-created key and its `KEY_CREATED` event.
    pub async fn create_key(
        &self,
        environment_id: &str,
        key: NewKey,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ApiKey, StoreError> {
        self.write(move || self.create_key_once(environment_id, key.clone(), actor, now))
            .await
    }

    async fn create_key_once(
        &self,
        environment_id: &str,
        key: NewKey,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ApiKey, StoreError> {
        let now = stored_instant(now);
        let txn = self.begin_write().await?;
        let created = insert_key(&txn, environment_id, key, actor, now).await?;
        let after = KeySnapshot {
            name: Some(created.name.clone()),
            description: created.description.clone(),
            scopes: Some(created.scopes.to_strings()),
            expires_at: created.expires_at,
            customer_ids: created.customer_ids.clone(),
            rate_limit: created.rate_limit,
            metadata: created.metadata.as_ref().map(Metadata::to_value),
            external_id: created.external_id.clone(),
            allowed_ips: created.allowed_ips.as_ref().map(|r| r.to_strings()),
            quota: created.quota.map(|q| q.quota),
            ..KeySnapshot::default()
        };
        let event = event(
            AuditEventType::KeyCreated,
            &created,
            actor,
            KeySnapshot::default(),
            after,
        );
        audit::insert(&txn, environment_id, event, now).await?;
        commit(txn).await?;
        Ok(created)
    }

    /// Locks the key, lets `decide` apply the domain rules to its current state (and, for a
    /// full-access key, to the environment's other full-access keys, locked too), then writes the
    /// change and its audit event in the same transaction. A refusal writes nothing.
    pub async fn change_key<F>(
        &self,
        environment_id: &str,
        key_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<ApiKey, StoreError>
    where
        F: Fn(&ApiKey, KeyContext) -> Result<KeyChange, RuleViolation> + Send + Sync,
    {
        let decide = &decide;
        self.write(move || self.change_key_once(environment_id, key_id, actor, now, decide))
            .await
    }

    async fn change_key_once<F>(
        &self,
        environment_id: &str,
        key_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<ApiKey, StoreError>
    where
        F: Fn(&ApiKey, KeyContext) -> Result<KeyChange, RuleViolation> + Send + Sync,
    {
        let now = stored_instant(now);
        let txn = self.begin_write().await?;
        let (current, context) = lock_for_change(&txn, environment_id, key_id, now).await?;
        let change = decide(&current, context)?;
        let updated = write_change(&txn, environment_id, &current, change, actor, now).await?;
        commit(txn).await?;
        Ok(updated)
    }

    /// Rule 4: locks the key, lets `decide` check it and choose the grace period, marks it
    /// replaced with its new expiration, inserts the new key copying everything else, and writes
    /// `KEY_ROTATED` (on the old key, naming the new one) and `KEY_CREATED` (on the new one).
    /// Answers `(new, old)`.
    pub async fn rotate_key<F>(
        &self,
        environment_id: &str,
        key_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<(ApiKey, ApiKey), StoreError>
    where
        F: Fn(&ApiKey) -> Result<Rotation, RuleViolation> + Send + Sync,
    {
        let decide = &decide;
        self.write(move || self.rotate_key_once(environment_id, key_id, actor, now, decide))
            .await
    }

    async fn rotate_key_once<F>(
        &self,
        environment_id: &str,
        key_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<(ApiKey, ApiKey), StoreError>
    where
        F: Fn(&ApiKey) -> Result<Rotation, RuleViolation> + Send + Sync,
    {
        let now = stored_instant(now);
        let txn = self.begin_write().await?;
        let current = lock_in_environment(&txn, environment_id, key_id).await?;
        let rotation = decide(&current)?;
        let new_id = new_id();
        // The old key is marked replaced before the new one exists, so the one-current-default
        // index never sees two current keys.
        let old = api_key::ActiveModel {
            id: Set(current.id.clone()),
            expires_at: Set(Some(stored_instant(rotation.old_expires_at))),
            replaced_by_id: Set(Some(new_id.clone())),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        let old = key_from_model(old)?;
        notify(&txn, &Change::Key(old.id.clone())).await?;
        let new_key = NewKey {
            key_type: current.key_type,
            name: current.name.clone(),
            description: current.description.clone(),
            scopes: current.scopes,
            hash: rotation.hash,
            masked_key: rotation.masked_key,
            expires_at: rotation.new_expires_at,
            rotated_from_id: Some(current.id.clone()),
            customer_ids: current.customer_ids.clone(),
            rate_limit: current.rate_limit,
            integration_id: current.integration_id.clone(),
            metadata: current.metadata.clone(),
            external_id: current.external_id.clone(),
            allowed_ips: current.allowed_ips.clone(),
            // The new secret takes over the count; the old one spends from it until its grace
            // period ends (`Store::claim_quota` follows the rotation).
            quota: current.quota,
            sealed_secret: rotation.sealed_secret,
        };
        let created = insert_key_with_id(&txn, environment_id, new_id, new_key, actor, now).await?;
        let rotated = NewAuditEvent {
            related_key_id: Some(created.id.clone()),
            ..event(
                AuditEventType::KeyRotated,
                &old,
                actor,
                KeySnapshot {
                    expires_at: current.expires_at,
                    ..KeySnapshot::default()
                },
                KeySnapshot {
                    expires_at: old.expires_at,
                    ..KeySnapshot::default()
                },
            )
        };
        audit::insert(&txn, environment_id, rotated, now).await?;
        let after = KeySnapshot {
            name: Some(created.name.clone()),
            scopes: Some(created.scopes.to_strings()),
            expires_at: created.expires_at,
            ..KeySnapshot::default()
        };
        let created_event = NewAuditEvent {
            related_key_id: Some(old.id.clone()),
            ..event(
                AuditEventType::KeyCreated,
                &created,
                actor,
                KeySnapshot::default(),
                after,
            )
        };
        audit::insert(&txn, environment_id, created_event, now).await?;
        commit(txn).await?;
        Ok((created, old))
    }
}

/// Writes one decided change of `current` (locked by the caller's transaction): its columns,
/// the change notice for the other replicas and its audit event. The one place a key change is
/// written, for a single change and for each key of a bulk revocation.
pub(super) async fn write_change(
    txn: &impl ConnectionTrait,
    environment_id: &str,
    current: &ApiKey,
    change: KeyChange,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ApiKey, StoreError> {
    let mut model = api_key::ActiveModel {
        id: Set(current.id.clone()),
        ..Default::default()
    };
    let (event_type, before, after) = match change {
        KeyChange::Several(changes) => {
            let mut key = current.clone();
            for change in changes {
                key = Box::pin(write_change(txn, environment_id, &key, change, actor, now)).await?;
            }
            return Ok(key);
        }
        KeyChange::Settings(change) => {
            let limit = RateLimitColumns::of(change.rate_limit);
            model.name = Set(change.name.clone());
            model.description = Set(change.description.clone());
            model.customer_ids = Set(encode_customer_ids(change.customer_ids.as_deref())?);
            model.rate_limit_requests = Set(limit.requests);
            model.rate_limit_period_seconds = Set(limit.period_seconds);
            model.rate_limit_mode = Set(limit.mode);
            model.metadata = Set(change.metadata.as_ref().map(|m| m.as_json().to_owned()));
            model.external_id = Set(change.external_id.clone());
            model.allowed_ips = Set(encode_allowed_ips(change.allowed_ips.as_ref())?);
            // A changed quota starts a new count; the same one keeps its count.
            if change.quota != current.quota.map(|q| q.quota) {
                let fresh = change
                    .quota
                    .map(|q| keyplane_domain::quota::KeyQuota::new(q, now));
                super::quota::QuotaColumns::of(fresh).set(&mut model);
            }
            let before = settings_snapshot(&SettingsChange::of(current));
            let after = settings_snapshot(&change);
            (AuditEventType::KeyUpdated, before, after)
        }
        KeyChange::Scopes(scopes) => {
            model.scopes = Set(scopes.to_stored());
            let before = KeySnapshot {
                scopes: Some(current.scopes.to_strings()),
                ..KeySnapshot::default()
            };
            let after = KeySnapshot {
                scopes: Some(scopes.to_strings()),
                ..KeySnapshot::default()
            };
            (AuditEventType::ScopesUpdated, before, after)
        }
        KeyChange::Expiration(expires_at) => {
            let expires_at = stored_instant(expires_at);
            model.expires_at = Set(Some(expires_at));
            let before = KeySnapshot {
                expires_at: current.expires_at,
                ..KeySnapshot::default()
            };
            let after = KeySnapshot {
                expires_at: Some(expires_at),
                ..KeySnapshot::default()
            };
            (AuditEventType::ExpirationChanged, before, after)
        }
        KeyChange::Revoke => {
            model.revoked_at = Set(Some(now));
            (
                AuditEventType::KeyRevoked,
                KeySnapshot::default(),
                KeySnapshot::default(),
            )
        }
        KeyChange::Disable(disabled) => {
            model.disabled_at = Set(Some(stored_instant(disabled.at)));
            model.disabled_reason = Set(Some(disabled.reason.clone()));
            let after = KeySnapshot {
                disabled_reason: Some(disabled.reason),
                ..KeySnapshot::default()
            };
            (AuditEventType::KeyDisabled, KeySnapshot::default(), after)
        }
        KeyChange::Enable => {
            model.disabled_at = Set(None);
            model.disabled_reason = Set(None);
            let before = KeySnapshot {
                disabled_reason: current.disabled.as_ref().map(|d| d.reason.clone()),
                ..KeySnapshot::default()
            };
            (AuditEventType::KeyEnabled, before, KeySnapshot::default())
        }
        KeyChange::Leaked(leak) => {
            if leak.action == LeakAction::Revoked {
                model.revoked_at = Set(Some(now));
            }
            let after = KeySnapshot {
                leak: Some(leak),
                ..KeySnapshot::default()
            };
            (AuditEventType::KeyLeaked, KeySnapshot::default(), after)
        }
    };
    let updated = key_from_model(model.update(txn).await?)?;
    notify(txn, &Change::Key(updated.id.clone())).await?;
    audit::insert(
        txn,
        environment_id,
        event(event_type, &updated, actor, before, after),
        now,
    )
    .await?;
    Ok(updated)
}

fn event(
    event_type: AuditEventType,
    key: &ApiKey,
    actor: &Actor,
    before: KeySnapshot,
    after: KeySnapshot,
) -> NewAuditEvent {
    NewAuditEvent {
        event_type,
        api_key_id: Some(key.id.clone()),
        actor: actor.clone(),
        before,
        after,
        related_key_id: None,
    }
}

fn settings_snapshot(settings: &SettingsChange) -> KeySnapshot {
    KeySnapshot {
        name: Some(settings.name.clone()),
        description: settings.description.clone(),
        customer_ids: settings.customer_ids.clone(),
        rate_limit: settings.rate_limit,
        metadata: settings.metadata.as_ref().map(Metadata::to_value),
        external_id: settings.external_id.clone(),
        allowed_ips: settings.allowed_ips.as_ref().map(|r| r.to_strings()),
        quota: settings.quota,
        ..KeySnapshot::default()
    }
}
