//! Webhook endpoints: created, changed and deleted with their audit event (and so their
//! environment event) in one transaction. The signing secret is kept only sealed with the
//! data key, bound to its endpoint; the application layer seals and opens it.

mod delivery;

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::audit::{Actor, AuditEventType, KeySnapshot};
use keyplane_domain::webhook::{EventFilter, MAX_ENDPOINTS, WebhookEndpoint};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};

pub use delivery::{ClaimedDelivery, DeliveryOutcome};
pub(crate) use keyplane_domain::webhook::DeliveryStatus;

use crate::account::lock_environment;
use crate::entity::webhook_endpoint;
use crate::page::{Page, PageRequest, keyset};
use crate::{Store, StoreError, audit, commit, new_id, stored_instant};

/// A fresh endpoint id, made before the endpoint so its secret can be sealed bound to it.
pub fn new_webhook_endpoint_id() -> String {
    new_id()
}

/// An endpoint to create: its secret already sealed for `id`.
#[derive(Debug, Clone)]
pub struct NewWebhookEndpoint {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    pub events: EventFilter,
    pub sealed_secret: String,
}

/// A decided change of an endpoint: each field `None` keeps what it was.
#[derive(Debug, Clone, Default)]
pub struct WebhookEndpointChange {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub events: Option<EventFilter>,
    pub enabled: Option<bool>,
    /// A new secret, sealed for the endpoint: the old one stops signing at once.
    pub sealed_secret: Option<String>,
}

pub(crate) fn decode_event_types(text: &str) -> Result<EventFilter, StoreError> {
    let names: Vec<String> =
        serde_json::from_str(text).map_err(|_| StoreError::corrupt("webhook event types"))?;
    EventFilter::parse(&names).map_err(|_| StoreError::corrupt("webhook event types"))
}

fn encode_event_types(filter: &EventFilter) -> Result<String, StoreError> {
    serde_json::to_string(&filter.names()).map_err(|e| StoreError::corrupt(e.to_string()))
}

