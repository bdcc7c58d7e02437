//! `Idempotency-Key` over HTTP: the header, and the answers of `keyplane_service::idempotency`
//! (claim, replay re-checked against the caller, store) as responses. Which requests it applies
//! to is the front end's call: a GraphQL mutation over POST, and every REST POST.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use keyplane_domain::ErrorCode;
use keyplane_domain::idempotency::{self, RequestShape};
use keyplane_service::idempotency::{
    self as idempotent, Claimed, IdempotencyClaim, StoredResponse,
};

use super::response::{
    Outcome, Performed, api_error_response, error_response, error_response_with_reason, no_store,
};
use crate::error::ApiError;
use keyplane_service::{Principal, Services};

pub(super) enum IdempotencyStep {
    /// Execute; store the response under the claim, if any.
    Run(Option<IdempotencyClaim>),
    /// Answer without executing: a replay.
    Answer(Response),
}

/// The request's one `Idempotency-Key`, parsed, if it carries one.
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished response, built once per refused request"
)]
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Response> {
    let mut values = headers.get_all(idempotency::HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bad_key = |message: &'static str| {
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
    value
        .to_str()
        .map_err(|_| ())
        .and_then(|text| idempotency::parse_idempotency_key(text).map_err(|_| ()))
        .map(Some)
        .map_err(|()| {
            bad_key("an Idempotency-Key is 1 to 255 printable ASCII characters without spaces")
        })
}

/// Who the request came from, for the activity row of an answer given without running it.
pub(super) fn performed_by(principal: &Principal) -> Performed {
    Performed {
        environment_id: Some(principal.environment.id.clone()),
        api_key_id: principal.key().map(|k| k.id.clone()),
        user_id: principal.user().map(|s| s.user.id.clone()),
        operation_name: None,
        operation_type: None,
        root_fields: Vec::new(),
        ran: Vec::new(),
    }
}

/// Claims `key` for the principal's `request`: run it, or answer its stored response, or
/// refuse (409 while the first is running, 422 for another request under the same key).
/// Refusals and replays carry who asked, so the activity log files them in the environment.
pub(super) async fn idempotency_claim(
    services: &Services,
    principal: &Principal,
    key: String,
    request: RequestShape<'_>,
) -> Result<IdempotencyStep, Response> {
    let answered = |mut response: Response| {
        response.extensions_mut().insert(performed_by(principal));
        response
    };
    let claimed = idempotent::claim(services, principal, key, request)
        .await
        .map_err(|err| answered(api_error_response(&ApiError::from(err))))?;
    let conflict = |status: StatusCode, message: &'static str| {
        answered(error_response(
            status,
            ErrorCode::IdempotencyConflict,
            message,
        ))
    };
    match claimed {
        Claimed::Run(claim) => Ok(IdempotencyStep::Run(Some(claim))),
        Claimed::Replay(stored) => Ok(IdempotencyStep::Answer(answered(replay(stored)))),
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

fn replay(stored: StoredResponse) -> Response {
    let body_text = stored.body.clone();
    let mut response = Response::new(axum::body::Body::from(stored.body));
    *response.status_mut() = StatusCode::from_u16(stored.http_status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, stored.content_type),
        (header::LOCATION, stored.location),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    // A replayed REST error keeps the id of the request it answered, in its body and here.
    if stored.http_status >= 400
        && let Some(id) = serde_json::from_str::<serde_json::Value>(&body_text)
            .ok()
            .and_then(|body| body["error"]["requestId"].as_str().map(str::to_owned))
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        headers.insert("x-request-id", value);
    }
    no_store(&mut response);
    response
        .extensions_mut()
        .insert(Outcome(Cow::Borrowed("IDEMPOTENT_REPLAY")));
    response
}

/// Stores the response under its claim (sealed: it may carry a secret) with the headers a
/// replay repeats, or releases the claim when the server failed, so a retry may run. A
/// refusal's body is written first, so a replay repeats the body the caller saw.
pub(super) async fn complete_idempotency(
    services: &Services,
    claim: IdempotencyClaim,
    dialect: super::refusal::Dialect,
    request_id: Option<&str>,
    response: Response,
) -> Response {
    let response = super::refusal::encode(dialect, request_id, response);
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => String::from_utf8(bytes.to_vec()).ok(),
        Err(_) => None,
    };
    let Some(text) = text else {
        tracing::error!("could not read a response to store it for Idempotency-Key replays");
        idempotent::complete(
            services,
            claim,
            &StoredResponse {
                http_status: 500,
                content_type: None,
                location: None,
                body: String::new(),
            },
        )
        .await;
        return api_error_response(&ApiError::internal());
    };
    let header_text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let stored = StoredResponse {
        http_status: parts.status.as_u16(),
        content_type: header_text(header::CONTENT_TYPE),
        location: header_text(header::LOCATION),
        body: text,
    };
    idempotent::complete(services, claim, &stored).await;
    Response::from_parts(parts, axum::body::Body::from(Bytes::from(stored.body)))
}

/// Runs a claimed request and the storing of its answer to their end, even when the client goes
/// away half-way: dropped with it, the claim would stay in progress and every retry under the
/// key would be refused until it expires, whether or not the change was made.
pub(super) async fn run_to_completion<F>(work: F) -> Response
where
    F: Future<Output = Response> + Send + 'static,
{
    match tokio::spawn(work).await {
        Ok(response) => response,
        Err(err) => {
            // The claim stays in progress: a retry is refused rather than run twice.
            tracing::error!(error = %err, "an idempotent request did not finish");
            api_error_response(&ApiError::internal())
        }
    }
}
