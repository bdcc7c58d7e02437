//! What happened, as REST lists: audit events (the environment's and one key's), the activity
//! log, and a key's verification usage.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use keyplane_domain::audit::{AuditEvent as DomainAuditEvent, KeySnapshot};
use keyplane_service::{Principal, records};
use keyplane_store::{ActivityFilter, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::AppState;
use super::common::answered;
use super::doc::Refusals;
use super::input::{PathId, QueryParams, enum_list, instant};
use super::list::{List, PageParameters, PageQuery};
use super::types::Actor;
use crate::error::ApiError;
use crate::schema::UsageGranularity;
use crate::schema::enums::{AuditEventSubject, AuditEventType, OperationType};

/// A lifecycle or settings event, kept for good.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct AuditEvent {
    /// The event's sequence number in its environment; also its list cursor.
    id: String,
    #[serde(rename = "type")]
    event_type: AuditEventType,
    api_key_id: Option<String>,
    /// The other key of a rotation: the new key on `KEY_ROTATED`, the old one on the new
    /// key's `KEY_CREATED`.
    related_key_id: Option<String>,
    actor: Actor,
    /// The fields the event touched, as they were before.
    #[schema(value_type = Object)]
    before: KeySnapshot,
    /// The same fields after.
    #[schema(value_type = Object)]
    after: KeySnapshot,
    occurred_at: DateTime<Utc>,
}

impl From<DomainAuditEvent> for AuditEvent {
    fn from(event: DomainAuditEvent) -> Self {
        Self {
            id: event.id.to_string(),
            event_type: event.event_type.into(),
            api_key_id: event.api_key_id,
            related_key_id: event.related_key_id,
            actor: event.actor.into(),
            before: event.before,
            after: event.after,
            occurred_at: event.occurred_at,
        }
    }
}

/// Filters of the environment's audit events.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    #[param(ignore)]
    limit: Option<String>,
    #[param(ignore)]
    starting_after: Option<String>,
    #[param(ignore)]
    ending_before: Option<String>,
    /// Only this key's events.
    #[serde(rename = "apiKeyId")]
    #[param(rename = "apiKeyId")]
    api_key_id: Option<String>,
    /// Event types, comma-separated (`KEY_CREATED,KEY_REVOKED`).
    #[serde(rename = "type")]
    #[param(rename = "type", example = "KEY_CREATED,KEY_REVOKED")]
    event_type: Option<String>,
    /// `API_KEY` for the events about keys, `SETTINGS` for the environment's settings.
    subject: Option<AuditEventSubject>,
}

fn page_of(
    limit: &Option<String>,
    after: &Option<String>,
    before: &Option<String>,
) -> Result<PageQuery, ApiError> {
    PageQuery::parse(limit.as_deref(), after.as_deref(), before.as_deref())
}

async fn audit_list(
    state: &AppState,
    principal: &Principal,
    filter: AuditFilter,
    page: PageQuery,
) -> Result<List<AuditEvent>, ApiError> {
    let page = page.sequence_page()?;
    let found = records::audit_events(&state.services, principal, &filter, &page).await?;
    Ok(List::of(
        found,
        &page,
        |e| e.id.to_string(),
        AuditEvent::from,
    ))
}

