//! `Idempotency-Key` on mutations over HTTP: which requests it applies to, and the answers of
//! `keyplane_service::idempotency` (claim, replay re-checked against the caller, store) as
//! responses.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use keyplane_domain::ErrorCode;
use keyplane_domain::idempotency;
use keyplane_service::idempotency::{self as idempotent, Claimed, IdempotencyClaim};

use super::graphql::selects_mutation;
use super::response::{
    Outcome, api_error_response, error_response, error_response_with_reason, no_store, status_of,
};
use crate::error::ApiError;
use keyplane_service::{Principal, Services};

pub(super) enum IdempotencyStep {
    /// Execute; store the response under the claim, if any.
    Run(Option<IdempotencyClaim>),
    /// Answer without executing: a replay or a refusal.
    Answer(Response),
}

/// Claims the request's Idempotency-Key when it carries one and runs a mutation over POST.
/// Other requests ignore the header.
pub(super) async fn idempotency_claim(
    services: &Services,
    headers: &HeaderMap,
    principal: &Principal,
    request: &async_graphql::Request,
    body: Option<&Bytes>,
) -> Result<IdempotencyStep, Response> {
    let mut values = headers.get_all(idempotency::HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(IdempotencyStep::Run(None));
    };
    let bad_key = |message: &str| {
        error_response_with_reason(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            message,
            None,
        )
    };
    if values.next().is_some() {
        return Err(bad_key("send one Idempotency-Key header"));
    }
    let key = value
        .to_str()
        .map_err(|_| ())
        .and_then(|text| idempotency::parse_idempotency_key(text).map_err(|_| ()))
        .map_err(|()| {
            bad_key("an Idempotency-Key is 1 to 255 printable ASCII characters without spaces")
        })?;
    let Some(body) = body else {
        return Ok(IdempotencyStep::Run(None));
    };
    let is_mutation = async_graphql::parser::parse_query(&request.query)
        .is_ok_and(|document| selects_mutation(&document, request.operation_name.as_deref()));
    if !is_mutation {
        return Ok(IdempotencyStep::Run(None));
    }
    let claimed = idempotent::claim(services, principal, key, body)
        .await
        .map_err(|err| {
            let err = ApiError::from(err);
            api_error_response(status_of(err.code), &err)
        })?;
    let conflict = |status: StatusCode, message: &str| {
        error_response(status, ErrorCode::IdempotencyConflict, message)
    };
    match claimed {
        Claimed::Run(claim) => Ok(IdempotencyStep::Run(Some(claim))),
        Claimed::Replay { http_status, body } => {
            let mut response = Response::new(axum::body::Body::from(body));
            *response.status_mut() = StatusCode::from_u16(http_status).unwrap_or(StatusCode::OK);
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/graphql-response+json"),
            );
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
            no_store(&mut response);
            response
                .extensions_mut()
                .insert(Outcome(Cow::Borrowed("IDEMPOTENT_REPLAY")));
            Ok(IdempotencyStep::Answer(response))
        }
        Claimed::InProgress => {
            let mut response = conflict(
                StatusCode::CONFLICT,
                "a request with this Idempotency-Key has not finished",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(1));
            Err(response)
        }
        Claimed::Mismatch => Err(conflict(
            StatusCode::UNPROCESSABLE_ENTITY,
            "this Idempotency-Key was used for a different request",
        )),
    }
}

/// Stores the response under its claim (sealed: it may carry a secret), or releases the claim
/// when the server failed, so a retry may run.
pub(super) async fn complete_idempotency(
    services: &Services,
    claim: IdempotencyClaim,
    response: Response,
) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        tracing::error!("could not read a response to store it for Idempotency-Key replays");
        return api_error_response(StatusCode::INTERNAL_SERVER_ERROR, &ApiError::internal());
    };
    idempotent::complete(
        services,
        claim,
        parts.status.as_u16(),
        parts.status.is_server_error(),
        &bytes,
    )
    .await;
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
