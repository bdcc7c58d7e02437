//! GraphQL over HTTP: `POST /graphql` (JSON only), `GET /graphql` (queries, or GraphiQL for a
//! browser), `/healthz`, `/readyz`. Every error body carries `extensions.code`.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{ExecutableDocument, OperationType as GqlOperationType};
use async_graphql::{ServerError, Variables};
use async_graphql_axum::GraphQLResponse;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use keyplane_domain::ErrorCode;
use keyplane_domain::activity::{NewActivityEvent, OUTCOME_OK, OperationType};
use keyplane_domain::client_security::ClientProof;
use keyplane_domain::idempotency;
use keyplane_domain::rate_limit::effective_limit;
use keyplane_domain::verification::VerificationCode;
use keyplane_store::Claim;
use serde::{Deserialize, Serialize};
use tower_http::trace::TraceLayer;
use tracing::Level;

use crate::auth::authenticate;
use crate::client_security::check_publishable;
use crate::error::ApiError;
use crate::rate_limit::RateDecision;
use crate::schema::{KeyplaneSchema, RequestObservation, Services, build_schema, set_code};
use crate::verify::{Verified, VerifyRequest, verify};
use keyplane_domain::scope::Scope;

#[derive(Clone)]
struct AppState {
    schema: KeyplaneSchema,
    /// Behind an `Arc`: axum clones the state for every request, and a clone of `Services`
    /// is a dozen reference counts and an allocation.
    services: Arc<Services>,
}

/// The whole HTTP surface of Keyplane.
pub fn router(services: Services) -> Router {
    let max_body = services.settings.max_body_bytes;
    let state = AppState {
        schema: build_schema(services.clone()),
        services: Arc::new(services),
    };
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/v1/verify", axum::routing::post(v1_verify))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), record_activity))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(
            // Only method and path are recorded: query strings, headers and bodies can carry
            // secrets and never reach a log.
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
                })
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .with_state(state)
}

/// A JSON error body in the GraphQL response shape, for failures before execution.
fn error_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    error_response_with_reason(status, code, message, None)
}

/// The same, with `extensions.reason` saying which check refused the request.
fn error_response_with_reason(
    status: StatusCode,
    code: ErrorCode,
    message: &str,
    reason: Option<&str>,
) -> Response {
    let mut extensions = serde_json::json!({ "code": code.as_str() });
    if let Some(reason) = reason {
        extensions["reason"] = serde_json::Value::from(reason);
    }
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": extensions }]
    });
    let mut response = (status, Json(body)).into_response();
    no_store(&mut response);
    response
        .extensions_mut()
        .insert(Outcome(Cow::Borrowed(code.as_str())));
    response
}

/// How a `/graphql` request ended, for the activity log: `OK` or the first error's code.
#[derive(Debug, Clone)]
struct Outcome(Cow<'static, str>);

/// Who made a `/graphql` request and what it ran, once it authenticated.
#[derive(Debug, Clone)]
struct Performed {
    environment_id: String,
    api_key_id: String,
    operation_name: Option<String>,
    operation_type: Option<OperationType>,
    root_fields: Vec<Cow<'static, str>>,
}

/// Times every API request (`/graphql`, `/v1/verify`) and records it once it has its response:
/// in the metrics, and in the activity log off the request path. What is not an API call (the
/// GraphiQL page) carries no `Outcome` and is not recorded.
async fn record_activity(
    State(state): State<AppState>,
    request: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let (started, at) = (Instant::now(), Utc::now());
    let response = next.run(request).await;
    let Some(Outcome(outcome)) = response.extensions().get::<Outcome>() else {
        return response;
    };
    let elapsed = started.elapsed();
    let performed = response.extensions().get::<Performed>();
    let root_fields = performed.map_or(&[][..], |p| p.root_fields.as_slice());
    let operation = match root_fields {
        [] => Cow::Borrowed("none"),
        [field] => field.clone(),
        fields => Cow::Owned(fields.join(",")),
    };
    state
        .services
        .metrics
        .observe(operation, outcome.clone(), elapsed);
    let event = NewActivityEvent {
        environment_id: performed.map(|p| p.environment_id.clone()),
        api_key_id: performed.map(|p| p.api_key_id.clone()),
        operation_name: performed.and_then(|p| p.operation_name.clone()),
        operation_type: performed.and_then(|p| p.operation_type),
        root_fields: root_fields.iter().map(|f| f.to_string()).collect(),
        outcome: outcome.clone().into_owned(),
        http_status: response.status().as_u16(),
        duration_micros: i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX),
        occurred_at: at,
    };
    state.services.write_behind.record(event).await;
    response
}

