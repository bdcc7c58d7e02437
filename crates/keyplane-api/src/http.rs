//! The HTTP surface: `/graphql` (GraphQL over HTTP), `POST /v1/verify`, `POST /auth/login` and
//! `/auth/logout`, the event queue (`GET /v1/events`, `/v1/events/stream`), leak reports
//! (`POST /v1/leaks`), `/healthz`, `/readyz`, `/metrics`, and the web console under
//! `/console` (`/` redirects there). Every error body carries `extensions.code`.

mod activity;
mod admission;
mod client;
pub(crate) mod credentials;
mod events;
mod graphql;
mod graphql_response;
mod health;
mod idempotency;
mod leaks;
mod negotiation;
pub(crate) mod refusal;
mod response;
pub(crate) mod rest;
pub(crate) mod serve;
mod sessions;
mod transport_security;
mod v1_verify;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::response::Redirect;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;
use tracing::Level;

use keyplane_service::Services;

use crate::metrics::Metrics;
use crate::schema::parse_cache::ParseCache;
use crate::schema::{HttpSettings, KeyplaneSchema, build_schema_with, root_field_names};

#[derive(Clone)]
struct AppState {
    schema: KeyplaneSchema,
    /// Behind an `Arc`: axum clones the state for every request, and a clone of `Services`
    /// is a dozen reference counts and an allocation.
    services: Arc<Services>,
    metrics: Arc<Metrics>,
    http: Arc<HttpSettings>,
}

/// The whole HTTP surface of Keyplane.
pub fn router(services: Services, http: HttpSettings) -> Router {
    let max_body = http.max_body_bytes;
    let parse_cache = Arc::new(ParseCache::new(http.parse_cache_capacity));
    let schema = build_schema_with(services.clone(), Arc::clone(&parse_cache));
    let (rest_router, self_authenticating, document) = rest::routes();
    // The `operation` label takes the schema's root fields and the REST operations.
    let mut operations = root_field_names(&schema);
    operations.extend(rest::operation_names(&document));
    let mut metrics = Metrics::new(
        Arc::clone(&services.cache),
        services.store.clone(),
        services.write_behind.clone(),
        Arc::clone(&services.rate_limiter),
        operations,
    );
    metrics.watch_parse_cache(parse_cache);
    let metrics = Arc::new(metrics);
    let state = AppState {
        schema,
        services: Arc::new(services),
        metrics,
        http: Arc::new(http),
    };
    let rest_router = rest::admitted(rest_router, &state, &document);
    let openapi = Arc::new(rest::document_json(document));
    Router::new()
        .merge(rest_router)
        .merge(self_authenticating)
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let openapi = Arc::clone(&openapi);
                async move { rest::openapi_response(&openapi) }
            }),
        )
        .route("/graphql", get(graphql::graphql_get).post(graphql::graphql_post))
        .route("/v1/verify", post(v1_verify::v1_verify))
        .route("/auth/login", post(sessions::login))
        .route("/auth/logout", post(sessions::logout))
        .route("/v1/events", get(events::read_events))
        .route("/v1/events/stream", get(events::stream_events))
        .route("/v1/leaks", post(leaks::report_leaks))
        // Every API route above is recorded; the console, health and metrics below are not.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), activity::record_activity))
        .route("/", get(|| async { Redirect::temporary(keyplane_console::PATH) }))
        .nest_service(keyplane_console::PATH, keyplane_console::router())
        .route("/api/v1/docs", get(|| async { keyplane_console::api_reference_page() }))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(health::not_found)
        .method_not_allowed_fallback(health::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            transport_security::strict_transport_security,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(refusal::write_refusals))
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
