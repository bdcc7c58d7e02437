//! The key lifecycle's actions: rotate, revoke, disable, enable, reveal.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use keyplane_domain::rotation::RotationExpiry;
use keyplane_service::Principal;
use keyplane_service::keys::{self};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::common::answered;
use super::doc::Refusals;
use super::input::{JsonBody, PathId};
use super::types::{ApiKey, not_null};
use crate::error::ApiError;
use crate::schema::enums::GracePeriod;

use super::api_keys::key;

/// Exactly one of `gracePeriod` or `expiresAt` (at most one year out): when the old secret
/// stops working.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 1)]
pub(super) struct RotateApiKey {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    grace_period: Option<GracePeriod>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    expires_at: Option<DateTime<Utc>>,
}

/// A rotation's outcome.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct RotatedApiKey {
    /// The new key.
    api_key: ApiKey,
    /// The new key's secret. Shown this once.
    secret: String,
    /// The old key, now expiring at the end of its grace period.
    previous_key: ApiKey,
}

/// Issues a new secret for a key; the old one keeps working until its grace period ends.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys/{id}/rotate",
    operation_id = "rotateApiKey",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id.")),
    request_body = RotateApiKey,
    responses(
        (status = 200, description = "The new key and its secret, and the old key.", body = RotatedApiKey),
        Refusals
    ),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn rotate_api_key(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
    JsonBody(body): JsonBody<RotateApiKey>,
) -> Response {
    let result = async {
        let expiry =
            RotationExpiry::from_input(body.grace_period.map(Into::into), body.expires_at)?;
        let rotated = keys::rotate(&state.services, &principal, &id, expiry).await?;
        Ok(RotatedApiKey {
            api_key: key(&state.services, rotated.key),
            secret: rotated.secret.expose().to_owned(),
            previous_key: key(&state.services, rotated.previous),
        })
    }
    .await;
    answered(StatusCode::OK, result)
}

/// Revokes a key at once and for good. Default keys must be rotated first.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys/{id}/revoke",
    operation_id = "revokeApiKey",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id.")),
    responses((status = 200, description = "The revoked key.", body = ApiKey), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn revoke_api_key(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = keys::revoke(&state.services, &principal, &id)
        .await
        .map(|k| key(&state.services, k))
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct DisableApiKey {
    /// Why, in 1 to 500 characters: written to the audit trail and shown on the key.
    #[schema(example = "suspected leak, investigating")]
    reason: String,
}

/// Switches a key off until it is enabled: meanwhile it is refused like a revoked key.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys/{id}/disable",
    operation_id = "disableApiKey",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id.")),
    request_body = DisableApiKey,
    responses((status = 200, description = "The disabled key.", body = ApiKey), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn disable_api_key(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
    JsonBody(body): JsonBody<DisableApiKey>,
) -> Response {
    let result = keys::disable(&state.services, &principal, &id, &body.reason)
        .await
        .map(|k| key(&state.services, k))
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

/// Switches a disabled key back on.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys/{id}/enable",
    operation_id = "enableApiKey",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id.")),
    responses((status = 200, description = "The enabled key.", body = ApiKey), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn enable_api_key(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = keys::enable(&state.services, &principal, &id)
        .await
        .map(|k| key(&state.services, k))
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

/// A recoverable key's full secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct RevealedApiKey {
    api_key: ApiKey,
    secret: String,
}

/// Reveals a recoverable key's secret: owners and members only, of a key their role may
/// manage, written to the audit trail (`KEY_REVEALED`) before it is answered.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys/{id}/reveal",
    operation_id = "revealApiKey",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id.")),
    responses((status = 200, description = "The key and its secret.", body = RevealedApiKey), Refusals),
    // A key is refused with 403: only people reveal.
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn reveal_api_key(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
) -> Response {
    let result = keys::reveal(&state.services, &principal, &id)
        .await
        .map(|(k, secret)| RevealedApiKey {
            api_key: key(&state.services, k),
            secret: secret.expose().to_owned(),
        })
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}
