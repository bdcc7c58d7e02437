//! `/api/v1/api-keys`: the key lifecycle. Each handler translates its input, calls the use case
//! `/graphql`'s resolver calls, and shapes the answer.

use std::collections::BTreeMap;
use std::ops::Bound;

use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use keyplane_domain::lifecycle::{CreateKeyRequest, SettingsRequest};
use keyplane_domain::rotation::RotationExpiry;
use keyplane_service::keys::{self, KeyQuery, KeyQueryNames, KeyUpdate, ScopesRequest};
use keyplane_service::{Principal, Services};
use keyplane_store::{KeyFilter, TimeRange};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::AppState;
use super::super::response::{api_error_response, no_store};
use super::doc::Refusals;
use super::input::{JsonBody, PathId, QueryParams, enum_list, instant};
use super::list::{List, PageQuery};
use super::types::{ApiKey, Patch, Quota, RateLimit};
use crate::error::ApiError;
use crate::schema::enums::{ApiKeyKind, ApiKeyStatus, ApiKeyType, GracePeriod, ScopePreset};

/// A JSON answer with `status`; never cached (it may carry a secret shown once).
pub(super) fn answer<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    no_store(&mut response);
    response
}

/// The answer of a use case, or its error with the status of its code.
pub(super) fn answered<T: Serialize>(status: StatusCode, result: Result<T, ApiError>) -> Response {
    match result {
        Ok(body) => answer(status, &body),
        Err(err) => api_error_response(&err),
    }
}

fn key(services: &Services, key: keyplane_domain::key::ApiKey) -> ApiKey {
    ApiKey::of(key, Utc::now(), services.settings.expiring_soon)
}

/// Filters of `GET /api/v1/api-keys`; they combine with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListApiKeysQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQueryFields,
    /// `DEFAULT` or `SCOPED`, comma-separated for several.
    #[param(example = "SCOPED")]
    kind: Option<String>,
    /// `FULL_ACCESS`, `PUBLISHABLE`, `SCOPED`, `INTEGRATION`, comma-separated for several.
    #[serde(rename = "type")]
    #[param(rename = "type", example = "SCOPED")]
    key_type: Option<String>,
    /// `ACTIVE`, `EXPIRING_SOON`, `EXPIRED`, `REVOKED`, `DISABLED`, comma-separated.
    #[param(example = "ACTIVE,EXPIRING_SOON")]
    status: Option<String>,
    /// A case-insensitive fragment of the key's name (at most 100 characters).
    name: Option<String>,
    /// Exactly this external id.
    #[serde(rename = "externalId")]
    #[param(rename = "externalId")]
    external_id: Option<String>,
    /// Keys created at or after this time.
    #[serde(rename = "createdAt[gte]")]
    #[param(rename = "createdAt[gte]", example = "2026-01-01T00:00:00Z")]
    created_gte: Option<String>,
    /// Keys created after this time.
    #[serde(rename = "createdAt[gt]")]
    #[param(rename = "createdAt[gt]")]
    created_gt: Option<String>,
    /// Keys created at or before this time.
    #[serde(rename = "createdAt[lte]")]
    #[param(rename = "createdAt[lte]")]
    created_lte: Option<String>,
    /// Keys created before this time.
    #[serde(rename = "createdAt[lt]")]
    #[param(rename = "createdAt[lt]")]
    created_lt: Option<String>,
    /// `metadata[<key>]=<value>`: keys whose metadata holds this string under this key
    /// (one pair).
    #[serde(flatten)]
    #[param(ignore)]
    metadata: BTreeMap<String, String>,
}

/// The page parameters as fields of a flattened query (serde cannot deny unknown fields
/// across a flatten, so unknown names land in `metadata` and are refused there).
#[derive(Debug, Default, Deserialize)]
struct PageQueryFields {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
}

const FILTER_NAMES: KeyQueryNames = KeyQueryNames {
    name_contains: "name",
    external_id: "externalId",
    metadata: "metadata",
};

