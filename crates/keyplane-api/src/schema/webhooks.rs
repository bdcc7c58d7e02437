//! Webhook endpoints, their deliveries and attempts, and the mutations that manage them.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::webhook::{WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSnapshot};
use keyplane_service::webhooks::{self, EndpointUpdate, EndpointWithSecret};

use super::connection::{PageInfo, audit_page, connection_complexity, id_page};
use super::context::{principal, services};
use super::enums;
use super::types::edges;
use crate::error::ApiError;

/// Where Keyplane sends an environment's events, signed with the endpoint's own secret.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "WebhookEndpoint", complex)]
pub struct WebhookEndpointNode {
    pub id: ID,
    pub url: String,
    pub description: Option<String>,
    /// The event types it receives (`key.revoked`, …), or `["*"]` for all.
    pub events: Vec<String>,
    /// A disabled endpoint gets no new deliveries; those already queued are still sent.
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookEndpoint> for WebhookEndpointNode {
    fn from(e: WebhookEndpoint) -> Self {
        Self {
            id: ID(e.id),
            url: e.url,
            description: e.description,
            events: e.events.names(),
            enabled: e.enabled,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[ComplexObject]
impl WebhookEndpointNode {
    /// Its deliveries, newest first.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<WebhookDeliveryConnection, ApiError> {
        let page = audit_page(first, after)?;
        let found = webhooks::deliveries(services(ctx)?, principal(ctx)?, &self.id, &page).await?;
        let end_cursor = found.items.last().map(|d| d.id.to_string());
        Ok(WebhookDeliveryConnection {
            nodes: found.items.into_iter().map(WebhookDeliveryNode).collect(),
            page_info: PageInfo {
                has_next_page: found.has_more,
                end_cursor,
            },
        })
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct WebhookEndpointEdge {
    pub cursor: String,
    pub node: WebhookEndpointNode,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct WebhookEndpointConnection {
    pub edges: Vec<WebhookEndpointEdge>,
    pub page_info: PageInfo,
}

/// An endpoint as an audit event shows it.
#[derive(SimpleObject, Debug, Clone)]
pub struct WebhookEndpointState {
    pub id: ID,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Set on the event that rotated the signing secret.
    pub secret_rotated: bool,
}

impl From<WebhookSnapshot> for WebhookEndpointState {
    fn from(s: WebhookSnapshot) -> Self {
        Self {
            id: ID(s.id),
            url: s.url,
            events: s.events,
            enabled: s.enabled,
            secret_rotated: s.secret_rotated,
        }
    }
}

#[derive(SimpleObject, Debug)]
pub struct WebhookDeliveryConnection {
    pub nodes: Vec<WebhookDeliveryNode>,
    pub page_info: PageInfo,
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone)]
pub struct WebhookDeliveryNode(WebhookDelivery);

#[Object(name = "WebhookDelivery")]
impl WebhookDeliveryNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The message id receivers see as `webhook-id`, the same on every attempt.
    async fn message_id(&self) -> String {
        self.0.event.message_id()
    }

    async fn event_type(&self) -> &str {
        self.0.event.event_type.as_str()
    }

    /// The event's place in its environment's sequence.
    async fn seq(&self) -> i64 {
        self.0.event.seq
    }

    /// The body sent, as JSON.
    async fn payload(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.event.body())
    }

    async fn status(&self) -> enums::WebhookDeliveryStatus {
        self.0.status.into()
    }

    async fn attempt_count(&self) -> u32 {
        self.0.attempts
    }

    /// When a pending delivery is tried next.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt()
    }

    /// After this, a failing delivery is given up (and can still be replayed).
    async fn give_up_at(&self) -> DateTime<Utc> {
        self.0.give_up_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }

    /// Every attempt, oldest first.
    #[graphql(complexity = "10 * child_complexity")]
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<WebhookAttemptNode>, ApiError> {
        let attempts = webhooks::attempts(services(ctx)?, principal(ctx)?, &self.0).await?;
        Ok(attempts.into_iter().map(Into::into).collect())
    }
}

/// One try at a delivery.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "WebhookAttempt")]
pub struct WebhookAttemptNode {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; null when none came (refused, timed out, not allowed).
    pub status_code: Option<u16>,
    pub duration_ms: u32,
    /// The start of the receiver's answer (up to 1,000 bytes).
    pub response_excerpt: Option<String>,
    /// Why no answer came.
    pub error: Option<String>,
    pub succeeded: bool,
}

impl From<WebhookAttempt> for WebhookAttemptNode {
    fn from(a: WebhookAttempt) -> Self {
        Self {
            succeeded: a.succeeded(),
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            response_excerpt: a.response_excerpt,
            error: a.error,
        }
    }
}

/// An endpoint with its signing secret (`whsec_…`), shown this once.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpointNode,
    pub signing_secret: String,
}

impl From<EndpointWithSecret> for WebhookEndpointWithSecret {
    fn from(e: EndpointWithSecret) -> Self {
        Self {
            signing_secret: e.secret.expose(),
            endpoint: e.endpoint.into(),
        }
    }
}

#[derive(InputObject, Debug)]
pub struct CreateWebhookEndpointInput {
    /// `https://…` (or `http://`). Private, loopback and link-local destinations are refused
    /// unless the operator runs Keyplane with `--webhook-allow-private`.
    pub url: String,
    pub description: Option<String>,
    /// Event types (`key.created`, `key.revoked`, …) or `["*"]` for all.
    pub events: Vec<String>,
}

/// Fields left out keep their value; `description: null` clears it.
#[derive(InputObject, Debug)]
pub struct UpdateWebhookEndpointInput {
    pub id: ID,
    pub url: Option<String>,
    pub description: async_graphql::MaybeUndefined<String>,
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Default)]
pub struct WebhookQueries;

