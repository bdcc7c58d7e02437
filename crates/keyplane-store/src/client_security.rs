//! Client-side security settings of an environment and its sealed signing secrets.

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::audit::{Actor, AuditEventType, KeySnapshot};
use keyplane_domain::client_security::ClientSecurity;
use keyplane_domain::environment::Environment;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::account::{environment_from_model, lock_environment};
use crate::audit;
use crate::change::{Change, notify};
use crate::entity::client_signing_secret::{self, Column};
use crate::entity::environment;
use crate::{Store, StoreError, commit, new_id, stored_instant};

/// A signing secret as stored: sealed; the API opens it with the data key.
#[derive(Debug, Clone)]
pub struct SealedSigningSecret {
    pub id: String,
    pub sealed: String,
    /// When a rotated-out secret stops being accepted; `None` for the current one.
    pub expires_at: Option<DateTime<Utc>>,
}

fn usable(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(Column::ExpiresAt.is_null())
        .add(Column::ExpiresAt.gt(now))
}

async fn usable_secret_count(
    db: &impl ConnectionTrait,
    environment_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(client_signing_secret::Entity::find()
        .filter(Column::EnvironmentId.eq(environment_id))
        .filter(usable(now))
        .count(db)
        .await?)
}

impl Store {
    /// Replaces the settings. Enabling needs a usable signing secret (`CONFLICT` otherwise), or
    /// every publishable request would be refused.
    pub async fn set_client_security(
        &self,
        environment_id: &str,
        settings: &ClientSecurity,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Environment, StoreError> {
        self.write(move || self.set_client_security_once(environment_id, settings, actor, now))
            .await
    }

    async fn set_client_security_once(
        &self,
        environment_id: &str,
        settings: &ClientSecurity,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Environment, StoreError> {
        let txn = self.begin_write().await?;
        let before = lock_environment(&txn, environment_id)
            .await?
            .client_security;
        if settings.enabled && usable_secret_count(&txn, environment_id, now).await? == 0 {
            return Err(RuleViolation::conflict(
                "create a signing secret with rotateClientSigningSecret before enabling client-side security",
            )
            .into());
        }
        let origins = serde_json::to_string(&settings.allowed_origins)
            .map_err(|e| StoreError::corrupt(e.to_string()))?;
        let model = environment::ActiveModel {
            id: Set(environment_id.to_owned()),
            client_security_enabled: Set(settings.enabled),
            allowed_origins: Set(Some(origins)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        notify(&txn, &Change::Environment(environment_id.to_owned())).await?;
        let snapshot = |security: &ClientSecurity| KeySnapshot {
            client_security_enabled: Some(security.enabled),
            allowed_origins: Some(security.allowed_origins.clone()),
            ..KeySnapshot::default()
        };
        audit::insert_settings_event(
            &txn,
            environment_id,
            AuditEventType::ClientSecurityUpdated,
            actor,
            (snapshot(&before), snapshot(settings)),
            stored_instant(now),
        )
        .await?;
        commit(txn).await?;
        environment_from_model(model)
    }

    /// Makes `sealed` the current signing secret. The previous current one keeps working until
    /// `previous_until` (or its own earlier expiry). `new_id` is the id the secret was sealed
    /// for, so a sealed value cannot be moved to another row.
    pub async fn rotate_signing_secret(
        &self,
        environment_id: &str,
        secret: SealedSigningSecret,
        previous_until: DateTime<Utc>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(move || {
            self.rotate_signing_secret_once(
                environment_id,
                secret.clone(),
                previous_until,
                actor,
                now,
            )
        })
        .await
    }

    async fn rotate_signing_secret_once(
        &self,
        environment_id: &str,
        secret: SealedSigningSecret,
        previous_until: DateTime<Utc>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (now, previous_until) = (stored_instant(now), stored_instant(previous_until));
        let txn = self.begin_write().await?;
        let current = client_signing_secret::Entity::find()
            .filter(Column::EnvironmentId.eq(environment_id))
            .filter(Column::ExpiresAt.is_null())
            .lock_exclusive()
            .all(&txn)
            .await?;
        let before = KeySnapshot {
            signing_secret_id: current.first().map(|old| old.id.clone()),
            signing_secret_valid_until: current.first().map(|_| previous_until),
            ..KeySnapshot::default()
        };
        let after = KeySnapshot {
            signing_secret_id: Some(secret.id.clone()),
            ..KeySnapshot::default()
        };
        for old in current {
            client_signing_secret::ActiveModel {
                id: Set(old.id),
                expires_at: Set(Some(previous_until)),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        client_signing_secret::Entity::insert(client_signing_secret::ActiveModel {
            id: Set(secret.id),
            environment_id: Set(environment_id.to_owned()),
            sealed_secret: Set(secret.sealed),
            created_at: Set(now),
            expires_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        notify(&txn, &Change::Environment(environment_id.to_owned())).await?;
        audit::insert_settings_event(
            &txn,
            environment_id,
            AuditEventType::SigningSecretRotated,
            actor,
            (before, after),
            now,
        )
        .await?;
        commit(txn).await?;
        Ok(())
    }

    /// Whether the environment has a current signing secret.
    pub async fn has_signing_secret(&self, environment_id: &str) -> Result<bool, StoreError> {
        self.read(move || self.has_signing_secret_once(environment_id))
            .await
    }

    async fn has_signing_secret_once(&self, environment_id: &str) -> Result<bool, StoreError> {
        Ok(client_signing_secret::Entity::find()
            .filter(Column::EnvironmentId.eq(environment_id))
            .filter(Column::ExpiresAt.is_null())
            .count(&self.db)
            .await?
            > 0)
    }

    /// The secrets a customer token may be signed with at `now`: the current one first, then
    /// any previous one still inside its grace period.
    pub async fn usable_signing_secrets(
        &self,
        environment_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SealedSigningSecret>, StoreError> {
        self.read(move || self.usable_signing_secrets_once(environment_id, now))
            .await
    }

    async fn usable_signing_secrets_once(
        &self,
        environment_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SealedSigningSecret>, StoreError> {
        Ok(client_signing_secret::Entity::find()
            .filter(Column::EnvironmentId.eq(environment_id))
            .filter(usable(now))
            .order_by_desc(Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| SealedSigningSecret {
                id: m.id,
                sealed: m.sealed_secret,
                expires_at: m.expires_at,
            })
            .collect())
    }
}

/// An id for a new signing secret, to seal it against before it is stored.
pub fn new_signing_secret_id() -> String {
    new_id()
}
