//! The one verification path: `verifyApiKey` (GraphQL) and `POST /v1/verify` (plain JSON) both
//! answer through [`verify`], so their semantics, codes and rate limiting cannot drift apart.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use keyplane_domain::client_security::ClientProof;
use keyplane_domain::customer::parse_customer_id;
use keyplane_domain::key::ApiKey;
use keyplane_domain::quota::parse_spend;
use keyplane_domain::rate_limit::effective_limit;
use keyplane_domain::scope::Scope;
use keyplane_domain::secret::KeySecret;
use keyplane_domain::verification::{self, VerificationCode as Code};

use crate::Principal;
use crate::Services;
use crate::auth::find_key;
use crate::client_security::check_publishable;
use crate::error::ServiceError;
use crate::quota::QuotaDecision;
use crate::rate_limit::RateDecision;

/// What the calling service asks about a key.
#[derive(Clone, Copy)]
pub struct VerifyRequest<'a> {
    pub key: &'a str,
    pub permission: Option<&'a str>,
    pub customer_id: Option<&'a str>,
    pub customer_token: Option<&'a str>,
    pub origin: Option<&'a str>,
    /// The address the key was presented from, for a key held to an IP allow-list.
    pub ip: Option<&'a str>,
    /// Units of the key's quota to spend; 1 when not given.
    pub spend: Option<i64>,
}

impl std::fmt::Debug for VerifyRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("key", &"redacted")
            .field("permission", &self.permission)
            .field("customer_id", &self.customer_id)
            .field("customer_token", &self.customer_token.map(|_| "redacted"))
            .field("origin", &self.origin)
            .field("ip", &self.ip)
            .field("spend", &self.spend)
            .finish()
    }
}

/// The answer. `key` is set when the key belongs to the caller's environment.
#[derive(Debug, Clone)]
pub struct Verified {
    pub code: Code,
    pub key: Option<Arc<ApiKey>>,
    pub customer_id: Option<String>,
    pub rate: Option<RateDecision>,
    /// Set when the key has a quota and the verification got as far as spending from it.
    pub quota: Option<QuotaDecision>,
}

impl Verified {
    fn hidden(code: Code) -> Self {
        Self {
            code,
            key: None,
            customer_id: None,
            rate: None,
            quota: None,
        }
    }

    fn shown(code: Code, key: Arc<ApiKey>) -> Self {
        Self {
            key: Some(key),
            ..Self::hidden(code)
        }
    }
}

/// Verifies `request.key` for `principal`'s environment. Only malformed arguments are errors;
/// every outcome about the key is an answer, and is counted (not logged) for the usage series.
/// Each call spends one request of the verified key's rate limit.
pub async fn verify(
    services: &Services,
    principal: &Principal,
    request: VerifyRequest<'_>,
) -> Result<Verified, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    let permission = request
        .permission
        .map(|p| Scope::parse(p).map_err(|e| ServiceError::from(e).with_field("permission")))
        .transpose()?;
    let customer_id = request
        .customer_id
        .map(|id| parse_customer_id("customerId", id))
        .transpose()?;
    let ip = request
        .ip
        .map(|ip| {
            ip.trim()
                .parse::<IpAddr>()
                .map_err(|_| ServiceError::bad_input("ip", "ip must be an IPv4 or IPv6 address"))
        })
        .transpose()?;
    let spend = parse_spend(request.spend)?;
    let asked = Asked {
        permission,
        customer_id,
        ip,
        spend,
    };
    let now = Utc::now();
    let verified = answer(services, principal, request, asked, now).await?;
    services.write_behind.count_verification(
        &principal.environment.id,
        verified.key.as_deref().map(|key| key.id.as_str()),
        permission,
        verified.code,
        now,
    );
    Ok(verified)
}

/// The request's arguments, parsed.
struct Asked {
    permission: Option<Scope>,
    customer_id: Option<String>,
    ip: Option<IpAddr>,
    spend: u64,
}

async fn answer(
    services: &Services,
    principal: &Principal,
    request: VerifyRequest<'_>,
    asked: Asked,
    now: DateTime<Utc>,
) -> Result<Verified, ServiceError> {
    let Asked {
        permission,
        customer_id,
        ip,
        spend,
    } = asked;
    let Ok(secret) = KeySecret::parse(request.key.trim()) else {
        return Ok(Verified::hidden(Code::Malformed));
    };
    let Some(key) = find_key(services, &services.hasher.hash(&secret)).await? else {
        return Ok(Verified::hidden(Code::NotFound));
    };
    if let Err(code) = verification::check_key(&key, &principal.environment.id, now) {
        // Another environment's key is never shown.
        return Ok(if code == Code::WrongEnvironment {
            Verified::hidden(code)
        } else {
            Verified::shown(code, key)
        });
    }
    let proof = ClientProof {
        customer_id: customer_id.as_deref(),
        customer_token: request.customer_token,
        origin: request.origin,
    };
    if let Err(code) = check_publishable(services, &key, &principal.environment, proof, now).await?
    {
        return Ok(Verified::shown(code, key));
    }
    // Before the rate limit: a request from an address the key may not be used from spends
    // nothing of its budget.
    if let Err(code) = verification::check_address(&key, ip) {
        return Ok(Verified::shown(code, key));
    }
    let rate = match effective_limit(&key, principal.environment.default_rate_limit) {
        Some(limit) => Some(services.rate_limiter.check(&key.id, limit).await),
        None => None,
    };
    let outcome = match rate {
        Some(d) if !d.allowed => Err(Code::RateLimited),
        _ => verification::check_customer(&key, customer_id.as_deref())
            .and_then(|()| verification::check_permission(&key, permission)),
    };
    // Last: only a verification that would otherwise be valid spends from the quota.
    let mut quota = None;
    if outcome.is_ok() {
        quota = services
            .quotas
            .spend(&services.store, &key, spend, now)
            .await?;
    }
    let outcome = match quota {
        Some(q) if !q.allowed => Err(Code::QuotaExceeded),
        _ => outcome,
    };
    let code = outcome.err().unwrap_or(Code::Valid);
    if code == Code::Valid {
        services.write_behind.touch(&key.id, now);
    }
    Ok(Verified {
        code,
        customer_id: (code == Code::Valid).then_some(customer_id).flatten(),
        rate,
        quota,
        key: Some(key),
    })
}
