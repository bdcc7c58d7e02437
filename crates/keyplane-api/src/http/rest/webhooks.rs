//! `/api/v1/webhook-endpoints` and `/api/v1/webhook-deliveries`: where the environment's
//! events are sent, each endpoint with its own signing secret (shown once), and the deliveries
//! to it. Full access manages endpoints; `api_keys:read` reads them. The use cases are
//! `/graphql`'s.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use keyplane_domain::webhook::{
    WebhookDelivery as DomainDelivery, WebhookEndpoint as DomainEndpoint,
};
use keyplane_service::Principal;
use keyplane_service::webhooks::{self, EndpointUpdate, EndpointWithSecret};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::common::answered;
use super::common::{created, no_content};
use super::doc::Refusals;
use super::input::{JsonBody, PathId, QueryParams};
use super::list::{List, PageParameters, PageQuery};
use super::types::{Patch, not_null};
use crate::error::ApiError;
use crate::schema::enums::WebhookDeliveryStatus;

/// Where Keyplane sends the environment's events. Its signing secret is never readable here.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct WebhookEndpoint {
    id: String,
    #[schema(example = "https://example.com/keyplane-events")]
    url: String,
    description: Option<String>,
    /// The event types it receives (`key.revoked`, …), or `["*"]` for all.
    #[schema(example = json!(["key.created", "key.revoked"]))]
    events: Vec<String>,
    /// A disabled endpoint gets no new deliveries; those already queued are still sent.
    enabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<DomainEndpoint> for WebhookEndpoint {
    fn from(endpoint: DomainEndpoint) -> Self {
        Self {
            events: endpoint.events.names(),
            id: endpoint.id,
            url: endpoint.url,
            description: endpoint.description,
            enabled: endpoint.enabled,
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

/// An endpoint with its signing secret (`whsec_…`): shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct WebhookEndpointWithSecret {
    endpoint: WebhookEndpoint,
    /// Verifies the `webhook-signature` of every delivery. Keyplane keeps it sealed.
    #[schema(example = "whsec_…")]
    signing_secret: String,
}

impl From<EndpointWithSecret> for WebhookEndpointWithSecret {
    fn from(created: EndpointWithSecret) -> Self {
        Self {
            signing_secret: created.secret.expose(),
            endpoint: created.endpoint.into(),
        }
    }
}

/// Lists the environment's webhook endpoints (at most 20), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/webhook-endpoints",
    operation_id = "listWebhookEndpoints",
    tag = "Webhooks",
    params(PageQuery),
    responses((status = 200, description = "A page of endpoints.", body = List<WebhookEndpoint>), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn list_webhook_endpoints(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    QueryParams(query): QueryParams<PageParameters>,
) -> Response {
    let result = async {
        let page = query.page()?.id_page()?;
        let found = webhooks::list(&state.services, &principal, &page).await?;
        Ok(List::of(
            found,
            &page,
            |e| e.id.clone(),
            WebhookEndpoint::from,
        ))
    }
    .await;
    answered(StatusCode::OK, result)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CreateWebhookEndpoint {
    /// `https://…` (or `http://`). Private, loopback and link-local destinations are refused
    /// unless the operator runs Keyplane with `--webhook-allow-private`.
    #[schema(example = "https://example.com/keyplane-events")]
    url: String,
    description: Option<String>,
    /// Event types (`key.created`, `key.revoked`, …) or `["*"]` for all.
    #[schema(example = json!(["*"]))]
    events: Vec<String>,
}

/// Adds an endpoint that receives the environment's events from now on. Full access only.
#[utoipa::path(
    post,
    path = "/api/v1/webhook-endpoints",
    operation_id = "createWebhookEndpoint",
    tag = "Webhooks",
    request_body = CreateWebhookEndpoint,
    responses(
        (
            status = 201,
            description = "The endpoint and its signing secret (shown once).",
            body = WebhookEndpointWithSecret,
            headers(("Location" = String, description = "The new endpoint's URL."))
        ),
        Refusals
    ),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn create_webhook_endpoint(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<CreateWebhookEndpoint>,
) -> Response {
    let result = webhooks::create(
        &state.services,
        &principal,
        &body.url,
        body.description.as_deref(),
        &body.events,
    )
    .await
    .map(WebhookEndpointWithSecret::from)
    .map_err(ApiError::from);
    created(result, |created| {
        format!("/api/v1/webhook-endpoints/{}", created.endpoint.id)
    })
}

/// Reads one endpoint of the caller's environment; `NOT_FOUND` for any other.
#[utoipa::path(
    get,
    path = "/api/v1/webhook-endpoints/{id}",
    operation_id = "getWebhookEndpoint",
    tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's id.")),
    responses((status = 200, description = "The endpoint.", body = WebhookEndpoint), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn get_webhook_endpoint(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = webhooks::get(&state.services, &principal, &id)
        .await
        .map(WebhookEndpoint::from)
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

/// What a PATCH changes: an omitted field stays as it is; `description: null` clears it;
/// `enabled: false` stops new deliveries.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct UpdateWebhookEndpoint {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    url: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Patch<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    enabled: Option<bool>,
}

/// Changes an endpoint's URL, description, events or enabled state, all or nothing. Full
/// access only.
#[utoipa::path(
    patch,
    path = "/api/v1/webhook-endpoints/{id}",
    operation_id = "updateWebhookEndpoint",
    tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's id.")),
    request_body = UpdateWebhookEndpoint,
    responses((status = 200, description = "The endpoint as changed.", body = WebhookEndpoint), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn update_webhook_endpoint(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
    JsonBody(body): JsonBody<UpdateWebhookEndpoint>,
) -> Response {
    let update = EndpointUpdate {
        url: body.url.as_deref(),
        description: body
            .description
            .as_ref()
            .change()
            .map(|d| d.map(String::as_str)),
        events: body.events.as_deref(),
        enabled: body.enabled,
    };
    let result = webhooks::update(&state.services, &principal, &id, update)
        .await
        .map(WebhookEndpoint::from)
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

/// Issues a new signing secret, shown once; the old one stops signing at once. Full access
/// only.
#[utoipa::path(
    post,
    path = "/api/v1/webhook-endpoints/{id}/rotate-secret",
    operation_id = "rotateWebhookSecret",
    tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's id.")),
    responses((status = 200, description = "The endpoint and its new signing secret (shown once).", body = WebhookEndpointWithSecret), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn rotate_webhook_secret(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = webhooks::rotate_secret(&state.services, &principal, &id)
        .await
        .map(WebhookEndpointWithSecret::from)
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

/// Deletes the endpoint with its queued deliveries and their history. Full access only.
#[utoipa::path(
    delete,
    path = "/api/v1/webhook-endpoints/{id}",
    operation_id = "deleteWebhookEndpoint",
    tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's id.")),
    responses((status = 204, description = "Deleted."), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn delete_webhook_endpoint(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    no_content(
        webhooks::delete(&state.services, &principal, &id)
            .await
            .map_err(ApiError::from),
    )
}

/// One event on its way to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct WebhookDelivery {
    /// Also its list cursor.
    id: String,
    endpoint_id: String,
    /// The message id receivers see as `webhook-id`, the same on every attempt.
    #[schema(example = "evt_42")]
    message_id: String,
    #[schema(example = "key.revoked")]
    event_type: String,
    /// The event's place in its environment's sequence.
    seq: i64,
    /// The body sent.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    status: WebhookDeliveryStatus,
    attempt_count: u32,
    /// When a pending delivery is tried next; null otherwise.
    next_attempt_at: Option<DateTime<Utc>>,
    /// After this, a failing delivery is given up (and can still be replayed).
    give_up_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl From<DomainDelivery> for WebhookDelivery {
    fn from(delivery: DomainDelivery) -> Self {
        Self {
            id: delivery.id.to_string(),
            message_id: delivery.event.message_id(),
            event_type: delivery.event.event_type.as_str().to_owned(),
            seq: delivery.event.seq,
            payload: delivery.event.body(),
            status: delivery.status.into(),
            attempt_count: delivery.attempts,
            next_attempt_at: delivery.next_attempt(),
            give_up_at: delivery.give_up_at,
            created_at: delivery.created_at,
            completed_at: delivery.completed_at,
            endpoint_id: delivery.endpoint_id,
        }
    }
}

/// Lists an endpoint's deliveries, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/webhook-endpoints/{id}/deliveries",
    operation_id = "listWebhookDeliveries",
    tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's id."), PageQuery),
    responses((status = 200, description = "A page of the endpoint's deliveries.", body = List<WebhookDelivery>), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn list_webhook_deliveries(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<PageParameters>,
) -> Response {
    let result = async {
        let page = query.page()?.sequence_page()?;
        let found = webhooks::deliveries(&state.services, &principal, &id, &page).await?;
        Ok(List::of(
            found,
            &page,
            |d| d.id.to_string(),
            WebhookDelivery::from,
        ))
    }
    .await;
    answered(StatusCode::OK, result)
}

/// Sends a delivery again, whatever became of it, with a fresh 24-hour retry window. Full
/// access only.
#[utoipa::path(
    post,
    path = "/api/v1/webhook-deliveries/{id}/replay",
    operation_id = "replayWebhookDelivery",
    tag = "Webhooks",
    params(("id" = String, Path, description = "The delivery's id.")),
    responses((status = 200, description = "The delivery, pending again.", body = WebhookDelivery), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn replay_webhook_delivery(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = webhooks::replay(&state.services, &principal, &id)
        .await
        .map(WebhookDelivery::from)
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}
