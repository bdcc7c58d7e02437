//! The one route middleware that records every API call: metrics, and the activity log (for
//! every call but the verifications that succeeded as requests, which are counted instead).

use std::borrow::Cow;
use std::time::Instant;

use axum::extract::State;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use keyplane_domain::activity::{NewActivityEvent, OUTCOME_OK};

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
    // Labelled by what ran (schema names), never by what the document says.
    let ran = performed.map_or(&[][..], |p| p.ran.as_slice());
    state.metrics.observe(ran, outcome, elapsed);
    if is_verification_only(outcome, root_fields) {
        // Counted per key and minute by `verify::verify` instead: one row per verification
        // would be billions of rows a day at the rate verification runs.
        return response;
    }
    let event = NewActivityEvent {
        environment_id: performed.and_then(|p| p.environment_id.clone()),
        api_key_id: performed.and_then(|p| p.api_key_id.clone()),
        user_id: performed.and_then(|p| p.user_id.clone()),
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

/// Whether the request did nothing but verify keys, and every verification was answered (with
/// whatever code): then the usage counters hold it, and the activity log does not.
fn is_verification_only(outcome: &str, root_fields: &[Cow<'static, str>]) -> bool {
    outcome == OUTCOME_OK
        && !root_fields.is_empty()
        && root_fields.iter().all(|field| field == "verifyApiKey")
}