/// Lists the environment's lifecycle and settings events, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/audit-events",
    operation_id = "listAuditEvents",
    tag = "Audit and activity",
    params(PageQuery, AuditQuery),
    responses((status = 200, description = "A page of audit events.", body = List<AuditEvent>), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn list_audit_events(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Response {
    let result = async {
        let filter = AuditFilter {
            api_key_id: query.api_key_id.clone(),
            types: enum_list::<AuditEventType>("type", query.event_type.as_deref())?
                .map(|types| types.into_iter().map(Into::into).collect()),
            subject: query.subject.map(Into::into),
        };
        let page = page_of(&query.limit, &query.starting_after, &query.ending_before)?;
        audit_list(&state, &principal, filter, page).await
    }
    .await;
    answered(StatusCode::OK, result)
}

/// Lists one key's lifecycle events, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys/{id}/audit-events",
    operation_id = "listApiKeyAuditEvents",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id."), PageQuery),
    responses((status = 200, description = "A page of the key's audit events.", body = List<AuditEvent>), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn list_key_audit_events(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<PageParameters>,
) -> Response {
    let result = async {
        // A key of another environment is NOT_FOUND, as it is everywhere else.
        keyplane_service::keys::get(&state.services, &principal, &id).await?;
        let filter = AuditFilter {
            api_key_id: Some(id),
            ..AuditFilter::default()
        };
        audit_list(&state, &principal, filter, query.page()?).await
    }
    .await;
    answered(StatusCode::OK, result)
}

/// One API request, as the activity log keeps it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ActivityEvent {
    /// Also its list cursor.
    id: String,
    api_key_id: Option<String>,
    user_id: Option<String>,
    /// The GraphQL operation's name, or the REST operation (`POST /api/v1/api-keys`).
    operation_name: Option<String>,
    operation_type: Option<OperationType>,
    root_fields: Vec<String>,
    /// `OK`, `IDEMPOTENT_REPLAY` or an error code.
    outcome: String,
    http_status: u16,
    duration_micros: i64,
    occurred_at: DateTime<Utc>,
}

/// Filters of the activity log; they combine with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ActivityQuery {
    #[param(ignore)]
    limit: Option<String>,
    #[param(ignore)]
    starting_after: Option<String>,
    #[param(ignore)]
    ending_before: Option<String>,
    #[serde(rename = "apiKeyId")]
    #[param(rename = "apiKeyId")]
    api_key_id: Option<String>,
    #[serde(rename = "operationType")]
    #[param(rename = "operationType")]
    operation_type: Option<OperationType>,
    /// `OK` or an error code, e.g. `FORBIDDEN`.
    outcome: Option<String>,
    /// Requests at or after this time.
    #[serde(rename = "occurredAt[gte]")]
    #[param(rename = "occurredAt[gte]", example = "2026-01-01T00:00:00Z")]
    since: Option<String>,
    /// Requests before this time.
    #[serde(rename = "occurredAt[lt]")]
    #[param(rename = "occurredAt[lt]")]
    until: Option<String>,
}

/// Lists the environment's API requests, newest first. Written in batches: the newest second
/// may not be listed yet.
#[utoipa::path(
    get,
    path = "/api/v1/activity",
    operation_id = "listActivity",
    tag = "Audit and activity",
    params(PageQuery, ActivityQuery),
    responses((status = 200, description = "A page of activity events.", body = List<ActivityEvent>), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn list_activity(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    QueryParams(query): QueryParams<ActivityQuery>,
) -> Response {
    let result = async {
        let filter = ActivityFilter {
            api_key_id: query.api_key_id.clone(),
            operation_type: query.operation_type.map(Into::into),
            outcome: query.outcome.clone(),
            since: instant("occurredAt[gte]", query.since.as_deref())?,
            until: instant("occurredAt[lt]", query.until.as_deref())?,
        };
        let page =
            page_of(&query.limit, &query.starting_after, &query.ending_before)?.sequence_page()?;
        let found = records::activity_events(&state.services, &principal, &filter, &page).await?;
        Ok(List::of(
            found,
            &page,
            |e| e.id.to_string(),
            |e| ActivityEvent {
                id: e.id.to_string(),
                api_key_id: e.event.api_key_id,
                user_id: e.event.user_id,
                operation_name: e.event.operation_name,
                operation_type: e.event.operation_type.map(Into::into),
                root_fields: e.event.root_fields,
                outcome: e.event.outcome,
                http_status: e.event.http_status,
                duration_micros: e.event.duration_micros,
                occurred_at: e.event.occurred_at,
            },
        ))
    }
    .await;
    answered(StatusCode::OK, result)
}

/// A usage series' range: `from` is rounded down and `to` up to the granularity; `to` is
/// exclusive. At most 1,500 points.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct UsageQuery {
    #[param(example = "2026-01-01T00:00:00Z")]
    from: DateTime<Utc>,
    #[param(example = "2026-01-02T00:00:00Z")]
    to: DateTime<Utc>,
    granularity: UsageGranularity,
    /// Only the verifications that asked for this permission.
    permission: Option<String>,
}

/// The verifications answered in `[at, at + granularity)`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsagePoint {
    at: DateTime<Utc>,
    total: u64,
    /// Non-zero counts by verification code, codes in alphabetical order.
    by_outcome: Vec<OutcomeCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct OutcomeCount {
    code: String,
    count: u64,
}

/// A key's verifications as a time series by outcome.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys/{id}/usage",
    operation_id = "getApiKeyUsage",
    tag = "API keys",
    params(("id" = String, Path, description = "The key's id."), UsageQuery),
    responses((status = 200, description = "One point per bucket of the range.", body = Vec<UsagePoint>), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn key_usage(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<UsageQuery>,
) -> Response {
    let result = async {
        let key = keyplane_service::keys::get(&state.services, &principal, &id).await?;
        let points = records::usage_series(
            &state.services,
            &principal,
            &key.environment_id,
            Some(&key.id),
            (query.from, query.to, query.granularity.into()),
            query.permission.as_deref(),
        )
        .await?;
        Ok(points
            .into_iter()
            .map(|p| UsagePoint {
                at: p.at,
                total: p.total,
                by_outcome: p
                    .by_outcome
                    .into_iter()
                    .map(|(code, count)| OutcomeCount { code, count })
                    .collect(),
            })
            .collect::<Vec<_>>())
    }
    .await;
    answered(StatusCode::OK, result)
}
