//! The one route middleware that records every API call: metrics, and the activity log.

use std::borrow::Cow;
use std::time::Instant;

use axum::extract::State;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use keyplane_domain::activity::NewActivityEvent;

use super::AppState;
use super::response::{Outcome, Performed};

/// Times every API request (`/graphql`, `/v1/verify`) and records it once it has its response:
/// in the metrics, and in the activity log off the request path. What is not an API call (the
/// GraphiQL page) carries no `Outcome` and is not recorded.
pub(super) async fn record_activity(
    State(state): State<AppState>,
    request: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let (started, at) = (Instant::now(), Utc::now());
    let response = next.run(request).await;
    let Some(Outcome(outcome)) = response.extensions().get::<Outcome>() else {
        return response;
    };
    let elapsed = started.elapsed();
    let performed = response.extensions().get::<Performed>();
    let root_fields = performed.map_or(&[][..], |p| p.root_fields.as_slice());
    let operation = match root_fields {
        [] => Cow::Borrowed("none"),
        [field] => field.clone(),
        fields => Cow::Owned(fields.join(",")),
    };
    state
        .services
        .metrics
        .observe(operation, outcome.clone(), elapsed);
    let event = NewActivityEvent {
        environment_id: performed.map(|p| p.environment_id.clone()),
        api_key_id: performed.map(|p| p.api_key_id.clone()),
        operation_name: performed.and_then(|p| p.operation_name.clone()),
        operation_type: performed.and_then(|p| p.operation_type),
        root_fields: root_fields.iter().map(|f| f.to_string()).collect(),
        outcome: outcome.clone().into_owned(),
        http_status: response.status().as_u16(),
        duration_micros: i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX),
        occurred_at: at,
    };
    state.services.write_behind.record(event).await;
    response
}
