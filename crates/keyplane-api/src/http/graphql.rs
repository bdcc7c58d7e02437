//! GraphQL over HTTP: `POST /graphql`, `GET /graphql` (queries, or GraphiQL for a browser).

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::Positioned;
use async_graphql::Variables;
use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType as GqlOperationType, Selection,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use keyplane_domain::ErrorCode;
use keyplane_domain::activity::OUTCOME_OK;
use serde::Deserialize;

use super::AppState;
use super::admission::{Admission, Asker, admit};
use super::client::Client;
use super::credentials::{Credential, credential};
use super::graphql_response::{ensure_code, error_code, graphql_response};
use super::idempotency::{
    IdempotencyStep, complete_idempotency, idempotency_claim, idempotency_key, run_to_completion,
};
use super::negotiation::ResponseFormat;
use super::refusal::Dialect;
use super::response::{Outcome, Performed, error_response, json_body, rate_limit_headers};
use super::sessions::secure_cookies;
use crate::schema::people::{ClientAddress, CookieSecurity, UserAgent};
use crate::schema::redaction::{RequestLiterals, syntax_error};
use crate::schema::{RelatedKeys, RequestObservation, selected_root_fields, set_code};
use keyplane_domain::idempotency::RequestShape;

pub(super) async fn graphql_post(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(format) = ResponseFormat::negotiate(&headers) else {
        return not_acceptable();
    };
    let response = post(&state, client, &headers, format, body).await;
    written_as(format, response)
}

async fn post(
    state: &AppState,
    client: Client,
    headers: &HeaderMap,
    format: ResponseFormat,
    body: Result<Bytes, BytesRejection>,
) -> Response {
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
    execute(
        state,
        Asker { client, headers },
        format,
        request,
        Source::Body(&body),
        Admission::Change,
    )
    .await
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
    client: Client,
    headers: HeaderMap,
    params: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let wants_page = params.as_ref().is_ok_and(|p| p.query.is_none())
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        return graphiql();
    }
    let Some(format) = ResponseFormat::negotiate(&headers) else {
        return not_acceptable();
    };
    let response = get(&state, client, &headers, format, params).await;
    written_as(format, response)
}

async fn get(
    state: &AppState,
    client: Client,
    headers: &HeaderMap,
    format: ResponseFormat,
    params: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "malformed query string",
        );
    };
    let Some(query) = params.query else {
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
            let mut error = syntax_error(&err);
            set_code(&mut error, ErrorCode::GraphqlParseFailed);
            let errors = async_graphql::Response::from_errors(vec![error]);
            let mut response = graphql_response(format, errors, None);
            let outcome = Cow::Borrowed(ErrorCode::GraphqlParseFailed.as_str());
            response.extensions_mut().insert(Outcome(outcome));
            return response;
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
    let mut request = async_graphql::Request::new(query.clone()).variables(variables.clone());
    if let Some(name) = &params.operation_name {
        request = request.operation_name(name.clone());
    }
    let source = Source::Get {
        document,
        variables,
        operation_name: params.operation_name,
    };
    let asker = Asker { client, headers };
    execute(state, asker, format, request, source, Admission::Read).await
}

/// 406: the client accepts neither media type `/graphql` answers in.
fn not_acceptable() -> Response {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::BadRequest,
        "accept application/graphql-response+json or application/json",
    )
}

/// Labels every `/graphql` answer with the negotiated media type: errors written before
/// execution are the same JSON shape in either.
fn written_as(format: ResponseFormat, mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, format.content_type());
    response
}

/// Where a request's text came from, to find its literals again if an error must be redacted.
pub(super) enum Source<'a> {
    /// A POST body (also what an `Idempotency-Key` fingerprints).
    Body(&'a Bytes),
    /// A GET's parsed query and variables.
    Get {
        document: ExecutableDocument,
        variables: Variables,
        operation_name: Option<String>,
    },
}

