//! Integrations: connecting provisions the integration's key; disconnecting revokes every key
//! the integration still has (including one inside a rotation grace period).

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::audit::{Actor, AuditEventType, KeySnapshot, NewAuditEvent};
use keyplane_domain::integration::{Integration, IntegrationProvider};
use keyplane_domain::key::ApiKey;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::change::{Change, notify};
use crate::entity::{api_key, integration};
use crate::key::{insert_key, key_from_model};
use crate::page::{Page, PageRequest, keyset};
use crate::{NewKey, Store, StoreError, audit, commit, new_id, stored_instant};

impl Store {
    /// Records the integration and inserts its key (with its `KEY_CREATED` event) in one
    /// transaction. `CONFLICT` if the provider is already connected in the environment.
    pub async fn connect_integration(
        &self,
        environment_id: &str,
        provider: IntegrationProvider,
        key: NewKey,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Integration, ApiKey), StoreError> {
        self.write(move || {
            self.connect_integration_once(environment_id, provider, key.clone(), actor, now)
        })
        .await
    }

    async fn connect_integration_once(
        &self,
        environment_id: &str,
        provider: IntegrationProvider,
        key: NewKey,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Integration, ApiKey), StoreError> {
        let now = stored_instant(now);
        let txn = self.begin_write().await?;
        let id = new_id();
        integration::Entity::insert(integration::ActiveModel {
            id: Set(id.clone()),
            environment_id: Set(environment_id.to_owned()),
            provider: Set(provider.spec().code.to_owned()),
            connected_at: Set(now),
            disconnected_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| StoreError::conflict_on_unique(e, "this provider is already connected"))?;
        let key = NewKey {
            integration_id: Some(id.clone()),
            ..key
        };
        let created = insert_key(&txn, environment_id, key, actor, now).await?;
        let after = KeySnapshot {
            name: Some(created.name.clone()),
            scopes: Some(created.scopes.to_strings()),
            ..KeySnapshot::default()
        };
        audit::insert(
            &txn,
            environment_id,
            NewAuditEvent {
                event_type: AuditEventType::KeyCreated,
                api_key_id: Some(created.id.clone()),
                actor: actor.clone(),
                before: KeySnapshot::default(),
                after,
                related_key_id: None,
            },
            now,
        )
        .await?;
        let provider_code = Some(provider.spec().code.to_owned());
        let after = KeySnapshot {
            integration: provider_code,
            ..KeySnapshot::default()
        };
        audit::insert_settings_event(
            &txn,
            environment_id,
            AuditEventType::IntegrationConnected,
            actor,
            (KeySnapshot::default(), after),
            now,
        )
        .await?;
        commit(txn).await?;
        let integration = Integration {
            id,
            environment_id: environment_id.to_owned(),
            provider,
            connected_at: now,
            disconnected_at: None,
        };
        Ok((integration, created))
    }

    /// Locks the integration, lets `decide` check it, marks it disconnected and revokes its
    /// usable keys, each with a `KEY_REVOKED` event. Answers the integration and the ids of the
    /// keys it revoked.
    pub async fn disconnect_integration<F>(
        &self,
        environment_id: &str,
        integration_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<(Integration, Vec<String>), StoreError>
    where
        F: Fn(&Integration) -> Result<(), RuleViolation> + Send + Sync,
    {
        let decide = &decide;
        self.write(move || {
            self.disconnect_integration_once(environment_id, integration_id, actor, now, decide)
        })
        .await
    }

    async fn disconnect_integration_once<F>(
        &self,
        environment_id: &str,
        integration_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<(Integration, Vec<String>), StoreError>
    where
        F: Fn(&Integration) -> Result<(), RuleViolation> + Send + Sync,
    {
        let now = stored_instant(now);
        let txn = self.begin_write().await?;
        let model = integration::Entity::find_by_id(integration_id.to_owned())
            .filter(integration::Column::EnvironmentId.eq(environment_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| RuleViolation::not_found("integration"))?;
        let provider_code = model.provider.clone();
        decide(&integration_from_model(model)?)?;
        let before = KeySnapshot {
            integration: Some(provider_code),
            ..KeySnapshot::default()
        };
        let model = integration::ActiveModel {
            id: Set(integration_id.to_owned()),
            disconnected_at: Set(Some(now)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        let keys = api_key::Entity::find()
            .filter(api_key::Column::IntegrationId.eq(integration_id))
            .filter(api_key::Column::RevokedAt.is_null())
            .lock_exclusive()
            .all(&txn)
            .await?;
        let revoked: Vec<String> = keys.iter().map(|k| k.id.clone()).collect();
        // Every key row is written before the first audit event takes the environment's event
        // sequence lock, which is always taken last.
        for key in &keys {
            api_key::ActiveModel {
                id: Set(key.id.clone()),
                revoked_at: Set(Some(now)),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            notify(&txn, &Change::Key(key.id.clone())).await?;
        }
        audit::insert_settings_event(
            &txn,
            environment_id,
            AuditEventType::IntegrationDisconnected,
            actor,
            (before, KeySnapshot::default()),
            now,
        )
        .await?;
        for key in keys {
            audit::insert(
                &txn,
                environment_id,
                NewAuditEvent {
                    event_type: AuditEventType::KeyRevoked,
                    api_key_id: Some(key.id),
                    actor: actor.clone(),
                    before: KeySnapshot::default(),
                    after: KeySnapshot::default(),
                    related_key_id: None,
                },
                now,
            )
            .await?;
        }
        commit(txn).await?;
        Ok((integration_from_model(model)?, revoked))
    }

    /// A page of the environment's integrations, connected and disconnected, newest first.
    pub async fn list_integrations(
        &self,
        environment_id: &str,
        page: &PageRequest<String>,
    ) -> Result<Page<Integration>, StoreError> {
        self.read(move || self.list_integrations_once(environment_id, page))
            .await
    }

    async fn list_integrations_once(
        &self,
        environment_id: &str,
        page: &PageRequest<String>,
    ) -> Result<Page<Integration>, StoreError> {
        let query = integration::Entity::find()
            .filter(integration::Column::EnvironmentId.eq(environment_id));
        let integrations = keyset(query, integration::Column::Id, page)
            .all(&self.db)
            .await?
            .into_iter()
            .map(integration_from_model)
            .collect::<Result<_, _>>()?;
        Ok(Page::from_overfetch(integrations, page))
    }

    /// One integration of the environment, connected or not.
    pub async fn integration(
        &self,
        environment_id: &str,
        integration_id: &str,
    ) -> Result<Option<Integration>, StoreError> {
        self.read(move || async move {
            integration::Entity::find_by_id(integration_id.to_owned())
                .filter(integration::Column::EnvironmentId.eq(environment_id))
                .one(&self.db)
                .await?
                .map(integration_from_model)
                .transpose()
        })
        .await
    }

    /// The integration's current key: the newest of its keys (rotation replaces it).
    pub async fn integration_key(
        &self,
        integration_id: &str,
    ) -> Result<Option<ApiKey>, StoreError> {
        self.read(move || self.integration_key_once(integration_id))
            .await
    }

    async fn integration_key_once(
        &self,
        integration_id: &str,
    ) -> Result<Option<ApiKey>, StoreError> {
        api_key::Entity::find()
            .filter(api_key::Column::IntegrationId.eq(integration_id))
            .order_by_desc(api_key::Column::Id)
            .limit(1)
            .one(&self.db)
            .await?
            .map(key_from_model)
            .transpose()
    }
}

fn integration_from_model(model: integration::Model) -> Result<Integration, StoreError> {
    let provider = IntegrationProvider::parse(&model.provider)
        .ok_or_else(|| StoreError::corrupt(format!("integration provider {:?}", model.provider)))?;
    Ok(Integration {
        id: model.id,
        environment_id: model.environment_id,
        provider,
        connected_at: model.connected_at,
        disconnected_at: model.disconnected_at,
    })
}