fn endpoint_from_model(model: webhook_endpoint::Model) -> Result<WebhookEndpoint, StoreError> {
    Ok(WebhookEndpoint {
        events: decode_event_types(&model.event_types)?,
        id: model.id,
        environment_id: model.environment_id,
        url: model.url,
        description: model.description,
        enabled: model.enabled,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

fn snapshot(endpoint: &WebhookEndpoint) -> KeySnapshot {
    KeySnapshot {
        webhook: Some(endpoint.snapshot()),
        ..KeySnapshot::default()
    }
}

impl Store {
    /// Creates an endpoint and its `WEBHOOK_ENDPOINT_CREATED` event; an environment holds at
    /// most [`MAX_ENDPOINTS`].
    pub async fn create_webhook_endpoint(
        &self,
        environment_id: &str,
        new: NewWebhookEndpoint,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint, StoreError> {
        let now = stored_instant(now);
        self.write(move || {
            let new = new.clone();
            async move {
                let txn = self.begin_write().await?;
                lock_environment(&txn, environment_id).await?;
                let count = webhook_endpoint::Entity::find()
                    .filter(webhook_endpoint::Column::EnvironmentId.eq(environment_id))
                    .count(&txn)
                    .await?;
                if count >= MAX_ENDPOINTS {
                    return Err(RuleViolation::conflict(format!(
                        "an environment has at most {MAX_ENDPOINTS} webhook endpoints"
                    ))
                    .into());
                }
                let model = webhook_endpoint::ActiveModel {
                    id: Set(new.id),
                    environment_id: Set(environment_id.to_owned()),
                    url: Set(new.url),
                    description: Set(new.description),
                    event_types: Set(encode_event_types(&new.events)?),
                    enabled: Set(true),
                    sealed_secret: Set(new.sealed_secret),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?;
                let endpoint = endpoint_from_model(model)?;
                audit::insert_settings_event(
                    &txn,
                    environment_id,
                    AuditEventType::WebhookEndpointCreated,
                    actor,
                    (KeySnapshot::default(), snapshot(&endpoint)),
                    now,
                )
                .await?;
                commit(txn).await?;
                Ok(endpoint)
            }
        })
        .await
    }

    /// Locks the endpoint, lets `decide` choose the change from its current state, and writes
    /// it with its `WEBHOOK_ENDPOINT_UPDATED` event.
    pub async fn change_webhook_endpoint<F>(
        &self,
        environment_id: &str,
        endpoint_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<WebhookEndpoint, StoreError>
    where
        F: Fn(&WebhookEndpoint) -> Result<WebhookEndpointChange, RuleViolation> + Send + Sync,
    {
        let now = stored_instant(now);
        let decide = &decide;
        self.write(move || async move {
            let txn = self.begin_write().await?;
            let current = webhook_endpoint::Entity::find_by_id(endpoint_id.to_owned())
                .filter(webhook_endpoint::Column::EnvironmentId.eq(environment_id))
                .lock_exclusive()
                .one(&txn)
                .await?
                .ok_or_else(|| RuleViolation::not_found("webhook endpoint"))?;
            let before = endpoint_from_model(current)?;
            let change = decide(&before)?;
            let rotated = change.sealed_secret.is_some();
            let mut model = webhook_endpoint::ActiveModel {
                id: Set(endpoint_id.to_owned()),
                updated_at: Set(now),
                ..Default::default()
            };
            if let Some(url) = change.url {
                model.url = Set(url);
            }
            if let Some(description) = change.description {
                model.description = Set(description);
            }
            if let Some(events) = &change.events {
                model.event_types = Set(encode_event_types(events)?);
            }
            if let Some(enabled) = change.enabled {
                model.enabled = Set(enabled);
            }
            if let Some(sealed) = change.sealed_secret {
                model.sealed_secret = Set(sealed);
            }
            let after = endpoint_from_model(model.update(&txn).await?)?;
            let mut after_snapshot = snapshot(&after);
            if let Some(webhook) = after_snapshot.webhook.as_mut() {
                webhook.secret_rotated = rotated;
            }
            audit::insert_settings_event(
                &txn,
                environment_id,
                AuditEventType::WebhookEndpointUpdated,
                actor,
                (snapshot(&before), after_snapshot),
                now,
            )
            .await?;
            commit(txn).await?;
            Ok(after)
        })
        .await
    }

    /// Deletes an endpoint with its deliveries and attempts, and writes
    /// `WEBHOOK_ENDPOINT_DELETED`.
    pub async fn delete_webhook_endpoint(
        &self,
        environment_id: &str,
        endpoint_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint, StoreError> {
        let now = stored_instant(now);
        self.write(move || async move {
            let txn = self.begin_write().await?;
            let current = webhook_endpoint::Entity::find_by_id(endpoint_id.to_owned())
                .filter(webhook_endpoint::Column::EnvironmentId.eq(environment_id))
                .lock_exclusive()
                .one(&txn)
                .await?
                .ok_or_else(|| RuleViolation::not_found("webhook endpoint"))?;
            let endpoint = endpoint_from_model(current)?;
            webhook_endpoint::Entity::delete_by_id(endpoint_id.to_owned())
                .exec(&txn)
                .await?;
            audit::insert_settings_event(
                &txn,
                environment_id,
                AuditEventType::WebhookEndpointDeleted,
                actor,
                (snapshot(&endpoint), KeySnapshot::default()),
                now,
            )
            .await?;
            commit(txn).await?;
            Ok(endpoint)
        })
        .await
    }

    /// A page of the environment's endpoints, newest first (there are at most
    /// [`MAX_ENDPOINTS`]).
    pub async fn webhook_endpoints(
        &self,
        environment_id: &str,
        page: &PageRequest<String>,
    ) -> Result<Page<WebhookEndpoint>, StoreError> {
        self.read(move || async move {
            let query = webhook_endpoint::Entity::find()
                .filter(webhook_endpoint::Column::EnvironmentId.eq(environment_id));
            let endpoints = keyset(query, webhook_endpoint::Column::Id, page)
                .all(&self.db)
                .await?
                .into_iter()
                .map(endpoint_from_model)
                .collect::<Result<_, _>>()?;
            Ok(Page::from_overfetch(endpoints, page))
        })
        .await
    }

    pub async fn webhook_endpoint(
        &self,
        environment_id: &str,
        endpoint_id: &str,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.read(move || async move {
            webhook_endpoint::Entity::find_by_id(endpoint_id.to_owned())
                .filter(webhook_endpoint::Column::EnvironmentId.eq(environment_id))
                .one(&self.db)
                .await?
                .map(endpoint_from_model)
                .transpose()
        })
        .await
    }
}
