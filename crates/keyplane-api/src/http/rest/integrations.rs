//! `/api/v1/integrations`: connecting a provider provisions its dedicated key (shown once);
//! disconnecting revokes it. The use cases are `/graphql`'s.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use keyplane_domain::integration::Integration as DomainIntegration;
use keyplane_service::{Principal, integrations};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::common::{answered, created};
use super::doc::Refusals;
use super::input::{JsonBody, PathId, QueryParams};
use super::list::{List, PageParameters, PageQuery};
use super::types::ApiKey;
use crate::error::ApiError;
use crate::schema::enums::IntegrationProvider;

/// A connected (or formerly connected) third-party integration.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Integration {
    id: String,
    provider: IntegrationProvider,
    #[schema(example = "Salesforce")]
    display_name: String,
    /// The fixed scopes of the integration's key.
    scopes: Vec<String>,
    connected: bool,
    connected_at: DateTime<Utc>,
    disconnected_at: Option<DateTime<Utc>>,
}

impl From<DomainIntegration> for Integration {
    fn from(integration: DomainIntegration) -> Self {
        Self {
            provider: integration.provider.into(),
            display_name: integration.provider.spec().display_name.to_owned(),
            scopes: integration.provider.scopes().to_strings(),
            connected: integration.disconnected_at.is_none(),
            id: integration.id,
            connected_at: integration.connected_at,
            disconnected_at: integration.disconnected_at,
        }
    }
}

/// Lists the environment's integrations, connected or not, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/integrations",
    operation_id = "listIntegrations",
    tag = "Integrations",
    params(PageQuery),
    responses((status = 200, description = "A page of integrations.", body = List<Integration>), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn list_integrations(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    QueryParams(query): QueryParams<PageParameters>,
) -> Response {
    let result = async {
        let page = query.page()?.id_page()?;
        let found = integrations::list(&state.services, &principal, &page).await?;
        Ok(List::of(found, &page, |i| i.id.clone(), Integration::from))
    }
    .await;
    answered(StatusCode::OK, result)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ConnectIntegration {
    provider: IntegrationProvider,
}

/// A provider just connected, with its dedicated key's secret: shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConnectedIntegration {
    integration: Integration,
    api_key: ApiKey,
    /// The integration key's secret: give it to the provider. Keyplane keeps only its hash.
    secret: String,
}

/// Connects a provider: provisions its dedicated key with the provider's fixed scopes, which
/// the caller must hold itself.
#[utoipa::path(
    post,
    path = "/api/v1/integrations",
    operation_id = "connectIntegration",
    tag = "Integrations",
    request_body = ConnectIntegration,
    responses(
        (
            status = 201,
            description = "The integration, its key, and the key's secret (shown once).",
            body = ConnectedIntegration,
            headers(("Location" = String, description = "The new integration's URL."))
        ),
        Refusals
    ),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn connect_integration(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<ConnectIntegration>,
) -> Response {
    let services = &state.services;
    let result = integrations::connect(services, &principal, body.provider.into())
        .await
        .map(|connected| ConnectedIntegration {
            integration: connected.integration.into(),
            api_key: ApiKey::of(connected.key, Utc::now(), services.settings.expiring_soon),
            secret: connected.secret.expose().to_owned(),
        })
        .map_err(ApiError::from);
    created(result, |connected| {
        format!("/api/v1/integrations/{}", connected.integration.id)
    })
}

/// Reads one integration of the caller's environment; `NOT_FOUND` for any other.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{id}",
    operation_id = "getIntegration",
    tag = "Integrations",
    params(("id" = String, Path, description = "The integration's id.")),
    responses((status = 200, description = "The integration.", body = Integration), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn get_integration(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = integrations::get(&state.services, &principal, &id)
        .await
        .map(Integration::from)
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

/// Disconnects an integration and revokes its key.
#[utoipa::path(
    post,
    path = "/api/v1/integrations/{id}/disconnect",
    operation_id = "disconnectIntegration",
    tag = "Integrations",
    params(("id" = String, Path, description = "The integration's id.")),
    responses((status = 200, description = "The integration, disconnected.", body = Integration), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn disconnect_integration(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = integrations::disconnect(&state.services, &principal, &id)
        .await
        .map(Integration::from)
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}
