//! The shapes every HTTP answer shares: error bodies with `extensions.code`, `no-store`, the
//! rate-limit headers, the JSON body check, and what a response tells the activity recorder.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyplane_domain::ErrorCode;
use keyplane_domain::activity::OperationType;

use super::refusal::{Refusal, status_of};
use crate::error::ApiError;
use keyplane_service::rate_limit::RateDecision;

/// A refusal with `code` and `message`, its body written by the front end's encoder
/// (`refusal::write_refusals`).
pub(super) fn error_response(
    status: StatusCode,
    code: ErrorCode,
    message: &'static str,
) -> Response {
    error_response_with_reason(status, code, message, None)
}

/// The same, with `reason` saying which check refused the request.
pub(super) fn error_response_with_reason(
    status: StatusCode,
    code: ErrorCode,
    message: &'static str,
    reason: Option<&'static str>,
) -> Response {
    refusal_response(
        status,
        Refusal {
            code,
            message: Cow::Borrowed(message),
            field: None,
            required_scope: None,
            reason,
        },
    )
}

/// A refusal as a response: no body yet, `no-store`, and its outcome for the activity log.
pub(super) fn refusal_response(status: StatusCode, refusal: Refusal) -> Response {
    let mut response = status.into_response();
    no_store(&mut response);
    if refusal.code == ErrorCode::Unavailable {
        retry_soon(&mut response);
    }
    response
        .extensions_mut()
        .insert(Outcome(Cow::Borrowed(refusal.code.as_str())));
    response.extensions_mut().insert(refusal);
    response
}

/// How a `/graphql` request ended, for the activity log: `OK` or the first error's code.
#[derive(Debug, Clone)]
pub(super) struct Outcome(pub(super) Cow<'static, str>);

/// Who made a `/graphql` request and what it ran, once it authenticated.
#[derive(Debug, Clone, Default)]
pub(super) struct Performed {
    /// `None` for a call made without a credential (`acceptInvitation`).
    pub(super) environment_id: Option<String>,
    pub(super) api_key_id: Option<String>,
    pub(super) user_id: Option<String>,
    pub(super) operation_name: Option<String>,
    pub(super) operation_type: Option<OperationType>,
    /// The root fields the document names, as the caller wrote them (for the activity log).
    pub(super) root_fields: Vec<Cow<'static, str>>,
    /// The schema's root fields that ran: the only names the metrics label with.
    pub(super) ran: Vec<Cow<'static, str>>,
}

pub(super) fn no_store(response: &mut Response) {
    // Responses may carry a secret shown once; no cache may keep any of them.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// An `ApiError` as a refusal with its status from the one table, with the same fields the
/// GraphQL path gives it.
pub(super) fn api_error_response(err: &ApiError) -> Response {
    refusal_response(status_of(err.code), refusal_of(err))
}

pub(super) fn refusal_of(err: &ApiError) -> Refusal {
    Refusal {
        code: err.code,
        message: Cow::Owned(err.message.clone()),
        field: err.field,
        required_scope: err.required_scope.as_ref().map(|s| s.as_str().to_owned()),
        reason: err.reason,
    }
}

pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The body of a JSON POST, or the refusal: 415 for another content type, 413 over the body
/// limit, 400 when it cannot be read.
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished response, built once per refused request; boxing it buys nothing"
)]
pub(super) fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, Response> {
    if !is_json(headers) {
        return Err(error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "send the request as Content-Type: application/json",
        ));
    }
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the request body is too large"
        } else {
            "the request body could not be read"
        };
        error_response(status, ErrorCode::BadRequest, message)
    })
}

/// The refusal of a body read whole with `axum::body::to_bytes`: 413 when it is over the
/// limit, 400 when it could not be read (the client stopped sending, say).
pub(super) fn unread_body(err: &axum::Error) -> Response {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = cause {
        if error.is::<http_body_util::LengthLimitError>() {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BadRequest,
                "the request body is too large",
            );
        }
        cause = error.source();
    }
    error_response(
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
        "the request body could not be read",
    )
}

/// `RateLimit-Limit/Remaining/Reset`, and `Retry-After` when the request was refused.
pub(super) fn rate_limit_headers(response: &mut Response, decision: RateDecision) {
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(decision.reset_seconds));
    if let Some(retry_after) = decision.retry_after_seconds {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
}

/// `Retry-After` on a 503: the server expects the database back within moments.
pub(super) fn retry_soon(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(1));
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, Bytes};
    use axum::http::StatusCode;

    use super::unread_body;

    #[tokio::test]
    async fn a_body_over_the_limit_is_413_and_one_that_breaks_off_is_400() {
        let err = axum::body::to_bytes(Body::from(vec![b'x'; 10]), 4)
            .await
            .unwrap_err();
        assert_eq!(unread_body(&err).status(), StatusCode::PAYLOAD_TOO_LARGE);

        let broken = futures::stream::iter([
            Ok(Bytes::from_static(b"{\"na")),
            Err(std::io::Error::other("the client went away")),
        ]);
        let err = axum::body::to_bytes(Body::from_stream(broken), 1_000)
            .await
            .unwrap_err();
        assert_eq!(unread_body(&err).status(), StatusCode::BAD_REQUEST);
    }
}
