//! `/api/v1/event-queue-credentials`: temporary, read-only credentials for the environment's
//! event queue (`event_queue:read`). The use case is `/graphql`'s.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use keyplane_service::{Principal, events};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::common::answered;
use super::doc::Refusals;
use super::input::JsonBody;
use crate::error::ApiError;

/// How long the credentials last: 60 to 3,600 seconds, 900 unless given (send `{}`).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CreateEventQueueCredentials {
    #[schema(minimum = 60, maximum = 3600, example = 900)]
    ttl_seconds: Option<i64>,
}

/// Event-queue credentials: send the token as `Authorization: Bearer …` to `eventsPath` or
/// `streamPath`. They stop working when they expire, or as soon as their issuer could no
/// longer read events.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventQueueCredentials {
    /// Shown this once; Keyplane keeps only its digest.
    token: String,
    expires_at: DateTime<Utc>,
    /// The path to read events from, relative to Keyplane's URL.
    #[schema(example = "/api/v1/events")]
    events_path: String,
    #[schema(example = "/api/v1/events/stream")]
    stream_path: String,
}

/// Issues event-queue credentials for the caller's environment, bound to the caller as their
/// issuer.
#[utoipa::path(
    post,
    path = "/api/v1/event-queue-credentials",
    operation_id = "createEventQueueCredentials",
    tag = "Events",
    request_body = CreateEventQueueCredentials,
    responses(
        (status = 200, description = "The credentials and their token (shown once).", body = EventQueueCredentials),
        Refusals
    ),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn create_event_queue_credentials(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<CreateEventQueueCredentials>,
) -> Response {
    let result = events::create_credentials(&state.services, &principal, body.ttl_seconds)
        .await
        .map(|issued| EventQueueCredentials {
            token: issued.token.expose().to_owned(),
            expires_at: issued.credential.expires_at,
            events_path: "/api/v1/events".to_owned(),
            stream_path: "/api/v1/events/stream".to_owned(),
        })
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}
