//! What the environment's smaller resources share: a list the use case answers whole, a list
//! that takes no parameters, 201 with the new resource's `Location`, and 204.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::super::response::{api_error_response, no_store};
use super::list::List;
use crate::error::ApiError;

/// A collection the use case answers in full, as the one page of a list.
pub(super) fn whole<T>(data: Vec<T>) -> List<T> {
    List {
        data,
        has_more: false,
        next_cursor: None,
    }
}

/// The query of a list answered whole: no parameter at all, so a `limit` or a cursor is
/// refused rather than ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NoParameters {}

/// The page parameters alone, unknown ones refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PageParameters {
    pub limit: Option<i64>,
    pub starting_after: Option<String>,
    pub ending_before: Option<String>,
}

impl PageParameters {
    pub(super) fn page(self) -> super::list::PageQuery {
        super::list::PageQuery {
            limit: self.limit,
            starting_after: self.starting_after,
            ending_before: self.ending_before,
        }
    }
}

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