impl Source<'_> {
    fn body(&self) -> Option<&Bytes> {
        match self {
            Self::Body(body) => Some(body),
            Self::Get { .. } => None,
        }
    }

    /// Every literal value of the request. Runs only when a response has errors.
    fn literals(&self) -> RequestLiterals {
        match self {
            Self::Body(body) => match serde_json::from_slice::<async_graphql::Request>(body) {
                Ok(request) => {
                    let document = async_graphql::parser::parse_query(&request.query).ok();
                    RequestLiterals::of(
                        document.as_ref(),
                        &request.variables,
                        request.operation_name.as_deref(),
                    )
                }
                Err(_) => RequestLiterals::default(),
            },
            Self::Get {
                document,
                variables,
                operation_name,
            } => RequestLiterals::of(Some(document), variables, operation_name.as_deref()),
        }
    }
}

/// The operations a request's `operationName` selects: the named one, or every one when none
/// is named (execution then refuses a document with several).
fn selected_operations<'d>(
    document: &'d ExecutableDocument,
    operation_name: Option<&'d str>,
) -> impl Iterator<Item = &'d Positioned<OperationDefinition>> {
    document
        .operations
        .iter()
        .filter(move |(name, _)| match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        })
        .map(|(_, operation)| operation)
}

/// The mutation that answers a stored secret: a read with an audit row of its own, so its
/// answer is never stored for `Idempotency-Key` replays (a retry would get the secret again
/// without the row). It runs as if no key were sent.
const REVEAL: &str = "revealApiKeySecret";

/// Refuses a mutation under an `Idempotency-Key` that reveals a secret beside other root
/// fields: the others would be kept from running twice and the reveal not, so the key could
/// not keep its promise for the whole request.
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished response, built once per refused request"
)]
fn secret_reads_alone(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Result<(), Response> {
    let fields = selected_root_fields(document, operation_name);
    let reveals = fields.iter().any(|field| field == REVEAL);
    let others = fields
        .iter()
        .any(|field| field != REVEAL && field != "__typename");
    if reveals && others {
        return Err(error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "revealApiKeySecret is never replayed under an Idempotency-Key: send it in a request of its own",
        ));
    }
    Ok(())
}

/// Whether the operation a request selects is a mutation.
pub(super) fn selects_mutation(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> bool {
    selected_operations(document, operation_name).any(|op| op.node.ty == GqlOperationType::Mutation)
}

/// Whether the request is `acceptInvitation` and nothing else: the one operation that runs
/// without a credential (the link's token is one).
fn only_accepts_invitation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let mut operations = selected_operations(&document, request.operation_name.as_deref());
    let (Some(operation), None) = (operations.next(), operations.next()) else {
        return false;
    };
    operation.node.ty == GqlOperationType::Mutation
        && operation
            .node
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(field) => {
                    matches!(
                        field.node.name.node.as_str(),
                        "acceptInvitation" | "__typename"
                    )
                }
                _ => false,
            })
}