impl ListApiKeysQuery {
    fn page(&self) -> Result<PageQuery, ApiError> {
        let limit = self
            .page
            .limit
            .as_deref()
            .map(|text| {
                text.parse::<i64>().map_err(|_| {
                    ApiError::bad_input("limit", "limit must be a whole number from 1 to 100")
                })
            })
            .transpose()?;
        Ok(PageQuery {
            limit,
            starting_after: self.page.starting_after.clone(),
            ending_before: self.page.ending_before.clone(),
        })
    }

    fn filter(&self) -> Result<KeyFilter, ApiError> {
        let mut metadata = None;
        for (name, value) in &self.metadata {
            let key = name
                .strip_prefix("metadata[")
                .and_then(|rest| rest.strip_suffix(']'))
                .ok_or_else(|| ApiError::bad_input("query", "a query parameter is unknown"))?;
            if metadata.replace((key, value.as_str())).is_some() {
                return Err(ApiError::bad_input(
                    "metadata",
                    "filter by one metadata key at a time",
                ));
            }
        }
        let lower = match (
            instant("createdAt[gte]", self.created_gte.as_deref())?,
            instant("createdAt[gt]", self.created_gt.as_deref())?,
        ) {
            (Some(_), Some(_)) => return Err(both("createdAt[gt]")),
            (Some(at), None) => Bound::Included(at),
            (None, Some(at)) => Bound::Excluded(at),
            (None, None) => Bound::Unbounded,
        };
        let upper = match (
            instant("createdAt[lte]", self.created_lte.as_deref())?,
            instant("createdAt[lt]", self.created_lt.as_deref())?,
        ) {
            (Some(_), Some(_)) => return Err(both("createdAt[lt]")),
            (Some(at), None) => Bound::Included(at),
            (None, Some(at)) => Bound::Excluded(at),
            (None, None) => Bound::Unbounded,
        };
        let query = KeyQuery {
            kinds: enum_list::<ApiKeyKind>("kind", self.kind.as_deref())?
                .map(|kinds| kinds.into_iter().map(Into::into).collect()),
            types: enum_list::<ApiKeyType>("type", self.key_type.as_deref())?
                .map(|types| types.into_iter().map(Into::into).collect()),
            statuses: enum_list::<ApiKeyStatus>("status", self.status.as_deref())?
                .map(|statuses| statuses.into_iter().map(Into::into).collect()),
            name_contains: self.name.as_deref(),
            external_id: self.external_id.as_deref(),
            metadata,
            created: TimeRange {
                start: lower,
                end: upper,
            },
        };
        Ok(query.validate(FILTER_NAMES)?)
    }
}

fn both(field: &'static str) -> ApiError {
    ApiError::bad_input(
        field,
        "give one lower and one upper bound of createdAt at most",
    )
}

