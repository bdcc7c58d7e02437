//! `verifyApiKey`: another service asks whether a key of the caller's environment may do
//! something. Every outcome is an answer (`valid`, `code`), not an error; only malformed
//! arguments (an unknown permission, a bad customer id) are errors.

use async_graphql::{Context, Enum, InputObject, SimpleObject};
use chrono::Utc;
use keyplane_domain::client_security::ClientProof;
use keyplane_domain::customer::parse_customer_id;
use keyplane_domain::rate_limit::effective_limit;
use keyplane_domain::scope::Scope;
use keyplane_domain::secret::KeySecret;
use keyplane_domain::verification::{self, VerificationCode as Code};

use super::context::{principal, services};
use super::types::{ApiKeyNode, EnvironmentNode};
use std::sync::Arc;

use crate::auth::find_key;
use crate::client_security::check_publishable;
use crate::error::ApiError;
use crate::rate_limit::RateDecision;

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "keyplane_domain::verification::VerificationCode")]
pub enum VerificationCode {
    Valid,
    Malformed,
    NotFound,
    Expired,
    Revoked,
    WrongEnvironment,
    Forbidden,
    RateLimited,
    CustomerTokenRequired,
    InvalidCustomerToken,
    CustomerNotAllowed,
    OriginNotAllowed,
}

#[derive(InputObject, Debug)]
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
}

impl VerificationResult {
    fn refused(code: Code) -> Self {
        Self {
            valid: false,
            code: code.into(),
            api_key: None,
            environment: None,
            scopes: Vec::new(),
            customer_id: None,
            rate_limit: None,
        }
    }
}

pub async fn verify(
    ctx: &Context<'_>,
    input: VerifyApiKeyInput,
) -> Result<VerificationResult, ApiError> {
    let permission = input
        .permission
        .as_deref()
        .map(|p| Scope::parse(p).map_err(|e| ApiError::from(e).with_field("permission")))
        .transpose()?;
    let customer_id = input
        .customer_id
        .as_deref()
        .map(|id| parse_customer_id("customerId", id))
        .transpose()?;
    let principal = principal(ctx)?;
    let services = services(ctx)?;
    let now = Utc::now();

    let Ok(secret) = KeySecret::parse(input.key.trim()) else {
        return Ok(VerificationResult::refused(Code::Malformed));
    };
    let Some(key) = find_key(services, &services.hasher.hash(&secret)).await? else {
        return Ok(VerificationResult::refused(Code::NotFound));
    };
    if let Err(code) = verification::check_key(&key, &principal.environment.id, now) {
        if code == Code::WrongEnvironment {
            // Another environment's key is never shown.
            return Ok(VerificationResult::refused(code));
        }
        return Ok(answer(principal, key, code, None, None));
    }
    let proof = ClientProof {
        customer_id: customer_id.as_deref(),
        customer_token: input.customer_token.as_deref(),
        origin: input.origin.as_deref(),
    };
    if let Err(code) = check_publishable(services, &key, &principal.environment, proof, now).await?
    {
        return Ok(answer(principal, key, code, None, None));
    }
    let decision = effective_limit(&key, principal.environment.default_rate_limit)
        .map(|limit| services.rate_limiter.check(&key.id, limit));
    let outcome = match decision {
        Some(d) if !d.allowed => Err(Code::RateLimited),
        _ => verification::check_customer(&key, customer_id.as_deref())
            .and_then(|()| verification::check_permission(&key, permission)),
    };
    let code = outcome.err().unwrap_or(Code::Valid);
    if code == Code::Valid {
        services.write_behind.touch(&key.id, now);
    }
    let customer = (code == Code::Valid).then_some(customer_id).flatten();
    Ok(answer(principal, key, code, customer, decision))
}

fn answer(
    principal: &crate::auth::Principal,
    key: Arc<keyplane_domain::key::ApiKey>,
    code: Code,
    customer_id: Option<String>,
    decision: Option<RateDecision>,
) -> VerificationResult {
    VerificationResult {
        valid: code == Code::Valid,
        code: code.into(),
        scopes: key.scopes.to_strings(),
        api_key: Some(ApiKeyNode((*key).clone())),
        environment: Some(EnvironmentNode(Arc::clone(&principal.environment))),
        customer_id,
        rate_limit: decision.map(Into::into),
    }
}
