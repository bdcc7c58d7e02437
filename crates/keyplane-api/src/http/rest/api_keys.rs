//! `/api/v1/api-keys`: making, reading and changing a key. Each handler translates its input,
//! calls the use case `/graphql`'s resolver calls, and shapes the answer. The list is in
//! `key_listing`, the lifecycle's actions in `key_actions`, bulk revocation in `bulk_revoke`.

use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use keyplane_domain::lifecycle::{CreateKeyRequest, SettingsRequest};
use keyplane_service::keys::{self, KeyUpdate, ScopesRequest};
use keyplane_service::{Principal, Services};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::common::answered;
use super::doc::Refusals;
use super::input::{JsonBody, PathId};
use super::types::{ApiKey, Patch, Quota, RateLimit, not_null};
use crate::error::ApiError;
use crate::schema::enums::ScopePreset;

/// A key as REST shows it, its status as of now.
pub(super) fn key(services: &Services, key: keyplane_domain::key::ApiKey) -> ApiKey {
    ApiKey::of(key, Utc::now(), services.settings.expiring_soon)
}

/// Exactly one of `scopes` or `preset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CreateApiKey {
    #[schema(example = "billing-service")]
    name: String,
    description: Option<String>,
    #[schema(example = json!(["customers:read", "subscriptions:write"]))]
    scopes: Option<Vec<String>>,
    preset: Option<ScopePreset>,
    /// In the future, at most one year out.
    expires_at: Option<DateTime<Utc>>,
    /// Restrict the key to these customers (1 to 100 ids).
    customer_ids: Option<Vec<String>>,
    rate_limit: Option<RateLimit>,
    /// A JSON object of at most 4 KB, answered with every verification of the key.
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    /// The platform's own id for the key's owner: 1 to 255 characters.
    external_id: Option<String>,
    /// 1 to 100 IPv4 or IPv6 addresses or CIDR ranges; omitted or null for any address.
    allowed_ips: Option<Vec<String>>,
    quota: Option<Quota>,
}

/// A key just made, and its secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatedApiKey {
    api_key: ApiKey,
    /// The full secret. Keyplane keeps only its hash.
    #[schema(example = "server-…")]
    secret: String,
}

/// Creates a scoped key (SCALE plan) with scopes the caller holds itself.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys",
    operation_id = "createApiKey",
    tag = "API keys",
    request_body = CreateApiKey,
    responses(
        (
            status = 201,
            description = "The key, and its secret (shown once).",
            body = CreatedApiKey,
            headers(("Location" = String, description = "The new key's URL."))
        ),
        Refusals
    ),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn create_api_key(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<CreateApiKey>,
) -> Response {
    let result = async {
        let request = CreateKeyRequest {
            name: &body.name,
            description: body.description.as_deref(),
            scopes: body.scopes.as_deref(),
            preset: body.preset.map(Into::into),
            expires_at: body.expires_at,
            customer_ids: body.customer_ids.as_deref(),
            rate_limit: body.rate_limit.map(|l| l.parse("rateLimit")).transpose()?,
            metadata: body.metadata.as_ref(),
            external_id: body.external_id.as_deref(),
            allowed_ips: body.allowed_ips.as_deref(),
            quota: body.quota.map(Quota::parse).transpose()?,
        };
        let created = keys::create(&state.services, &principal, request).await?;
        Ok(CreatedApiKey {
            api_key: key(&state.services, created.key),
            secret: created.secret.expose().to_owned(),
        })
    }
    .await;
    let location = result.as_ref().ok().and_then(|created| {
        HeaderValue::from_str(&format!("/api/v1/api-keys/{}", created.api_key.id)).ok()
    });
    let mut response = answered(StatusCode::CREATED, result);
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Reads one key of the caller's environment; `NOT_FOUND` for a key of any other.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys/{id}",
    operation_id = "getApiKey",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id.")),
    responses((status = 200, description = "The key.", body = ApiKey), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn get_api_key(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = keys::get(&state.services, &principal, &id)
        .await
        .map(|k| key(&state.services, k))
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

/// What a PATCH changes. An omitted field stays as it is; `null` clears `description`,
/// `customerIds`, `rateLimit`, `metadata`, `externalId`, `allowedIps` or `quota`. `scopes` or
/// `preset` re-scope the key; `expiresAt` moves its expiration. All of it in one transaction:
/// everything named changes, or nothing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(min_properties = 1)]
pub(super) struct UpdateApiKey {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    customer_ids: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<RateLimit>)]
    rate_limit: Patch<RateLimit>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    metadata: Patch<serde_json::Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    external_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    allowed_ips: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Quota>)]
    quota: Patch<Quota>,
    /// The key's new scopes (not with `preset`).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    scopes: Option<Vec<String>>,
    /// The key's new scopes as a preset (not with `scopes`).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    preset: Option<ScopePreset>,
    /// A new expiration for a key that has one: in the future, at most one year out.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    expires_at: Option<DateTime<Utc>>,
}

impl UpdateApiKey {
    fn names_settings(&self) -> bool {
        self.name.is_some()
            || !matches!(self.description, Patch::Absent)
            || !matches!(self.customer_ids, Patch::Absent)
            || !matches!(self.rate_limit, Patch::Absent)
            || !matches!(self.metadata, Patch::Absent)
            || !matches!(self.external_id, Patch::Absent)
            || !matches!(self.allowed_ips, Patch::Absent)
            || !matches!(self.quota, Patch::Absent)
    }
}

/// Changes a key's settings, scopes and expiration: whatever the body names, all or nothing.
#[utoipa::path(
    patch,
    path = "/api/v1/api-keys/{id}",
    operation_id = "updateApiKey",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id.")),
    request_body = UpdateApiKey,
    responses((status = 200, description = "The key as changed.", body = ApiKey), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn update_api_key(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
    JsonBody(body): JsonBody<UpdateApiKey>,
) -> Response {
    let result = async {
        let names_settings = body.names_settings();
        let rate_limit = match body.rate_limit.change() {
            None => None,
            Some(None) => Some(None),
            Some(Some(limit)) => Some(Some(limit.parse("rateLimit")?)),
        };
        let quota = match body.quota.change() {
            None => None,
            Some(None) => Some(None),
            Some(Some(quota)) => Some(Some(quota.parse()?)),
        };
        let settings = names_settings.then(|| SettingsRequest {
            name: body.name.as_deref(),
            description: body
                .description
                .as_ref()
                .change()
                .map(|d| d.map(String::as_str)),
            customer_ids: body
                .customer_ids
                .as_ref()
                .change()
                .map(|c| c.map(Vec::as_slice)),
            rate_limit,
            metadata: body.metadata.as_ref().change(),
            external_id: body
                .external_id
                .as_ref()
                .change()
                .map(|e| e.map(String::as_str)),
            allowed_ips: body
                .allowed_ips
                .as_ref()
                .change()
                .map(|a| a.map(Vec::as_slice)),
            quota,
        });
        let scopes = (body.scopes.is_some() || body.preset.is_some()).then(|| ScopesRequest {
            scopes: body.scopes.as_deref(),
            preset: body.preset.map(Into::into),
        });
        let update = KeyUpdate {
            settings,
            scopes,
            expires_at: body.expires_at,
        };
        let changed = keys::update(&state.services, &principal, &id, update).await?;
        Ok(key(&state.services, changed))
    }
    .await;
    answered(StatusCode::OK, result)
}