fn no_store(response: &mut Response) {
    // Responses may carry a secret shown once; no cache may keep any of them.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// An `ApiError` as a JSON body, with the same extensions the GraphQL path gives it.
fn api_error_response(status: StatusCode, err: &ApiError) -> Response {
    let mut extensions = serde_json::json!({ "code": err.code.as_str() });
    if let Some(field) = err.field {
        extensions["field"] = serde_json::Value::from(field);
    }
    if let Some(scope) = &err.required_scope {
        extensions["requiredScope"] = serde_json::Value::from(scope.as_str());
    }
    let body =
        serde_json::json!({ "errors": [{ "message": err.message, "extensions": extensions }] });
    let mut response = (status, Json(body)).into_response();
    no_store(&mut response);
    response
        .extensions_mut()
        .insert(Outcome(Cow::Borrowed(err.code.as_str())));
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The body of a JSON POST, or the refusal: 415 for another content type, 413 over the body
/// limit, 400 when it cannot be read.
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished response, built once per refused request; boxing it buys nothing"
)]
fn json_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes, Response> {
    if !is_json(headers) {
        return Err(error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "send the request as Content-Type: application/json",
        ));
    }
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the request body is too large"
        } else {
            "the request body could not be read"
        };
        error_response(status, ErrorCode::BadRequest, message)
    })
}

async fn graphql_post(
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
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
}

async fn graphql_get(
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

/// Lets a request in, or answers why not: authentication (401), the publishable key's
/// client-side security (401/403), then the key's rate limit (429). Notes the key as used.
async fn admit(
    services: &Services,
    headers: &HeaderMap,
) -> Result<(crate::auth::Principal, Option<RateDecision>), Response> {
    let now = Utc::now();
    let principal = authenticate(headers, services, now).await.map_err(|err| {
        let status = if err.code == ErrorCode::Unauthenticated {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        api_error_response(status, &err)
    })?;
    if let Some(refusal) = client_security_refusal(services, &principal, headers).await {
        return Err(refusal);
    }
    let limit = effective_limit(&principal.key, principal.environment.default_rate_limit);
    let decision = limit.map(|limit| services.rate_limiter.check(&principal.key.id, limit));
    if let Some(decision) = decision.filter(|d| !d.allowed) {
        let mut response = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "the API key is over its rate limit",
        );
        rate_limit_headers(&mut response, decision);
        return Err(response);
    }
    services.write_behind.touch(&principal.key.id, now);
    Ok((principal, decision))
}

/// The JSON body of `POST /v1/verify`: the same fields as `verifyApiKey`'s input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerifyBody {
    key: String,
    permission: Option<String>,
    customer_id: Option<String>,
    customer_token: Option<String>,
    origin: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifiedKey<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    key_type: &'static str,
}

/// Borrows everything it shows: the answer is written straight from the cached key.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifyAnswer<'a> {
    valid: bool,
    code: &'static str,
    api_key: Option<VerifiedKey<'a>>,
    environment: Option<&'a str>,
    scopes: Vec<String>,
    customer_id: Option<&'a str>,
    rate_limit: Option<RateLimitBody>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitBody {
    limit: u32,
    remaining: u32,
    reset_seconds: u64,
    retry_after_seconds: Option<u64>,
}

