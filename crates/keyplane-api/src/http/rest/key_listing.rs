//! `GET /api/v1/api-keys`: the environment's keys, filtered and paged.

use std::collections::BTreeMap;
use std::ops::Bound;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use keyplane_service::Principal;
use keyplane_service::keys::{self, KeyQuery, KeyQueryNames};
use keyplane_store::{KeyFilter, TimeRange};
use serde::Deserialize;
use utoipa::IntoParams;

use super::super::AppState;
use super::api_keys::key;
use super::common::answered;
use super::doc::Refusals;
use super::input::{QueryParams, enum_list, instant};
use super::list::{List, PageQuery};
use super::types::ApiKey;
use crate::error::ApiError;
use crate::schema::enums::{ApiKeyKind, ApiKeyStatus, ApiKeyType};

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

pub(super) const FILTER_NAMES: KeyQueryNames = KeyQueryNames {
    name_contains: "name",
    external_id: "externalId",
    metadata: "metadata",
};

impl ListApiKeysQuery {
    fn page(&self) -> Result<PageQuery, ApiError> {
        PageQuery::parse(
            self.page.limit.as_deref(),
            self.page.starting_after.as_deref(),
            self.page.ending_before.as_deref(),
        )
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
