//! Environment settings: the default rate limit, client-side security and its signing secrets
//! (full access: the full-access key or an owner), and recoverable keys (owners only). Each
//! change is audited in its transaction and evicted from the cache before answering.

use chrono::Utc;
use keyplane_domain::client_security::{
    ClientSecurity, generate_signing_secret, parse_client_security,
};
use keyplane_domain::environment::{Environment, ensure_may_configure};
use keyplane_domain::rate_limit::RateLimit;
use keyplane_domain::rotation::GracePeriod;
use keyplane_store::{Change, SealedSigningSecret, new_signing_secret_id};

use crate::Services;
use crate::client_security::seal_context;
use crate::error::ServiceError;
use crate::principal::Principal;

/// Sets or clears the environment's default rate limit.
pub async fn set_default_rate_limit(
    services: &Services,
    principal: &Principal,
    limit: Option<RateLimit>,
) -> Result<Environment, ServiceError> {
    ensure_may_configure(principal.scopes())?;
    // A rate-limited full-access key cannot free the keys the default binds.
    principal.freedom(None).ensure_rate_limit(limit)?;
    let environment = services
        .store
        .set_default_rate_limit(
            &principal.environment.id,
            limit,
            &principal.actor(),
            Utc::now(),
        )
        .await?;
    services
        .cache
        .evict(&Change::Environment(environment.id.clone()));
    Ok(environment)
}

/// Turns client-side security on or off; `allowed_origins` `None` keeps the current list.
pub async fn set_client_security(
    services: &Services,
    principal: &Principal,
    enabled: bool,
    allowed_origins: Option<&[String]>,
) -> Result<ClientSecurity, ServiceError> {
    let current = &principal.environment.client_security;
    let origins = allowed_origins.unwrap_or(&current.allowed_origins);
    ensure_may_configure(principal.scopes())?;
    let settings = parse_client_security(enabled, origins)?;
    let environment = services
        .store
        .set_client_security(
            &principal.environment.id,
            &settings,
            &principal.actor(),
            Utc::now(),
        )
        .await?;
    services
        .cache
        .evict(&Change::Environment(environment.id.clone()));
    Ok(environment.client_security)
}

/// Issues a new client signing secret (answered once); the previous one keeps verifying
/// tokens for `grace`, which is required once a secret exists.
pub async fn rotate_signing_secret(
    services: &Services,
    principal: &Principal,
    grace: Option<GracePeriod>,
) -> Result<String, ServiceError> {
    ensure_may_configure(principal.scopes())?;
    let environment_id = &principal.environment.id;
    let grace = match grace {
        Some(grace) => grace,
        None if services.store.has_signing_secret(environment_id).await? => {
            return Err(ServiceError::bad_input(
                "gracePeriod",
                "choose how long the previous signing secret keeps working",
            ));
        }
        None => GracePeriod::Now,
    };
    let now = Utc::now();
    let (id, secret, sealed) = {
        let mut rng = rand::rng();
        let secret = generate_signing_secret(&mut rng);
        let id = new_signing_secret_id();
        let sealed = services.data_key.seal(
            &mut rng,
            &seal_context(environment_id, &id),
            secret.as_bytes(),
        );
        (id, secret, sealed)
    };
    services
        .store
        .rotate_signing_secret(
            environment_id,
            SealedSigningSecret {
                id,
                sealed,
                expires_at: None,
            },
            now + grace.duration(),
            &principal.actor(),
            now,
        )
        .await?;
    services
        .cache
        .evict(&Change::Environment(environment_id.to_string()));
    Ok(secret)
}

/// Turns recoverable keys on or off (owners only). Off deletes every sealed copy.
pub async fn set_recoverable_keys(
    services: &Services,
    principal: &Principal,
    enabled: bool,
) -> Result<Environment, ServiceError> {
    principal.require_owner("turn recoverable keys on or off")?;
    let environment = services
        .store
        .set_recoverable_keys(
            &principal.environment.id,
            enabled,
            &principal.actor(),
            Utc::now(),
        )
        .await?;
    services
        .cache
        .evict(&Change::Environment(environment.id.clone()));
    Ok(environment)
}

/// Sets what a leak report does to the environment's scoped keys.
pub async fn set_leak_policy(
    services: &Services,
    principal: &Principal,
    policy: keyplane_domain::leak::LeakPolicy,
) -> Result<Environment, ServiceError> {
    ensure_may_configure(principal.scopes())?;
    let environment = services
        .store
        .set_leak_policy(
            &principal.environment.id,
            policy,
            &principal.actor(),
            Utc::now(),
        )
        .await?;
    services
        .cache
        .evict(&Change::Environment(environment.id.clone()));
    Ok(environment)
}
