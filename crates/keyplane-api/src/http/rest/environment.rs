//! `/api/v1/environment`: the caller's environment and its settings. Each setting is a
//! sub-resource replaced whole by a PUT that answers the environment as changed; the use cases
//! are `/graphql`'s (full access for most, owners for recoverable keys).

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use keyplane_domain::environment::Environment as DomainEnvironment;
use keyplane_service::{Principal, environments};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::common::answered;
use super::doc::Refusals;
use super::input::JsonBody;
use super::types::RateLimit;
use crate::error::ApiError;
use crate::schema::enums::{EnvironmentType, GracePeriod, LeakPolicy};

/// An environment and its settings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Environment {
    id: String,
    #[schema(example = "production")]
    slug: String,
    name: String,
    #[serde(rename = "type")]
    env_type: EnvironmentType,
    /// The rate limit of keys that have none of their own; null means unlimited. It never
    /// applies to the full-access key.
    default_rate_limit: Option<RateLimit>,
    client_security: ClientSecurity,
    /// Whether new and rotated secrets are also kept sealed, so owners and members can reveal
    /// them later. Off by default: then Keyplane keeps only hashes.
    recoverable_keys: bool,
    /// What a leak report does to a scoped key of this environment.
    leak_policy: LeakPolicy,
}

impl From<&DomainEnvironment> for Environment {
    fn from(environment: &DomainEnvironment) -> Self {
        Self {
            id: environment.id.clone(),
            slug: environment.slug.clone(),
            name: environment.name.clone(),
            env_type: environment.env_type.into(),
            default_rate_limit: environment.default_rate_limit.map(Into::into),
            client_security: ClientSecurity::from(&environment.client_security),
            recoverable_keys: environment.recoverable_keys,
            leak_policy: environment.leak_policy.into(),
        }
    }
}

/// Client-side security of the environment's publishable key.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClientSecurity {
    /// When on, every use of the publishable key needs `X-Customer-Id` and `X-Customer-Token`.
    enabled: bool,
    /// When on and not empty, a browser `Origin` outside this list is refused.
    #[schema(example = json!(["https://app.example.com"]))]
    allowed_origins: Vec<String>,
}

impl From<&keyplane_domain::client_security::ClientSecurity> for ClientSecurity {
    fn from(settings: &keyplane_domain::client_security::ClientSecurity) -> Self {
        Self {
            enabled: settings.enabled,
            allowed_origins: settings.allowed_origins.clone(),
        }
    }
}

fn environment(environment: DomainEnvironment) -> Environment {
    Environment::from(&environment)
}

/// Reads the environment the call acts in: the key's own, or the one a session names in
/// `Keyplane-Environment`.
#[utoipa::path(
    get,
    path = "/api/v1/environment",
    operation_id = "getEnvironment",
    tag = "Environment",
    responses((status = 200, description = "The environment and its settings.", body = Environment), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn get_environment(Extension(principal): Extension<Principal>) -> Response {
    answered(
        StatusCode::OK,
        Ok::<_, ApiError>(Environment::from(&*principal.environment)),
    )
}

/// `rateLimit` is required: null removes the default, and keys without their own limit are
/// then unlimited.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct DefaultRateLimit {
    // Given, not defaulted: an empty body must not clear the limit by accident.
    #[serde(deserialize_with = "Option::deserialize")]
    #[schema(required = true)]
    rate_limit: Option<RateLimit>,
}

