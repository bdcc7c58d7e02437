//! Recoverable keys: the per-environment choice to keep sealed copies of new secrets, and
//! reading one back (always audited).

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::account_audit::{AccountEventDetails, AccountEventType, NewAccountEvent};
use keyplane_domain::audit::{Actor, AuditEventType, KeySnapshot, NewAuditEvent};
use keyplane_domain::environment::Environment;
use keyplane_domain::key::ApiKey;
use keyplane_domain::secret::KeyHash;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::account::{environment_from_model, lock_environment};
use crate::change::{Change, notify};
use crate::entity::{api_key, environment};
use crate::key::{key_from_model, lock_in_environment_with_secret};
use crate::{Store, StoreError, account_audit, audit, commit, stored_instant};

impl Store {
    /// Turns recoverable keys on or off in an environment, with `RECOVERABLE_KEYS_UPDATED` in
    /// the account's trail. Turning it off deletes every sealed copy in the environment.
    pub async fn set_recoverable_keys(
        &self,
        environment_id: &str,
        enabled: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Environment, StoreError> {
        self.write(move || async move {
            let now = stored_instant(now);
            let txn = self.begin_write().await?;
            let current = lock_environment(&txn, environment_id).await?;
            let updated = environment::ActiveModel {
                id: Set(current.id.clone()),
                recoverable_keys: Set(enabled),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            if !enabled {
                api_key::Entity::update_many()
                    .col_expr(
                        api_key::Column::SealedSecret,
                        Expr::value(Option::<String>::None),
                    )
                    .filter(api_key::Column::EnvironmentId.eq(environment_id))
                    .filter(api_key::Column::SealedSecret.is_not_null())
                    .exec(&txn)
                    .await?;
            }
            notify(&txn, &Change::Environment(current.id.clone())).await?;
            let event = NewAccountEvent {
                event_type: AccountEventType::RecoverableKeysUpdated,
                actor: actor.clone(),
                user_id: None,
                details: AccountEventDetails {
                    environment_id: Some(current.id.clone()),
                    recoverable_keys: Some(enabled),
                    ..AccountEventDetails::default()
                },
            };
            account_audit::insert(&txn, &current.account_id, event, now).await?;
            commit(txn).await?;
            environment_from_model(updated)
        })
        .await
    }

    /// The sealed secret of a recoverable key (with the key's hash, which the seal is bound to),
    /// after `decide` agreed on the key as read in the transaction and `KEY_REVEALED` was
    /// written: the read is on record before anyone sees the secret. A key without a sealed copy
    /// is `CONFLICT`.
    pub async fn reveal_key_secret<F>(
        &self,
        environment_id: &str,
        key_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<(ApiKey, String, KeyHash), StoreError>
    where
        F: Fn(&ApiKey) -> Result<(), RuleViolation> + Send + Sync,
    {
        let decide = &decide;
        self.write(move || async move {
            let now = stored_instant(now);
            let txn = self.begin_write().await?;
            let model = lock_in_environment_with_secret(&txn, environment_id, key_id)
                .await?
                .ok_or_else(|| RuleViolation::not_found("API key"))?;
            let sealed = model.sealed_secret.clone();
            let hash = KeyHash::from_hex(&model.key_hash)
                .ok_or_else(|| StoreError::corrupt("key hash"))?;
            let key = key_from_model(model)?;
            // The caller's right first: a refused caller learns nothing of the key's state.
            decide(&key)?;
            let Some(sealed) = sealed else {
                return Err(RuleViolation::conflict(
                    "the key is not recoverable: it was made while recoverable keys were off",
                )
                .into());
            };
            let event = NewAuditEvent {
                event_type: AuditEventType::KeyRevealed,
                api_key_id: Some(key.id.clone()),
                actor: actor.clone(),
                before: KeySnapshot::default(),
                after: KeySnapshot::default(),
                related_key_id: None,
            };
            audit::insert(&txn, environment_id, event, now).await?;
            commit(txn).await?;
            Ok((key, sealed, hash))
        })
        .await
    }
}
