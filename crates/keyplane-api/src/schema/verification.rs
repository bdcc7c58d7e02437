//! `verifyApiKey`: another service asks whether a key of the caller's environment may do
//! something. Every outcome is an answer (`valid`, `code`), not an error; only malformed
//! arguments (an unknown permission, a bad customer id) are errors.

use async_graphql::{Context, Enum, InputObject, SimpleObject};
use keyplane_domain::verification::VerificationCode as Code;

use super::context::{principal, services};
use super::types::{ApiKeyNode, EnvironmentNode};
use std::sync::Arc;

use crate::error::ApiError;
use keyplane_service::rate_limit::RateDecision;
use keyplane_service::verify::VerifyRequest;

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "keyplane_domain::verification::VerificationCode")]
pub enum VerificationCode {
    Valid,
    Malformed,
    NotFound,
    Expired,
    Revoked,
    /// The key is disabled; it works again once enabled.
    Disabled,
    /// The key is held to an IP allow-list that leaves out `ip` (or no `ip` was given).
    IpNotAllowed,
    WrongEnvironment,
    Forbidden,
    RateLimited,
    /// The key's quota has fewer units left than `spend`.
    QuotaExceeded,
    CustomerTokenRequired,
    InvalidCustomerToken,
    CustomerNotAllowed,
    OriginNotAllowed,
}

#[derive(InputObject)]
pub struct VerifyApiKeyInput {
    /// The secret presented to the calling service.
    pub key: String,
    /// A scope the key must hold, e.g. `customers:write`.
    pub permission: Option<String>,
    /// The customer the request acts for.
    pub customer_id: Option<String>,
    /// For publishable keys under client-side security: the customer's token.
    pub customer_token: Option<String>,
    /// For publishable keys: the browser's `Origin`.
    pub origin: Option<String>,
    /// The address the key was presented from (IPv4 or IPv6), checked against the key's IP
    /// allow-list.
    pub ip: Option<String>,
    /// Units of the key's quota this verification spends (1 to 1,000,000; default 1). Spent
    /// only when the verification is otherwise valid, all or nothing.
    pub spend: Option<i64>,
}

/// The verified key's rate-limit budget after this verification.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct RateLimitState {
    pub limit: i32,
    pub remaining: i32,
    /// Seconds until the whole limit is available again.
    pub reset_seconds: i64,
    /// When `RATE_LIMITED`: seconds until the next use would be allowed.
    pub retry_after_seconds: Option<i64>,
}

impl From<RateDecision> for RateLimitState {
    fn from(d: RateDecision) -> Self {
        Self {
            limit: d.limit as i32,
            remaining: d.remaining as i32,
            reset_seconds: d.reset_seconds as i64,
            retry_after_seconds: d.retry_after_seconds.map(|s| s as i64),
        }
    }
}

#[derive(SimpleObject, Debug)]
pub struct VerificationResult {
    pub valid: bool,
    pub code: VerificationCode,
    /// The key, when it belongs to the caller's environment.
    pub api_key: Option<ApiKeyNode>,
    pub environment: Option<EnvironmentNode>,
    /// The key's scopes, when it belongs to the caller's environment.
    pub scopes: Vec<String>,
    /// The customer the verification was made for, when it is valid.
    pub customer_id: Option<String>,
    /// Present when a rate limit applies to the key and was checked.
    pub rate_limit: Option<RateLimitState>,
    /// Present when the key has a quota and the verification got as far as spending from it.
    pub quota: Option<super::quota::VerificationQuota>,
}

pub async fn verify(
    ctx: &Context<'_>,
    input: VerifyApiKeyInput,
) -> Result<VerificationResult, ApiError> {
    let principal = principal(ctx)?;
    let request = VerifyRequest {
        key: &input.key,
        permission: input.permission.as_deref(),
        customer_id: input.customer_id.as_deref(),
        customer_token: input.customer_token.as_deref(),
        origin: input.origin.as_deref(),
        ip: input.ip.as_deref(),
        spend: input.spend,
    };
    let verified = keyplane_service::verify::verify(services(ctx)?, principal, request).await?;
    Ok(VerificationResult {
        valid: verified.code == Code::Valid,
        code: verified.code.into(),
        scopes: verified
            .key
            .as_ref()
            .map(|k| k.scopes.to_strings())
            .unwrap_or_default(),
        environment: verified
            .key
            .is_some()
            .then(|| EnvironmentNode(Arc::clone(&principal.environment))),
        api_key: verified.key.map(|k| ApiKeyNode((*k).clone())),
        customer_id: verified.customer_id,
        rate_limit: verified.rate.map(Into::into),
        quota: verified.quota.map(Into::into),
    })
}