/// Sets or clears the environment's default rate limit. Full access only (the full-access key
/// or an owner).
#[utoipa::path(
    put,
    path = "/api/v1/environment/default-rate-limit",
    operation_id = "setDefaultRateLimit",
    tag = "Environment",
    request_body = DefaultRateLimit,
    responses((status = 200, description = "The environment as changed.", body = Environment), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn set_default_rate_limit(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<DefaultRateLimit>,
) -> Response {
    let result = async {
        let limit = body.rate_limit.map(|l| l.parse("rateLimit")).transpose()?;
        let changed =
            environments::set_default_rate_limit(&state.services, &principal, limit).await?;
        Ok(environment(changed))
    }
    .await;
    answered(StatusCode::OK, result)
}

/// `allowedOrigins` omitted keeps the current list; an empty list accepts any origin.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ClientSecuritySettings {
    enabled: bool,
    /// Browser origins (`https://app.example.com`), at most 50.
    #[schema(example = json!(["https://app.example.com"]))]
    allowed_origins: Option<Vec<String>>,
}

/// Turns client-side security on or off and sets the allowed origins. Full access only.
#[utoipa::path(
    put,
    path = "/api/v1/environment/client-security",
    operation_id = "setClientSecurity",
    tag = "Environment",
    request_body = ClientSecuritySettings,
    responses((status = 200, description = "The environment as changed.", body = Environment), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn set_client_security(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<ClientSecuritySettings>,
) -> Response {
    let result = environments::set_client_security(
        &state.services,
        &principal,
        body.enabled,
        body.allowed_origins.as_deref(),
    )
    .await
    .map(|client_security| {
        // The use case answers the settings it wrote; the rest is the environment as read.
        environment(DomainEnvironment {
            client_security,
            ..(*principal.environment).clone()
        })
    })
    .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

/// How long the previous signing secret keeps verifying tokens: required once a secret exists.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RotateSigningSecret {
    grace_period: Option<GracePeriod>,
}

/// A new client signing secret: shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct RotatedSigningSecret {
    /// Give it to the backend that mints customer tokens. Keyplane keeps it sealed.
    signing_secret: String,
    client_security: ClientSecurity,
}

/// Issues a new client signing secret; the previous one keeps verifying tokens for the grace
/// period. Full access only.
#[utoipa::path(
    post,
    path = "/api/v1/environment/signing-secret/rotate",
    operation_id = "rotateClientSigningSecret",
    tag = "Environment",
    request_body = RotateSigningSecret,
    responses((status = 200, description = "The new secret (shown once).", body = RotatedSigningSecret), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn rotate_signing_secret(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<RotateSigningSecret>,
) -> Response {
    let result = environments::rotate_signing_secret(
        &state.services,
        &principal,
        body.grace_period.map(Into::into),
    )
    .await
    .map(|signing_secret| RotatedSigningSecret {
        signing_secret,
        client_security: ClientSecurity::from(&principal.environment.client_security),
    })
    .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RecoverableKeys {
    enabled: bool,
}

/// Turns recoverable keys on or off (owners only, with a session). Off deletes every sealed
/// copy; keys made while off are never recoverable.
#[utoipa::path(
    put,
    path = "/api/v1/environment/recoverable-keys",
    operation_id = "setRecoverableKeys",
    tag = "Environment",
    request_body = RecoverableKeys,
    responses((status = 200, description = "The environment as changed.", body = Environment), Refusals),
    security(("session" = []))
)]
pub(super) async fn set_recoverable_keys(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<RecoverableKeys>,
) -> Response {
    let result = environments::set_recoverable_keys(&state.services, &principal, body.enabled)
        .await
        .map(environment)
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct LeakPolicySetting {
    policy: LeakPolicy,
}

/// Sets what a leak report does to the environment's scoped keys. Full access only.
#[utoipa::path(
    put,
    path = "/api/v1/environment/leak-policy",
    operation_id = "setLeakPolicy",
    tag = "Environment",
    request_body = LeakPolicySetting,
    responses((status = 200, description = "The environment as changed.", body = Environment), Refusals),
    security(("apiKey" = []), ("session" = []))
)]
pub(super) async fn set_leak_policy(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<LeakPolicySetting>,
) -> Response {
    let result = environments::set_leak_policy(&state.services, &principal, body.policy.into())
        .await
        .map(environment)
        .map_err(ApiError::from);
    answered(StatusCode::OK, result)
}
