//! The one admission of every REST resource call: authentication and rate limit (the same
//! `admission::admit` as `/graphql`), `Idempotency-Key` on POST (the same claim store), and
//! what the activity log and the metrics record of the call.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use keyplane_domain::ErrorCode;
use keyplane_domain::activity::{OUTCOME_OK, OperationType};
use keyplane_domain::idempotency::RequestShape;
use keyplane_service::rate_limit::RateDecision;

use super::super::AppState;
use super::super::admission::{Admission, Asker, admit};
use super::super::client::Client;
use super::super::idempotency::{
    IdempotencyStep, complete_idempotency, idempotency_claim, idempotency_key, performed_by,
    run_to_completion,
};
use super::super::refusal::{Dialect, RequestId};
use super::super::response::{Outcome, error_response, rate_limit_headers, unread_body};

/// The operations (`METHOD /path`) that take no query parameter, from the document.
#[derive(Debug)]
pub(super) struct Queryless(pub(super) HashSet<String>);

/// Admits the call, runs it (at most once per `Idempotency-Key`), and labels its response for
/// the activity recorder. The handler finds the caller as an `Extension<Principal>`.
pub(super) async fn admit_rest(
    State(state): State<AppState>,
    client: Client,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let operation = parts
        .extensions
        .get::<MatchedPath>()
        .map(|path| format!("{} {}", parts.method, path.as_str()));
    let asker = Asker {
        client,
        headers: &parts.headers,
    };
    let (principal, decision) =
        match admit(&state, asker, Admission::of_method(&parts.method)).await {
            Ok(admitted) => admitted,
            Err(refusal) => return refusal,
        };
    let queryless = parts
        .extensions
        .get::<Arc<Queryless>>()
        .zip(operation.as_ref())
        .is_some_and(|(queryless, operation)| queryless.0.contains(operation));
    let mut performed = performed_by(&principal);
    performed.operation_name = operation.clone();
    performed.operation_type = Some(if parts.method.is_safe() {
        OperationType::Query
    } else {
        OperationType::Mutation
    });
    performed.ran = operation.into_iter().map(Cow::Owned).collect();
    let labelled = |response: Response| label(response, &performed, decision);
    if parts.uri.query().is_some() && (queryless || !parts.method.is_safe()) {
        // An operation that takes no query parameter (none that changes something does) refuses
        // them rather than ignore them (they would also make a retry a different request).
        return labelled(error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "this operation takes no query parameters",
        ));
    }
    let key = match idempotency_key(&parts.headers) {
        Ok(key) => key.filter(|_| parts.method == Method::POST && !reads_a_secret(&performed)),
        Err(refusal) => return labelled(refusal),
    };
    let (body, claim) = match key {
        None => (body, None),
        Some(key) => {
            let bytes = match axum::body::to_bytes(body, state.http.max_body_bytes).await {
                Ok(bytes) => bytes,
                Err(err) => return labelled(unread_body(&err)),
            };
            let path = parts
                .uri
                .path_and_query()
                .map_or(parts.uri.path(), |p| p.as_str());
            let shape = RequestShape {
                method: parts.method.as_str(),
                path,
                body: &bytes,
            };
            match idempotency_claim(&state.services, &principal, key, shape).await {
                Ok(IdempotencyStep::Run(claim)) => (Body::from(bytes), claim),
                Ok(IdempotencyStep::Answer(replay)) | Err(replay) => return labelled(replay),
            }
        }
    };
    let request_id = parts.extensions.get::<RequestId>().cloned();
    parts.extensions.insert(principal.clone());
    let request = Request::from_parts(parts, body);
    let run = move || async move {
        let mut response = next.run(request).await;
        if response.extensions().get::<Outcome>().is_none() {
            response
                .extensions_mut()
                .insert(Outcome(Cow::Borrowed(OUTCOME_OK)));
        }
        label(response, &performed, decision)
    };
    match claim {
        Some(claim) => {
            let services = state.services.clone();
            run_to_completion(async move {
                let response = run().await;
                let id = request_id.as_ref().map(|RequestId(id)| id.as_str());
                complete_idempotency(&services, claim, Dialect::Rest, id, response).await
            })
            .await
        }
        None => run().await,
    }
}

/// `response` labelled for the activity recorder (who asked, what ran) with the rate limit's
/// headers.
fn label(
    mut response: Response,
    performed: &super::super::response::Performed,
    decision: Option<RateDecision>,
) -> Response {
    response.extensions_mut().insert(performed.clone());
    if let Some(decision) = decision {
        rate_limit_headers(&mut response, decision);
    }
    response
}

/// Whether the call answers a stored secret (`revealApiKey`): it is a read with an audit row of
/// its own, so its answer is never stored for replays, where a retry would get the secret
/// again without the audit row.
fn reads_a_secret(performed: &super::super::response::Performed) -> bool {
    performed
        .operation_name
        .as_deref()
        .is_some_and(|name| name == "POST /api/v1/api-keys/{id}/reveal")
}
