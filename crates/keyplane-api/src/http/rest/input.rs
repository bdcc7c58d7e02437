//! REST input as the handlers take it: a JSON body of the operation's type, query parameters
//! of the operation's type, and path ids. Bad input is refused here with a code and changes
//! nothing: a wrong `Content-Type` (415), a body over the limit (413), a body or query that does
//! not fit the documented shape (400, unknown fields included). No message repeats what the
//! caller sent.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyplane_domain::ErrorCode;
use serde::de::DeserializeOwned;

use super::super::response::{api_error_response, error_response, json_body};
use crate::error::ApiError;

/// A JSON body of type `T`, whose unknown fields are refused (`deny_unknown_fields`).
pub(super) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let headers: HeaderMap = request.headers().clone();
        let body: Result<Bytes, BytesRejection> = Bytes::from_request(request, state).await;
        let body = json_body(&headers, body)?;
        parse_json(&body).map(JsonBody)
    }
}

/// `body` as a `T`, or the refusal saying what kind of mistake it holds.
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished response, built once per refused request"
)]
pub(super) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|err| {
        // serde's own message can quote the body; only the kind and the place are repeated.
        let message = match err.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => format!(
                "the body is not valid JSON (line {}, column {})",
                err.line(),
                err.column()
            ),
            _ => format!(
                "the body does not fit the operation's schema: a field is unknown, missing or of \
                 the wrong type (line {}, column {})",
                err.line(),
                err.column()
            ),
        };
        api_error_response(&ApiError::new(ErrorCode::BadUserInput, message))
    })
}

/// Query parameters of type `T`, whose unknown or repeated parameters are refused.
pub(super) struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(QueryParams)
            .map_err(|_| {
                error_response(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadUserInput,
                    "a query parameter is unknown, repeated or not of its documented type",
                )
            })
    }
}

/// A comma-separated list of upper-case enum values (`?status=ACTIVE,EXPIRING_SOON`).
pub(super) fn enum_list<T: DeserializeOwned>(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<Vec<T>>, ApiError> {
    use serde::de::IntoDeserializer;
    text.map(|text| {
        text.split(',')
            .map(|item| {
                let item: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                    item.trim().into_deserializer();
                T::deserialize(item).map_err(|_| {
                    ApiError::bad_input(
                        field,
                        format!("{field} takes a comma-separated list of the documented values"),
                    )
                })
            })
            .collect()
    })
    .transpose()
}

/// An RFC 3339 instant of a query parameter.
pub(super) fn instant(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    text.map(|text| {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&chrono::Utc))
            .map_err(|_| {
                ApiError::bad_input(
                    field,
                    format!("{field} takes an RFC 3339 time, like 2026-01-01T00:00:00Z"),
                )
            })
    })
    .transpose()
}

/// The `{id}` of a path. An id that is not one of the caller's environment's is `NOT_FOUND`
/// from the use case; text no id could be is `NOT_FOUND` here.
pub(super) struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .ok()
            // No id Keyplane makes is long or holds anything but printable ASCII: such text
            // names nothing, and never reaches the database.
            .filter(|axum::extract::Path(id): &axum::extract::Path<String>| {
                !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic())
            })
            .map(|axum::extract::Path(id)| PathId(id))
            .ok_or_else(|| {
                error_response(
                    StatusCode::NOT_FOUND,
                    ErrorCode::NotFound,
                    "no such resource",
                )
            })
    }
}