/// Lists the environment's keys, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys",
    operation_id = "listApiKeys",
    tag = "API keys",
    params(
        PageQuery,
        ListApiKeysQuery,
        (
            "metadata" = Option<BTreeMap<String, String>>,
            Query,
            style = DeepObject,
            explode,
            description = "`metadata[<key>]=<value>`: keys whose metadata holds this string under this key (one pair)."
        )
    ),
    responses(
        (status = 200, description = "A page of keys.", body = List<ApiKey>),
        Refusals
    ),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn list_api_keys(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    QueryParams(query): QueryParams<ListApiKeysQuery>,
) -> Response {
    let result = async {
        let page_query = query.page()?;
        let page = page_query.id_page()?;
        let filter = query.filter()?;
        let services = &state.services;
        let found = keys::list(services, &principal, &filter, &page).await?;
        Ok(List::of(
            found,
            &page,
            |k| k.id.clone(),
            |k| key(services, k),
        ))
    }
    .await;
    answered(StatusCode::OK, result)
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
    #[schema(nullable = false)]
    scopes: Option<Vec<String>>,
    /// The key's new scopes as a preset (not with `scopes`).
    #[schema(nullable = false)]
    preset: Option<ScopePreset>,
    /// A new expiration for a key that has one: in the future, at most one year out.
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

/// Exactly one of `gracePeriod` or `expiresAt` (at most one year out): when the old secret
/// stops working.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 1)]
pub(super) struct RotateApiKey {
    #[schema(nullable = false)]
    grace_period: Option<GracePeriod>,
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

/// Exactly one of `ids` (1 to 1,000) or `filter` (at least one criterion; it may match at most
/// 1,000 unrevoked keys).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 1)]
pub(super) struct BulkRevoke {
    #[schema(nullable = false, min_items = 1, max_items = 1000)]
    ids: Option<Vec<String>>,
    #[schema(nullable = false)]
    filter: Option<BulkFilter>,
}

/// The filters of a bulk revocation, as the list's query parameters take them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct BulkFilter {
    kind: Option<Vec<ApiKeyKind>>,
    #[serde(rename = "type")]
    key_type: Option<Vec<ApiKeyType>>,
    status: Option<Vec<ApiKeyStatus>>,
    name: Option<String>,
    external_id: Option<String>,
    /// One metadata key and the string it must hold.
    metadata: Option<BTreeMap<String, String>>,
    created_before: Option<DateTime<Utc>>,
}

impl BulkFilter {
    fn into_store(self) -> Result<KeyFilter, ApiError> {
        let mut pairs = self.metadata.iter().flatten();
        let metadata = pairs.next().map(|(k, v)| (k.as_str(), v.as_str()));
        if pairs.next().is_some() {
            return Err(ApiError::bad_input(
                "metadata",
                "filter by one metadata key at a time",
            ));
        }
        let query = KeyQuery {
            kinds: self.kind.map(|k| k.into_iter().map(Into::into).collect()),
            types: self
                .key_type
                .map(|t| t.into_iter().map(Into::into).collect()),
            statuses: self.status.map(|s| s.into_iter().map(Into::into).collect()),
            name_contains: self.name.as_deref(),
            external_id: self.external_id.as_deref(),
            metadata,
            created: TimeRange {
                start: Bound::Unbounded,
                end: self
                    .created_before
                    .map_or(Bound::Unbounded, Bound::Excluded),
            },
        };
        Ok(query.validate(FILTER_NAMES)?)
    }
}

/// What a bulk revocation did: every selected key is either revoked or skipped with why.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct BulkRevoked {
    revoked: Vec<ApiKey>,
    skipped: Vec<SkippedApiKey>,
}

/// A key left alone, with the error a single revocation would have met.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SkippedApiKey {
    id: String,
    /// `NOT_FOUND`, `FORBIDDEN` or `CONFLICT`.
    code: String,
    message: String,
}

/// Revokes many keys in one transaction, each by the rule of a single revocation.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys/bulk-revoke",
    operation_id = "bulkRevokeApiKeys",
    tag = "API keys",
    request_body = BulkRevoke,
    responses((status = 200, description = "What was revoked and what was skipped.", body = BulkRevoked), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn bulk_revoke_api_keys(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<BulkRevoke>,
) -> Response {
    let result = async {
        let filter = body.filter.map(BulkFilter::into_store).transpose()?;
        let selection = keys::selection(body.ids, filter)?;
        let done = keys::revoke_many(&state.services, &principal, selection).await?;
        Ok(BulkRevoked {
            revoked: done
                .revoked
                .into_iter()
                .map(|k| key(&state.services, k))
                .collect(),
            skipped: done
                .skipped
                .into_iter()
                .map(|(id, violation)| SkippedApiKey {
                    id,
                    code: violation.code.as_str().to_owned(),
                    message: violation.message,
                })
                .collect(),
        })
    }
    .await;
    answered(StatusCode::OK, result)
}
