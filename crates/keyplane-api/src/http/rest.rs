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
mod doc;
mod input;
mod list;
mod records;
mod types;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub(super) use doc::ApiDoc;

/// The REST resources: each call passes the one admission of [`admission::admit_rest`].
fn resources() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api_keys::list_api_keys, api_keys::create_api_key))
        .routes(routes!(api_keys::get_api_key, api_keys::update_api_key))
        .routes(routes!(api_keys::rotate_api_key))
        .routes(routes!(api_keys::revoke_api_key))
        .routes(routes!(api_keys::disable_api_key))
        .routes(routes!(api_keys::enable_api_key))
        .routes(routes!(api_keys::reveal_api_key))
        .routes(routes!(api_keys::bulk_revoke_api_keys))
        .routes(routes!(records::list_key_audit_events))
        .routes(routes!(records::key_usage))
        .routes(routes!(records::list_audit_events))
        .routes(routes!(records::list_activity))
}

/// The REST routes (not yet admitted: see [`admitted`]) and the document describing them.
pub(super) fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, document) = resources().split_for_parts();
    (router, doc::finish(document))
}

/// The REST routes behind their one admission.
pub(super) fn admitted(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        admission::admit_rest,
    ))
}

/// Every operation as the activity log and the metrics name it: `METHOD /path`.
pub(super) fn operation_names(document: &utoipa::openapi::OpenApi) -> Vec<String> {
    let mut names = Vec::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ] {
            if operation.is_some() {
                names.push(format!("{method} {path}"));
            }
        }
    }
    names
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
    document_json(routes().1)
}
