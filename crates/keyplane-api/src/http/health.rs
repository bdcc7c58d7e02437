//! Health, readiness, metrics and the fallback for unknown routes.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyplane_domain::ErrorCode;
use sha2::{Digest, Sha256};

use super::AppState;
use super::response::{error_response, retry_soon};

pub(super) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.http.metrics_token
        && !bearer_matches(&headers, token)
    {
        let mut response = error_response(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "send Authorization: Bearer with the metrics token",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return response;
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Whether the request carries `Authorization: Bearer <token>`. The digests are compared, so the
/// time taken says nothing about how much of the token a guess got right.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    Sha256::digest(presented.as_bytes()) == Sha256::digest(token.as_bytes())
}

/// Liveness: the process answers. Also the bare-JSON baseline of the HTTP benchmarks.
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Ready when the database answers. Redis, when configured, is reported but never makes the
/// replica unready: without it rate limits are decided by each replica alone.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let reachable = tokio::time::timeout(Duration::from_secs(2), state.services.store.ping()).await;
    let failure = match reachable {
        Ok(Ok(())) => {
            let mut body = serde_json::json!({ "status": "ready", "database": "ok" });
            if let Some(shared) = state.services.rate_limiter.shared() {
                body["redis"] = match shared.redis().ping().await {
                    Ok(()) => "ok".into(),
                    Err(err) => {
                        tracing::warn!(error = %err, "Redis is not answering the readiness check");
                        "unavailable: rate limits are per replica".into()
                    }
                };
            }
            return Json(body).into_response();
        }
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            "the database is unavailable"
        }
        Err(_) => "the database did not answer within 2 s",
    };
    let mut response = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        failure,
    );
    retry_soon(&mut response);
    response
}

pub(super) async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}

/// A route asked with a method it does not take: 405 with the error body of its front end.
pub(super) async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::BadRequest,
        "this route does not take that method",
    )
}
