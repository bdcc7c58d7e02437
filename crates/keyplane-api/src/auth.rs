//! Authentication: from the `X-API-Key` header to a [`Principal`], or a coded refusal.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use keyplane_domain::ErrorCode;
use keyplane_domain::account::Account;
use keyplane_domain::audit::Actor;
use keyplane_domain::environment::Environment;
use keyplane_domain::key::{ApiKey, Unusable};
use keyplane_domain::scope::{Scope, ScopeSet};
use keyplane_domain::secret::{KeyHasher, KeySecret};
use keyplane_store::Store;

use crate::error::ApiError;

pub const API_KEY_HEADER: &str = "x-api-key";

/// Who is calling: an authenticated key, its environment and its account.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key: ApiKey,
    pub environment: Environment,
    pub account: Account,
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

/// Validates the header's format before any lookup, then finds the key by hash and checks that
/// it may still authenticate at `now`.
pub async fn authenticate(
    headers: &HeaderMap,
    store: &Store,
    hasher: &KeyHasher,
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
    let key = store
        .find_key_by_hash(&hasher.hash(&secret))
        .await?
        .ok_or_else(|| unauthenticated("the API key is not valid"))?;
    match key.check_usable(now) {
        Ok(()) => {}
        Err(Unusable::Expired) => return Err(unauthenticated("the API key has expired")),
        Err(Unusable::Revoked) => return Err(unauthenticated("the API key was revoked")),
    }
    let environment = store.environment(&key.environment_id).await?;
    let account = store.account(&environment.account_id).await?;
    Ok(Principal {
        key,
        environment,
        account,
    })
}
