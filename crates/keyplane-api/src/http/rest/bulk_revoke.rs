//! `POST /api/v1/api-keys/bulk-revoke`: many keys revoked in one transaction.

use std::collections::BTreeMap;
use std::ops::Bound;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use keyplane_service::Principal;
use keyplane_service::keys::{self, KeyQuery};
use keyplane_store::{KeyFilter, TimeRange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::api_keys::key;
use super::common::answered;
use super::doc::Refusals;
use super::input::JsonBody;
use super::key_listing::FILTER_NAMES;
use super::types::{ApiKey, not_null};
use crate::error::ApiError;
use crate::schema::enums::{ApiKeyKind, ApiKeyStatus, ApiKeyType};

/// Exactly one of `ids` (1 to 1,000) or `filter` (at least one criterion; it may match at most
/// 1,000 unrevoked keys).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 1)]
pub(super) struct BulkRevoke {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, min_items = 1, max_items = 1000)]
    ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "not_null")]
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
        Ok(query.validate_for_revocation(FILTER_NAMES)?)
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
