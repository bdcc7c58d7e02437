//! How a GraphQL result becomes an HTTP response: its status under the negotiated media type,
//! and its body (no `data` entry for a request that never executed).

use async_graphql::ServerError;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyplane_domain::ErrorCode;
use serde::Serialize;

use super::negotiation::ResponseFormat;
use super::response::{error_response, no_store, retry_soon};
use crate::schema::{RequestObservation, set_code};

/// The body of a GraphQL response: no `data` entry when the request never executed.
#[derive(Serialize)]
struct ResponseBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// A GraphQL result as an HTTP response in `format`, with its status.
pub(super) fn graphql_response(
    format: ResponseFormat,
    mut response: async_graphql::Response,
    observation: Option<&RequestObservation>,
) -> Response {
    // Headers a resolver set (the session cookie of `acceptInvitation`).
    let resolver_headers = std::mem::take(&mut response.http_headers);
    let request_error = is_request_error(&response);
    let status = if has_code(&response, ErrorCode::Unavailable) {
        StatusCode::SERVICE_UNAVAILABLE
    } else if request_error {
        // A request error is 4xx only to clients that understand the new media type; legacy
        // JSON clients are answered 200 and read the errors in the body.
        match format {
            ResponseFormat::GraphqlResponse => StatusCode::BAD_REQUEST,
            ResponseFormat::Json => StatusCode::OK,
        }
    } else if observation.is_some_and(RequestObservation::all_forbidden) {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    let body = ResponseBody {
        data: (!request_error).then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    };
    let bytes = match serde_json::to_vec(&body) {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(error = %err, "a GraphQL response could not be encoded");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::InternalServerError,
                "internal error",
            );
        }
    };
    let mut http = (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        bytes,
    )
        .into_response();
    for (name, value) in &resolver_headers {
        http.headers_mut().append(name, value.clone());
    }
    no_store(&mut http);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        retry_soon(&mut http);
    }
    http
}

/// Every error leaves with a code. Resolver errors already carry one (`ApiError`); what is left
/// comes from async-graphql itself: with a path it is an argument that failed to coerce.
pub(super) fn ensure_code(error: &mut ServerError) {
    let code = if error.path.is_empty() {
        ErrorCode::GraphqlValidationFailed
    } else {
        ErrorCode::BadUserInput
    };
    set_code(error, code);
}

pub(super) fn error_code(error: &ServerError) -> Option<String> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.clone()),
        _ => None,
    }
}

fn has_code(response: &async_graphql::Response, code: ErrorCode) -> bool {
    response
        .errors
        .iter()
        .any(|e| error_code(e).as_deref() == Some(code.as_str()))
}

/// Whether the request failed before execution (parse or validation): the GraphQL-over-HTTP
/// "request error", answered without `data`.
fn is_request_error(response: &async_graphql::Response) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| {
            matches!(
                error_code(e).as_deref(),
                Some("GRAPHQL_PARSE_FAILED" | "GRAPHQL_VALIDATION_FAILED")
            )
        })
}
