//! What the resources' handlers share: 201 with the new resource's `Location`, 204, and a
//! use case's answer as JSON.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::super::response::{api_error_response, no_store};
use crate::error::ApiError;

/// 201 with the resource just made, and its URL in `Location`.
pub(super) fn created<T: Serialize>(
    result: Result<T, ApiError>,
    location: impl FnOnce(&T) -> String,
) -> Response {
    let location = result
        .as_ref()
        .ok()
        .and_then(|body| HeaderValue::from_str(&location(body)).ok());
    let mut response = answered(StatusCode::CREATED, result);
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// 204 with no body, or the error.
pub(super) fn no_content<T>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => api_error_response(&err),
    }
}

/// A JSON answer with `status`; never cached (it may carry a secret shown once).
pub(super) fn answer<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    no_store(&mut response);
    response
}

/// The answer of a use case, or its error with the status of its code.
pub(super) fn answered<T: Serialize>(status: StatusCode, result: Result<T, ApiError>) -> Response {
    match result {
        Ok(body) => answer(status, &body),
        Err(err) => api_error_response(&err),
    }
}