/// Authenticates, then executes. Nothing runs for a request without a usable credential, but
/// `acceptInvitation` alone.
pub(super) async fn execute(
    state: &AppState,
    asker: Asker<'_>,
    format: ResponseFormat,
    request: async_graphql::Request,
    source: Source<'_>,
    admission: Admission,
) -> Response {
    let services = &state.services;
    let headers = asker.headers;
    let anonymous = admission == Admission::Change
        && matches!(
            credential(
                headers,
                secure_cookies(
                    headers,
                    &services.settings.public_url,
                    asker.client.via_trusted_proxy
                )
            ),
            Ok(Credential::None)
        )
        && only_accepts_invitation(&request);
    let (principal, decision) = if anonymous {
        (None, None)
    } else {
        match admit(state, asker, admission).await {
            Ok((principal, decision)) => (Some(principal), decision),
            Err(refusal) => return refusal,
        }
    };
    let idempotency = match (&principal, source.body()) {
        (Some(principal), Some(body)) => {
            let key = match idempotency_key(headers) {
                Ok(key) => key,
                Err(response) => return response,
            };
            let document = key
                .as_ref()
                .and_then(|_| async_graphql::parser::parse_query(&request.query).ok());
            let operation_name = request.operation_name.as_deref();
            let is_mutation = document
                .as_ref()
                .is_some_and(|document| selects_mutation(document, operation_name));
            if is_mutation
                && let Some(document) = &document
                && let Err(response) = secret_reads_alone(document, operation_name)
            {
                return response;
            }
            let reads_a_secret = document.as_ref().is_some_and(|document| {
                selected_root_fields(document, operation_name)
                    .iter()
                    .any(|field| field == REVEAL)
            });
            match key.filter(|_| is_mutation && !reads_a_secret) {
                Some(key) => {
                    let shape = RequestShape {
                        method: "POST",
                        path: "/graphql",
                        body,
                    };
                    match idempotency_claim(services, principal, key, shape).await {
                        Ok(IdempotencyStep::Run(claim)) => claim,
                        Ok(IdempotencyStep::Answer(response)) | Err(response) => return response,
                    }
                }
                None => None,
            }
        }
        (Some(_), None) => match idempotency_key(headers) {
            Ok(_) => None,
            Err(response) => return response,
        },
        (None, _) => None,
    };
    let environment_id = principal.as_ref().map(|p| p.environment.id.clone());
    let api_key_id = principal
        .as_ref()
        .and_then(|p| p.key())
        .map(|k| k.id.clone());
    let user_id = principal
        .as_ref()
        .and_then(|p| p.user())
        .map(|s| s.user.id.clone());
    let observation = Arc::new(RequestObservation::new(request.operation_name.clone()));
    let mut request = request
        .data(Arc::clone(&observation))
        .data(RelatedKeys::default())
        .data(ClientAddress(asker.client.address))
        .data(CookieSecurity {
            secure: secure_cookies(
                headers,
                &services.settings.public_url,
                asker.client.via_trusted_proxy,
            ),
        });
    if let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        request = request.data(UserAgent(agent.to_owned()));
    }
    if let Some(principal) = principal {
        request = request.data(principal);
    }
    let performed = Performed {
        environment_id,
        api_key_id,
        user_id,
        ..Performed::default()
    };
    let schema = state.schema.clone();
    match (idempotency, source.body().cloned()) {
        (Some(claim), Some(body)) => {
            let services = Arc::clone(&state.services);
            run_to_completion(async move {
                let literals = || Source::Body(&body).literals();
                let http = run(
                    schema,
                    request,
                    format,
                    observation,
                    performed,
                    decision,
                    literals,
                )
                .await;
                complete_idempotency(&services, claim, Dialect::Graphql, None, http).await
            })
            .await
        }
        _ => {
            let literals = || source.literals();
            run(
                schema,
                request,
                format,
                observation,
                performed,
                decision,
                literals,
            )
            .await
        }
    }
}

/// Executes an admitted request and writes its answer, labelled for the activity recorder:
/// `performed` names the caller, and gains what ran. `literals` finds the request's literal
/// values, to redact them from error messages.
async fn run(
    schema: crate::schema::KeyplaneSchema,
    request: async_graphql::Request,
    format: ResponseFormat,
    observation: Arc<RequestObservation>,
    performed: Performed,
    decision: Option<keyplane_service::rate_limit::RateDecision>,
    literals: impl FnOnce() -> RequestLiterals,
) -> Response {
    let mut response = schema.execute(request).await;
    if !response.errors.is_empty() {
        let literals = literals();
        for error in &mut response.errors {
            ensure_code(error);
            error.message = literals.redact(&error.message);
        }
    }
    let outcome = response
        .errors
        .first()
        .and_then(error_code)
        .map_or(Cow::Borrowed(OUTCOME_OK), Cow::Owned);
    let (operation_name, operation_type, root_fields) = observation.operation();
    let mut http = graphql_response(format, response, Some(&observation));
    http.extensions_mut().insert(Outcome(outcome));
    http.extensions_mut().insert(Performed {
        operation_name,
        operation_type,
        root_fields: root_fields.into_iter().map(Cow::Owned).collect(),
        ran: observation.ran().into_iter().map(Cow::Owned).collect(),
        ..performed
    });
    if let Some(decision) = decision {
        rate_limit_headers(&mut http, decision);
    }
    http
}

/// GraphiQL for a browser: the page built with the console (bundled, no CDN). A key goes in its
/// header editor; a signed-in person's session cookie comes along by itself.
pub(super) fn graphiql() -> Response {
    keyplane_console::graphiql_page()
}
