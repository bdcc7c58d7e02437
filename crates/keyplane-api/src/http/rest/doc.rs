//! The parts of the OpenAPI document no handler states: its info, security schemes, tags, the
//! error body, and the refusals every operation can answer with.

use serde::Serialize;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use crate::schema::UsageGranularity;
use crate::schema::enums::{AuditEventSubject, OperationType};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keyplane API",
        description = "Issue and govern API keys: the key lifecycle, verification, audit and \
            activity, as plain HTTP over the same application layer as `/graphql`.\n\n\
            Authenticate with `X-API-Key`, or with a person's session (`Authorization: Bearer`) \
            and `Keyplane-Environment` naming the environment (`production`, `staging`, \
            `development`). Send `Idempotency-Key` with any POST to make a retry safe: the same \
            caller's same request within 24 hours gets the first answer again.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    // Schemas only query parameters name, which utoipa does not collect by itself.
    components(schemas(ErrorBody, ErrorObject, UsageGranularity, AuditEventSubject, OperationType)),
    tags(
        (name = "API keys", description = "Create, change, rotate, disable and revoke keys."),
        (name = "Verification", description = "May this key do that? The fast path for services."),
        (name = "Audit and activity", description = "What changed, and every API call."),
        (name = "Environment", description = "The caller's environment and its settings."),
        (name = "Integrations", description = "Third-party providers and their dedicated keys."),
        (name = "Webhooks", description = "Endpoints that receive the environment's events, and their deliveries."),
        (name = "Events", description = "The event queue, its credentials, and leak reports from scanning partners.")
    )
)]
pub(crate) struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "A server key (`server-…`), or a scoped or integration key.",
            ))),
        );
        for (name, what) in [
            (
                "eventQueue",
                "Event-queue credentials (`kpq_…`) from `POST /api/v1/event-queue-credentials`.",
            ),
            (
                "leakReporter",
                "The scanning partner's reporter token (`--leak-reporter-token`).",
            ),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(what))
                        .build(),
                ),
            );
        }
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A person's session token from `POST /auth/login`, with the \
                         `Keyplane-Environment` header.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every error: one object under `error`, with the same `code` vocabulary as GraphQL's
