//! The REST API under `/api/v1`: every key operation as plain HTTP, each handler a thin
//! adapter over the same `keyplane-service` use case the GraphQL resolver calls, and the
//! OpenAPI 3.1 document generated from the handlers' own types (utoipa).
//!
//! Conventions: `X-API-Key` (or a person's session with `Keyplane-Environment`); JSON in
//! camelCase; `Idempotency-Key` on every POST; cursor lists (`limit`, `starting_after`,
//! `ending_before`) answered as `{data, has_more, next_cursor}`; one error body,
//! `{"error": {"code", "message", "field", "requiredScope", "requestId"}}`
//! (`refusal::write_refusals`).

mod admission;
mod api_keys;
mod bulk_revoke;
mod common;
mod doc;
mod environment;
mod event_queue;
mod input;
mod integrations;
mod key_actions;
mod key_listing;
mod list;
mod records;
mod types;
mod webhooks;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub(super) use doc::{ApiDoc, Refusals};

/// The REST resources: each call passes the one admission of [`admission::admit_rest`].
fn resources() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(
            key_listing::list_api_keys,
            api_keys::create_api_key
        ))
        .routes(routes!(api_keys::get_api_key, api_keys::update_api_key))
        .routes(routes!(key_actions::rotate_api_key))
        .routes(routes!(key_actions::revoke_api_key))
        .routes(routes!(key_actions::disable_api_key))
        .routes(routes!(key_actions::enable_api_key))
        .routes(routes!(key_actions::reveal_api_key))
        .routes(routes!(bulk_revoke::bulk_revoke_api_keys))
        .routes(routes!(records::list_key_audit_events))
        .routes(routes!(records::key_usage))
        .routes(routes!(records::list_audit_events))
        .routes(routes!(records::list_activity))
        .routes(routes!(environment::get_environment))
        .routes(routes!(environment::set_default_rate_limit))
        .routes(routes!(environment::set_client_security))
        .routes(routes!(environment::rotate_signing_secret))
        .routes(routes!(environment::set_recoverable_keys))
        .routes(routes!(environment::set_leak_policy))
        .routes(routes!(
            integrations::list_integrations,
            integrations::connect_integration
        ))
        .routes(routes!(integrations::get_integration))
        .routes(routes!(integrations::disconnect_integration))
        .routes(routes!(
            webhooks::list_webhook_endpoints,
            webhooks::create_webhook_endpoint
        ))
        .routes(routes!(
            webhooks::get_webhook_endpoint,
            webhooks::update_webhook_endpoint,
            webhooks::delete_webhook_endpoint
        ))
        .routes(routes!(webhooks::rotate_webhook_secret))
        .routes(routes!(webhooks::list_webhook_deliveries))
        .routes(routes!(webhooks::replay_webhook_delivery))
        .routes(routes!(event_queue::create_event_queue_credentials))
}

/// The `/api/v1` routes that authenticate on their own, each with its own credential: a key's
/// verification, event-queue credentials, the leak reporter's token. Their `/v1` paths are the
/// same handlers.
fn self_authenticating() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(super::v1_verify::v1_verify))
        .routes(routes!(super::events::read_events))
        .routes(routes!(super::events::stream_events))
        .routes(routes!(super::leaks::report_leaks))
}

/// The REST routes and the document describing them all: the resources (not yet admitted: see
/// [`admitted`]) and the self-authenticating routes.
pub(super) fn routes() -> (Router<AppState>, Router<AppState>, utoipa::openapi::OpenApi) {
    let (resources, mut document) = resources().split_for_parts();
    doc::admitted_headers(&mut document);
    let (own, own_document) = self_authenticating().split_for_parts();
    document.merge(own_document);
    (resources, own, doc::finish(document))
}

/// The REST resources behind their one admission, which refuses a query string sent to an
/// operation the document gives no query parameter.
pub(super) fn admitted(
    router: Router<AppState>,
    state: &AppState,
    document: &utoipa::openapi::OpenApi,
) -> Router<AppState> {
    router
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admission::admit_rest,
        ))
        .route_layer(axum::Extension(std::sync::Arc::new(queryless(document))))
}

/// Every operation of `document` with its method and path.
fn operations(
    document: &utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&'static str, &String, &utoipa::openapi::path::Operation)> {
    document.paths.paths.iter().flat_map(|(path, item)| {
        [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ]
        .into_iter()
        .filter_map(move |(method, operation)| Some((method, path, operation.as_ref()?)))
    })
}

/// The operations (`METHOD /path`) that take no query parameter.
fn queryless(document: &utoipa::openapi::OpenApi) -> admission::Queryless {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::ParameterIn;
    let names = operations(document)
        .filter(|(_, _, operation)| {
            !operation.parameters.iter().flatten().any(|parameter| {
                matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Query)
            })
        })
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    admission::Queryless(names)
}

/// Every operation as the activity log and the metrics name it: `METHOD /path`.
pub(super) fn operation_names(document: &utoipa::openapi::OpenApi) -> Vec<String> {
    operations(document)
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect()
}

/// The document as served and committed: pretty JSON, with a final newline.
pub(super) fn document_json(document: utoipa::openapi::OpenApi) -> String {
    let mut text = document
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    text.push('\n');
    text
}

/// `GET /api/v1/openapi.json`.
pub(super) fn openapi_response(text: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text.to_owned(),
    )
        .into_response()
}

/// The OpenAPI document as the server serves it at `GET /api/v1/openapi.json` and the
/// repository commits it (`openapi.json`).
pub fn openapi_json() -> String {
    document_json(routes().2)
}
