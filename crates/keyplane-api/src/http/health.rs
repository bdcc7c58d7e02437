//! Health, readiness, metrics and the fallback for unknown routes.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyplane_domain::ErrorCode;

use super::AppState;
use super::response::error_response;

pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.services.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Liveness: the process answers. Also the bare-JSON baseline of the HTTP benchmarks.
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.services.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::InternalServerError,
                "database unavailable",
            )
        }
        Err(_) => error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InternalServerError,
            "database timed out",
        ),
    }
}

pub(super) async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}