/// `extensions.code`. A secret is never echoed in an error.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "FORBIDDEN", "message": "this needs the api_keys:write scope", "requiredScope": "api_keys:write", "requestId": "0193a2f4-6b1c-7d2e-9f30-4a5b6c7d8e9f"}}))]
pub(crate) struct ErrorBody {
    error: ErrorObject,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorObject {
    /// `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `BAD_USER_INPUT`, `BAD_REQUEST`,
    /// `CONFLICT`, `PLAN_UPGRADE_REQUIRED`, `IDEMPOTENCY_CONFLICT`, `RATE_LIMITED`,
    /// `UNAVAILABLE` or `INTERNAL_SERVER_ERROR`.
    code: String,
    message: String,
    /// The input at fault, for `BAD_USER_INPUT`.
    #[schema(nullable = false)]
    field: Option<String>,
    /// The scope the caller lacks, for `FORBIDDEN`.
    #[schema(nullable = false)]
    required_scope: Option<String>,
    /// Which check refused the request, where a code has several.
    #[schema(nullable = false)]
    reason: Option<String>,
    /// The id of this request, also in `X-Request-Id`.
    #[schema(nullable = false)]
    request_id: Option<String>,
}

/// The refusals any operation can answer with, each with the error body.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(crate) enum Refusals {
    /// The input does not fit the operation (`BAD_USER_INPUT`, naming the `field`), or the
    /// request itself is malformed (`BAD_REQUEST`).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No credential, or one that is unknown, expired, revoked or disabled.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// The caller lacks a scope (`requiredScope`), its plan does not allow it, or its address
    /// or origin is not allowed.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such resource in the caller's environment.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The change conflicts with the resource's state, or a request with this
    /// `Idempotency-Key` has not finished (`Retry-After`).
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// The body is larger than the server accepts.
    #[response(status = 413)]
    PayloadTooLarge(ErrorBody),
    /// The body is not `application/json`.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
    /// This `Idempotency-Key` was used for a different request.
    #[response(status = 422)]
    IdempotencyKeyReused(ErrorBody),
    /// The key is over its rate limit (`Retry-After`, `RateLimit-*`).
    #[response(status = 429)]
    RateLimited(ErrorBody),
    /// An internal error; nothing about it is told.
    #[response(status = 500)]
    Internal(ErrorBody),
    /// The database or another required service cannot be reached (`Retry-After`).
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// The document with what the routes alone do not say: its version, and the `X-Request-Id`
/// every answer carries and the `Retry-After` of every 503.
pub(super) fn finish(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let components = document.components.get_or_insert_with(Default::default);
    for (name, header) in [
        (
            REQUEST_ID,
            header(
                string(),
                "This request's id, also in an error body's `requestId`.",
            ),
        ),
        (
            RETRY_AFTER,
            header(integer(), "Seconds to wait before trying again."),
        ),
        (
            "RateLimit-Limit",
            header(
                integer(),
                "Requests the key may make in its rate-limit window (when it has a limit).",
            ),
        ),
        (
            "RateLimit-Remaining",
            header(integer(), "Requests left in the current window."),
        ),
        (
            "RateLimit-Reset",
            header(integer(), "Seconds until the window starts over."),
        ),
        (
            REPLAYED,
            header(
                string(),
                "`true` when this is the stored answer of an earlier request with the same \
                 `Idempotency-Key`.",
            ),
        ),
    ] {
        components.headers.insert(name.to_owned(), RefOr::T(header));
    }
    for_each_response(&mut document, |_, _, status, response| {
        add_header(response, REQUEST_ID);
        if status == "503" {
            add_header(response, RETRY_AFTER);
        }
    });
    document
}

/// The headers of the resources behind REST's one admission: `Idempotency-Key` on every POST
/// that changes something, the `RateLimit-*` of a key with a rate limit, `Retry-After` on a 429
/// or on a 409 while the first request under an `Idempotency-Key` runs.
pub(super) fn admitted_headers(document: &mut utoipa::openapi::OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    components.parameters.insert(
        IDEMPOTENCY_KEY.to_owned(),
        RefOr::T(
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Makes a retry safe: the same caller's same request (method, path and body) \
                     within 24 hours gets the first answer again (`Idempotent-Replayed: true`); \
                     another request under the same key is 422, and one while the first runs \
                     409 with `Retry-After`.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(255))
                        .pattern(Some("^[!-~]+$")),
                ))
                .build(),
        ),
    );
    for item in document.paths.paths.values_mut() {
        if let Some(post) = &mut item.post
            // A reveal's answer is never stored: a retry must write its audit row again.
            && post.operation_id.as_deref() != Some("revealApiKey")
        {
            post.parameters
                .get_or_insert_with(Vec::new)
                .push(RefOr::Ref(Ref::new(format!(
                    "#/components/parameters/{IDEMPOTENCY_KEY}"
                ))));
        }
    }
    for_each_response(document, |method, _, status, response| {
        for name in ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"] {
            add_header(response, name);
        }
        if status == "429" || (status == "409" && method == "post") {
            add_header(response, RETRY_AFTER);
        }
        if method == "post" && (status.starts_with('2') || status.starts_with('4')) {
            add_header(response, REPLAYED);
        }
    });
}

const REQUEST_ID: &str = "X-Request-Id";
const RETRY_AFTER: &str = "Retry-After";
const REPLAYED: &str = "Idempotent-Replayed";
const IDEMPOTENCY_KEY: &str = "IdempotencyKey";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn integer() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
}

fn header(schema: ObjectBuilder, description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Some(schema))
        .description(Some(description))
        .build()
}

/// Names the component header `name` in `response`.
fn add_header(response: &mut Response, name: &str) {
    response.headers.insert(
        name.to_owned(),
        RefOr::Ref(Ref::new(format!("#/components/headers/{name}"))),
    );
}

/// Calls `f` with each operation's method, path, status and (inline) response.
fn for_each_response(
    document: &mut utoipa::openapi::OpenApi,
    mut f: impl FnMut(&str, &str, &str, &mut Response),
) {
    for (path, item) in document.paths.paths.iter_mut() {
        for (method, operation) in [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("patch", &mut item.patch),
            ("put", &mut item.put),
            ("delete", &mut item.delete),
        ] {
            let Some(operation) = operation else { continue };
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    f(method, path, status, response);
                }
            }
        }
    }
}
