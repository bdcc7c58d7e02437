//! GraphQL over HTTP: `POST /graphql`, `GET /graphql` (queries, or GraphiQL for a browser).

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{ExecutableDocument, OperationType as GqlOperationType};
use async_graphql::{ServerError, Variables};
use async_graphql_axum::GraphQLResponse;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use keyplane_domain::ErrorCode;
use keyplane_domain::activity::OUTCOME_OK;
use serde::Deserialize;

use super::AppState;
use super::admission::admit;
use super::idempotency::{IdempotencyStep, complete_idempotency, idempotency_claim};
use super::response::{
    Outcome, Performed, error_response, json_body, no_store, rate_limit_headers,
};
use crate::schema::{RequestObservation, set_code};

pub(super) async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (state, headers) = (&state, &headers);
    let body = match json_body(headers, body) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "batched requests are not supported: send one operation per request",
        );
    }
    let request = match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) if !request.query.trim().is_empty() => request,
        _ => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "the body must be a JSON object with a \"query\" string",
            );
        }
    };
    execute(state, headers, request, Some(&body)).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
}

pub(super) async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (state, headers) = (&state, &headers);
    let Ok(Query(params)) = params else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "malformed query string",
        );
    };
    let Some(query) = params.query else {
        let wants_html = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        if wants_html {
            return graphiql();
        }
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "missing query parameter",
        );
    };
    // GET may only read: find the operation's type before anything runs.
    let document = match async_graphql::parser::parse_query(&query) {
        Ok(document) => document,
        Err(err) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::GraphqlParseFailed,
                &err.to_string(),
            );
        }
    };
    if selects_mutation(&document, params.operation_name.as_deref()) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadRequest,
            "mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let variables = match params
        .variables
        .as_deref()
        .map(serde_json::from_str::<Variables>)
    {
        None => Variables::default(),
        Some(Ok(variables)) => variables,
        Some(Err(_)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "variables must be a JSON object",
            );
        }
    };
    let mut request = async_graphql::Request::new(query).variables(variables);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    execute(state, headers, request, None).await
}

/// Whether the operation a request selects is a mutation.
pub(super) fn selects_mutation(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> bool {
    document.operations.iter().any(|(name, op)| {
        let selected = match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        selected && op.node.ty == GqlOperationType::Mutation
    })
}

/// Authenticates, then executes. Nothing runs for a request without a usable key.
pub(super) async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
    body: Option<&Bytes>,
) -> Response {
    let services = &state.services;
    let (principal, decision) = match admit(services, headers).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let idempotency = match idempotency_claim(services, headers, &principal, &request, body).await {
        Ok(IdempotencyStep::Run(claim)) => claim,
        Ok(IdempotencyStep::Answer(response)) => return response,
        Err(response) => return response,
    };
    let (environment_id, api_key_id) = (principal.environment.id.clone(), principal.key.id.clone());
    let observation = Arc::new(RequestObservation::new(request.operation_name.clone()));
    let request = request.data(principal).data(Arc::clone(&observation));
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        ensure_code(error);
    }
    let status = response_status(&response, &observation);
    let outcome = response
        .errors
        .first()
        .and_then(error_code)
        .map_or(Cow::Borrowed(OUTCOME_OK), Cow::Owned);
    let (operation_name, operation_type, root_fields) = observation.operation();
    let mut http = GraphQLResponse::from(response).into_response();
    http.extensions_mut().insert(Outcome(outcome));
    http.extensions_mut().insert(Performed {
        environment_id,
        api_key_id,
        operation_name,
        operation_type,
        root_fields: root_fields.into_iter().map(Cow::Owned).collect(),
    });
    *http.status_mut() = status;
    no_store(&mut http);
    if let Some(decision) = decision {
        rate_limit_headers(&mut http, decision);
    }
    match idempotency {
        Some(claim) => complete_idempotency(services, claim, http).await,
        None => http,
    }
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

pub(super) fn response_status(
    response: &async_graphql::Response,
    tally: &RequestObservation,
) -> StatusCode {
    if response.errors.is_empty() {
        return StatusCode::OK;
    }
    let not_executable = response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| {
            matches!(
                error_code(e).as_deref(),
                Some("GRAPHQL_PARSE_FAILED" | "GRAPHQL_VALIDATION_FAILED")
            )
        });
    if not_executable {
        StatusCode::BAD_REQUEST
    } else if tally.all_forbidden() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    }
}

pub(super) fn graphiql() -> Response {
    let page = GraphiQLSource::build()
        .endpoint("/graphql")
        .title("Keyplane GraphiQL")
        .header("X-API-Key", "")
        .finish();
    Html(page).into_response()
}