/// `POST /v1/verify`: `verifyApiKey` as plain JSON, for services that want the lowest latency.
async fn v1_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (state, headers) = (&state, &headers);
    let body = match json_body(headers, body) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let Ok(input) = serde_json::from_slice::<VerifyBody>(&body) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "the body must be a JSON object with a \"key\" string and optional permission, customerId, customerToken, origin",
        );
    };
    let services = &state.services;
    let (principal, decision) = match admit(services, headers).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let mut response = match principal.require(Scope::API_KEYS_READ) {
        Err(err) => api_error_response(StatusCode::FORBIDDEN, &err),
        Ok(()) => {
            let request = VerifyRequest {
                key: &input.key,
                permission: input.permission.as_deref(),
                customer_id: input.customer_id.as_deref(),
                customer_token: input.customer_token.as_deref(),
                origin: input.origin.as_deref(),
            };
            match verify(services, &principal, request).await {
                Ok(verified) => verify_answer(&principal, &verified),
                Err(err) => {
                    let status = if err.code == ErrorCode::BadUserInput {
                        StatusCode::BAD_REQUEST
                    } else {
                        StatusCode::INTERNAL_SERVER_ERROR
                    };
                    api_error_response(status, &err)
                }
            }
        }
    };
    response.extensions_mut().insert(Performed {
        environment_id: principal.environment.id.clone(),
        api_key_id: principal.key.id.clone(),
        operation_name: Some("POST /v1/verify".to_owned()),
        operation_type: None,
        root_fields: vec![Cow::Borrowed("verifyApiKey")],
    });
    if let Some(decision) = decision {
        rate_limit_headers(&mut response, decision);
    }
    response
}

fn verify_answer(principal: &crate::auth::Principal, verified: &Verified) -> Response {
    let key = verified.key.as_deref();
    let answer = VerifyAnswer {
        valid: verified.code == VerificationCode::Valid,
        code: verified.code.as_str(),
        environment: key.map(|_| principal.environment.slug.as_str()),
        scopes: key.map(|k| k.scopes.to_strings()).unwrap_or_default(),
        api_key: key.map(|k| VerifiedKey {
            id: &k.id,
            name: &k.name,
            key_type: k.key_type.as_str(),
        }),
        customer_id: verified.customer_id.as_deref(),
        rate_limit: verified.rate.map(|d| RateLimitBody {
            limit: d.limit,
            remaining: d.remaining,
            reset_seconds: d.reset_seconds,
            retry_after_seconds: d.retry_after_seconds,
        }),
    };
    // One buffer sized for a typical answer, rather than growing a writer in small steps.
    let mut body = Vec::with_capacity(384);
    if serde_json::to_writer(&mut body, &answer).is_err() {
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalServerError,
            "the answer could not be encoded",
        );
    }
    let mut response = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    no_store(&mut response);
    response
        .extensions_mut()
        .insert(Outcome(Cow::Borrowed(OUTCOME_OK)));
    response
}

/// Whether the operation a request selects is a mutation.
fn selects_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
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
async fn execute(
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

/// A claimed Idempotency-Key: where its response is stored once the request finishes.
struct IdempotencyClaim {
    environment_id: String,
    key: String,
}

enum IdempotencyStep {
    /// Execute; store the response under the claim, if any.
    Run(Option<IdempotencyClaim>),
    /// Answer without executing: a replay or a refusal.
    Answer(Response),
}

fn idempotency_context(environment_id: &str, key: &str) -> String {
    format!("idempotency:{environment_id}:{key}")
}

/// Claims the request's Idempotency-Key when it carries one and runs a mutation over POST.
/// Other requests ignore the header.
async fn idempotency_claim(
    services: &Services,
    headers: &HeaderMap,
    principal: &crate::auth::Principal,
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
    let environment_id = principal.environment.id.clone();
    let fingerprint = idempotency::fingerprint(&principal.key.id, body);
    let claim = services
        .store
        .claim_idempotency_key(
            &environment_id,
            &key,
            &principal.key.id,
            &fingerprint,
            Utc::now(),
            idempotency::RETENTION,
        )
        .await
        .map_err(|err| {
            api_error_response(StatusCode::INTERNAL_SERVER_ERROR, &ApiError::from(err))
        })?;
    let conflict = |status: StatusCode, message: &str| {
        error_response(status, ErrorCode::IdempotencyConflict, message)
    };
    match claim {
        Claim::Claimed => Ok(IdempotencyStep::Run(Some(IdempotencyClaim {
            environment_id,
            key,
        }))),
        Claim::Replay {
            http_status,
            sealed_response,
        } => {
            let context = idempotency_context(&environment_id, &key);
            let body = services.data_key.open(&context, &sealed_response).map_err(|err| {
                tracing::error!(error = %err, "a stored idempotent response does not open with the configured data key");
                api_error_response(StatusCode::INTERNAL_SERVER_ERROR, &ApiError::internal())
            })?;
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
        Claim::InProgress => {
            let mut response = conflict(
                StatusCode::CONFLICT,
                "a request with this Idempotency-Key has not finished",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(1));
            Err(response)
        }
        Claim::Mismatch => Err(conflict(
            StatusCode::UNPROCESSABLE_ENTITY,
            "this Idempotency-Key was used for a different request",
        )),
    }
}

/// Stores the response under its claim (sealed: it may carry a secret), or releases the claim
/// when the server failed, so a retry may run.
async fn complete_idempotency(
    services: &Services,
    claim: IdempotencyClaim,
    response: Response,
) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        tracing::error!("could not read a response to store it for Idempotency-Key replays");
        return api_error_response(StatusCode::INTERNAL_SERVER_ERROR, &ApiError::internal());
    };
    let stored = if parts.status.is_server_error() {
        services
            .store
            .release_idempotency_key(&claim.environment_id, &claim.key)
            .await
    } else {
        let context = idempotency_context(&claim.environment_id, &claim.key);
        let sealed = services.data_key.seal(&mut rand::rng(), &context, &bytes);
        services
            .store
            .complete_idempotency_key(
                &claim.environment_id,
                &claim.key,
                parts.status.as_u16(),
                sealed,
            )
            .await
    };
    if let Err(err) = stored {
        // The key stays claimed until it expires: a retry is refused rather than run twice.
        tracing::error!(error = %err, "could not store the response of an idempotent request");
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, ()> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| ()))
        .transpose()
}

