//! Authentication: from the `X-API-Key` header to a [`Principal`], or a coded refusal.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use keyplane_domain::ErrorCode;
use keyplane_domain::account::Account;
use keyplane_domain::audit::Actor;
use keyplane_domain::environment::Environment;
use keyplane_domain::key::{ApiKey, Unusable};
use keyplane_domain::scope::{Scope, ScopeSet};
use keyplane_domain::secret::{KeyHash, KeySecret};

use std::sync::Arc;

use crate::error::ApiError;
use crate::key_cache::CachedKey;
use crate::schema::Services;

pub const API_KEY_HEADER: &str = "x-api-key";

/// Who is calling: an authenticated key, its environment and its account.
/// Shared with the cache: building one is three reference-count increments.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key: Arc<ApiKey>,
    pub environment: Arc<Environment>,
    pub account: Arc<Account>,
}

impl Principal {
    pub fn scopes(&self) -> &ScopeSet {
        &self.key.scopes
    }

    pub fn actor(&self) -> Actor {
        Actor::api_key(&self.key.id, &self.key.name)
    }

    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.key.scopes.allows(scope) {
            Ok(())
        } else {
            Err(keyplane_domain::RuleViolation::forbidden(
                format!("the calling key lacks the scope {scope}"),
                Some(scope),
            )
            .into())
        }
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, message)
}

/// Validates the header's format before any lookup, then finds the key by hash (cache first)
/// and checks that it may still authenticate at `now`.
pub async fn authenticate(
    headers: &HeaderMap,
    services: &Services,
    now: DateTime<Utc>,
) -> Result<Principal, ApiError> {
    let mut values = headers.get_all(API_KEY_HEADER).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(unauthenticated("send exactly one X-API-Key header"));
    };
    let text = value
        .to_str()
        .map_err(|_| unauthenticated("the API key is malformed"))?;
    let secret =
        KeySecret::parse(text.trim()).map_err(|_| unauthenticated("the API key is malformed"))?;
    let key = find_key(services, &services.hasher.hash(&secret))
        .await?
        .ok_or_else(|| unauthenticated("the API key is not valid"))?;
    match key.check_usable(now) {
        Ok(()) => {}
        Err(Unusable::Expired) => return Err(unauthenticated("the API key has expired")),
        Err(Unusable::Revoked) => return Err(unauthenticated("the API key was revoked")),
    }
    principal_for(services, key).await
}

/// The key with this hash, from the cache or else the store (remembering a miss too).
pub async fn find_key(
    services: &Services,
    hash: &KeyHash,
) -> Result<Option<Arc<ApiKey>>, ApiError> {
    match services.cache.key(hash) {
        Some(CachedKey::Found(key)) => return Ok(Some(key)),
        Some(CachedKey::Missing) => return Ok(None),
        None => {}
    }
    let found = services.store.find_key_by_hash(hash).await?.map(Arc::new);
    let cached = found.clone().map_or(CachedKey::Missing, CachedKey::Found);
    services.cache.put_key(*hash, cached);
    Ok(found)
}

/// The key with its environment and account, each from the cache when it can be.
pub async fn principal_for(services: &Services, key: Arc<ApiKey>) -> Result<Principal, ApiError> {
    let environment = match services.cache.environment(&key.environment_id) {
        Some(environment) => environment,
        None => {
            let environment = Arc::new(services.store.environment(&key.environment_id).await?);
            services.cache.put_environment(Arc::clone(&environment));
            environment
        }
    };
    let account = match services.cache.account(&environment.account_id) {
        Some(account) => account,
        None => {
            let account = Arc::new(services.store.account(&environment.account_id).await?);
            services.cache.put_account(Arc::clone(&account));
            account
        }
    };
    Ok(Principal {
        key,
        environment,
        account,
    })
}