#[Object]
impl WebhookQueries {
    /// The environment's webhook endpoints (at most 20), newest first.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<WebhookEndpointConnection, ApiError> {
        let page = id_page(first, after)?;
        let found = webhooks::list(services(ctx)?, principal(ctx)?, &page).await?;
        let (edges, page_info) = edges(
            found,
            |endpoint| endpoint.id.clone(),
            |cursor, endpoint| WebhookEndpointEdge {
                cursor,
                node: endpoint.into(),
            },
        );
        Ok(WebhookEndpointConnection { edges, page_info })
    }

    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookEndpointNode, ApiError> {
        Ok(webhooks::get(services(ctx)?, principal(ctx)?, &id)
            .await?
            .into())
    }
}

#[derive(Debug, Default)]
pub struct WebhookMutations;

#[Object]
impl WebhookMutations {
    /// Adds an endpoint that receives the environment's events from now on. Full access only:
    /// an owner or the full-access key.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<WebhookEndpointWithSecret, ApiError> {
        let created = webhooks::create(
            services(ctx)?,
            principal(ctx)?,
            &input.url,
            input.description.as_deref(),
            &input.events,
        )
        .await?;
        Ok(created.into())
    }

    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> Result<WebhookEndpointNode, ApiError> {
        let description = match &input.description {
            async_graphql::MaybeUndefined::Undefined => None,
            async_graphql::MaybeUndefined::Null => Some(None),
            async_graphql::MaybeUndefined::Value(text) => Some(Some(text.as_str())),
        };
        let update = EndpointUpdate {
            url: input.url.as_deref(),
            description,
            events: input.events.as_deref(),
            enabled: input.enabled,
        };
        let endpoint = webhooks::update(services(ctx)?, principal(ctx)?, &input.id, update).await?;
        Ok(endpoint.into())
    }

    /// Stops new deliveries to the endpoint (those already queued are still sent).
    async fn disable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookEndpointNode, ApiError> {
        set_enabled(ctx, &id, false).await
    }

    async fn enable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookEndpointNode, ApiError> {
        set_enabled(ctx, &id, true).await
    }

    /// Issues a new signing secret, shown once; the old one stops signing at once.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookEndpointWithSecret, ApiError> {
        Ok(
            webhooks::rotate_secret(services(ctx)?, principal(ctx)?, &id)
                .await?
                .into(),
        )
    }

    /// Deletes the endpoint with its queued deliveries and their history.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookEndpointNode, ApiError> {
        Ok(webhooks::delete(services(ctx)?, principal(ctx)?, &id)
            .await?
            .into())
    }

    /// Sends a delivery again, whatever became of it, with a fresh 24-hour retry window.
    async fn replay_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookDeliveryNode, ApiError> {
        let delivery = webhooks::replay(services(ctx)?, principal(ctx)?, &id).await?;
        Ok(WebhookDeliveryNode(delivery))
    }
}

async fn set_enabled(
    ctx: &Context<'_>,
    id: &str,
    enabled: bool,
) -> Result<WebhookEndpointNode, ApiError> {
    let update = EndpointUpdate {
        enabled: Some(enabled),
        ..EndpointUpdate::default()
    };
    Ok(
        webhooks::update(services(ctx)?, principal(ctx)?, id, update)
            .await?
            .into(),
    )
}
