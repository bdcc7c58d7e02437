//! The parts of the OpenAPI document no handler states: its info, security schemes, tags, the
//! error body, and the refusals every operation can answer with.

use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
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

/// The document with what the routes alone do not say: the servers it is served from.
pub(super) fn finish(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document
}
