//! How a request that is refused is answered: the one table from an error code to its HTTP
//! status, and the one encoder of each front end's error body.
//!
//! A refusal is built anywhere on the request path as a response carrying a [`Refusal`] and
//! no body; [`write_refusals`], the router's outermost layer, writes the body in the shape of
//! the front end the request went to: `{"errors": [{"message", "extensions": {"code", …}}]}`
//! for `/graphql` and the `/v1` routes, `{"error": {"code", "message", …, "requestId"}}` for
//! the REST API under `/api/v1`. Nothing else writes an error body.

use std::borrow::Cow;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyplane_domain::ErrorCode;
use serde::Serialize;

/// Where the REST API lives. Its answers carry `X-Request-Id`, and its errors the REST body.
pub(crate) const REST_PREFIX: &str = "/api/v1/";

/// The HTTP status of each error code: exhaustive, so a new code does not compile until it has
/// one. Only transport refusals that no code describes (413, 415, 405, 406, and 422 for an
/// `Idempotency-Key` reused with another request) are given their status where they are made.
pub(crate) const fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden | ErrorCode::PlanUpgradeRequired => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::BadUserInput
        | ErrorCode::BadRequest
        | ErrorCode::GraphqlParseFailed
        | ErrorCode::GraphqlValidationFailed => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict | ErrorCode::IdempotencyConflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Why a request was refused, as every front end reports it. Carried by the refusing response
/// until [`write_refusals`] writes its body.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// The input at fault, for `BAD_USER_INPUT`.
    pub field: Option<&'static str>,
    /// The scope the caller lacks, for `FORBIDDEN`.
    pub required_scope: Option<String>,
    /// Which check refused it, where a code has several (client-side security).
    pub reason: Option<&'static str>,
}

/// The front end a request went to, which decides the shape of its error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Graphql,
    Rest,
}

impl Dialect {
    pub(crate) fn of_path(path: &str) -> Self {
        if path.starts_with(REST_PREFIX) {
            Self::Rest
        } else {
            Self::Graphql
        }
    }
}

#[derive(Serialize)]
struct GraphqlBody<'a> {
    errors: [GraphqlError<'a>; 1],
}

#[derive(Serialize)]
struct GraphqlError<'a> {
    message: &'a str,
    extensions: Extensions<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extensions<'a> {
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

#[derive(Serialize)]
struct RestBody<'a> {
    error: RestError<'a>,
}

/// The REST API's error object (`ErrorBody.error` in `openapi.json`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RestError<'a> {
    code: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

/// Writes the body of a refusing response in `dialect`'s shape; any other response passes.
pub(crate) fn encode(dialect: Dialect, request_id: Option<&str>, response: Response) -> Response {
    let Some(refusal) = response.extensions().get::<Refusal>().cloned() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    let extensions = Extensions {
        code: refusal.code.as_str(),
        field: refusal.field,
        required_scope: refusal.required_scope.as_deref(),
        reason: refusal.reason,
    };
    let body = match dialect {
        Dialect::Graphql => Json(GraphqlBody {
            errors: [GraphqlError {
                message: &refusal.message,
                extensions,
            }],
        })
        .into_response(),
        Dialect::Rest => Json(RestBody {
            error: RestError {
                code: extensions.code,
                message: &refusal.message,
                field: extensions.field,
                required_scope: extensions.required_scope,
                reason: extensions.reason,
                request_id,
            },
        })
        .into_response(),
    };
    let (body_parts, body) = body.into_parts();
    if (!parts.headers.contains_key(header::CONTENT_TYPE) || dialect == Dialect::Rest)
        && let Some(content_type) = body_parts.headers.get(header::CONTENT_TYPE)
    {
        parts
            .headers
            .insert(header::CONTENT_TYPE, content_type.clone());
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.extensions.remove::<Refusal>();
    Response::from_parts(parts, body)
}

/// An id for one REST request: in `X-Request-Id` and in its error body, so a report of a
/// failure can be matched to the server's records of it.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub String);

/// The router's outermost layer: every refusal gets its body here, REST requests their id.
pub(crate) async fn write_refusals(mut request: Request, next: Next) -> Response {
    let dialect = Dialect::of_path(request.uri().path());
    let request_id = request_id(&mut request, dialect);
    let response = next.run(request).await;
    let response = encode(dialect, request_id.as_deref(), response);
    with_request_id(response, request_id)
}

/// The id of a REST request (`None` on other routes): the one a layer outside the router gave
/// it, or a new one, kept in its extensions for every layer and handler after.
pub(crate) fn request_id(request: &mut Request, dialect: Dialect) -> Option<String> {
    if dialect != Dialect::Rest {
        return None;
    }
    if let Some(RequestId(id)) = request.extensions().get::<RequestId>() {
        return Some(id.clone());
    }
    let id = uuid::Uuid::now_v7().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    Some(id)
}

/// `response` with `X-Request-Id: id`, unless it already names one (a replay's own).
pub(crate) fn with_request_id(mut response: Response, id: Option<String>) -> Response {
    if let Some(id) = id
        && let Ok(value) = HeaderValue::from_str(&id)
        && !response.headers().contains_key("x-request-id")
    {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_status_no_code_is_a_server_error_but_its_own() {
        for code in ErrorCode::ALL {
            let status = status_of(code);
            assert_eq!(
                status.is_server_error(),
                matches!(
                    code,
                    ErrorCode::Unavailable | ErrorCode::InternalServerError
                ),
                "{code}"
            );
        }
        assert_eq!(status_of(ErrorCode::Conflict), StatusCode::CONFLICT);
        assert_eq!(
            status_of(ErrorCode::PlanUpgradeRequired),
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn the_rest_prefix_picks_the_rest_body() {
        assert_eq!(Dialect::of_path("/api/v1/api-keys"), Dialect::Rest);
        assert_eq!(Dialect::of_path("/v1/verify"), Dialect::Graphql);
        assert_eq!(Dialect::of_path("/api/v10"), Dialect::Graphql);
    }
}