/// Applies client-side security to a request made with the publishable key: `X-Customer-Id`,
/// `X-Customer-Token` and `Origin`. Answers the refusal, if any.
async fn client_security_refusal(
    services: &Services,
    principal: &crate::auth::Principal,
    headers: &HeaderMap,
) -> Option<Response> {
    let (Ok(customer_id), Ok(customer_token), Ok(origin)) = (
        header_text(headers, "x-customer-id"),
        header_text(headers, "x-customer-token"),
        header_text(headers, header::ORIGIN.as_str()),
    ) else {
        return Some(client_refusal(VerificationCode::InvalidCustomerToken));
    };
    let proof = ClientProof {
        customer_id,
        customer_token,
        origin,
    };
    let outcome = check_publishable(
        services,
        &principal.key,
        &principal.environment,
        proof,
        Utc::now(),
    )
    .await;
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(code)) => Some(client_refusal(code)),
        Err(err) => Some(api_error_response(StatusCode::INTERNAL_SERVER_ERROR, &err)),
    }
}

/// The refusal of a publishable-key request by client-side security, `extensions.reason`
/// naming the check.
fn client_refusal(code: VerificationCode) -> Response {
    let (status, error_code, message) = match code {
        VerificationCode::OriginNotAllowed => (
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this origin may not use the publishable key",
        ),
        VerificationCode::CustomerTokenRequired => (
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "send X-Customer-Id and X-Customer-Token with the publishable key",
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "the customer token is not valid for this customer",
        ),
    };
    let reason = match code {
        VerificationCode::OriginNotAllowed | VerificationCode::CustomerTokenRequired => code,
        _ => VerificationCode::InvalidCustomerToken,
    };
    error_response_with_reason(status, error_code, message, Some(reason.as_str()))
}

/// `RateLimit-Limit/Remaining/Reset`, and `Retry-After` when the request was refused.
fn rate_limit_headers(response: &mut Response, decision: RateDecision) {
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(decision.reset_seconds));
    if let Some(retry_after) = decision.retry_after_seconds {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
}

/// Every error leaves with a code. Resolver errors already carry one (`ApiError`); what is left
/// comes from async-graphql itself: with a path it is an argument that failed to coerce.
fn ensure_code(error: &mut ServerError) {
    let code = if error.path.is_empty() {
        ErrorCode::GraphqlValidationFailed
    } else {
        ErrorCode::BadUserInput
    };
    set_code(error, code);
}

fn error_code(error: &ServerError) -> Option<String> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.clone()),
        _ => None,
    }
}

fn response_status(response: &async_graphql::Response, tally: &RequestObservation) -> StatusCode {
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

fn graphiql() -> Response {
    let page = GraphiQLSource::build()
        .endpoint("/graphql")
        .title("Keyplane GraphiQL")
        .header("X-API-Key", "")
        .finish();
    Html(page).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.services.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Liveness: the process answers. Also the bare-JSON baseline of the HTTP benchmarks.
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.services.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::InternalServerError,
                "database unavailable",
            )
        }
        Err(_) => error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InternalServerError,
            "database timed out",
        ),
    }
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}
