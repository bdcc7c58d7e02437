//! Authentication: from a presented credential (an API key, a session token) to a
//! [`Principal`], or a coded refusal. Transports read the credential; this decides.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use keyplane_domain::environment::Environment;
use keyplane_domain::key::{ApiKey, Unusable};
use keyplane_domain::secret::{KeyHash, KeySecret};
use keyplane_domain::token::{Token, TokenKind};
use keyplane_domain::verification::VerificationCode;

use crate::Services;
use crate::error::ServiceError;
use crate::key_cache::CachedKey;
use crate::principal::{Caller, Principal, SignedIn};

/// Validates the key's format before any lookup, then finds it by hash (cache first) and
/// checks that it may still authenticate at `now`, from `client` (the request's address, when
/// known): a key held to an IP allow-list refuses any other with `FORBIDDEN`.
pub async fn authenticate_key(
    services: &Services,
    text: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<Principal, ServiceError> {
    let secret = KeySecret::parse(text.trim())
        .map_err(|_| ServiceError::unauthenticated("the API key is malformed"))?;
    let key = find_key(services, &services.hasher.hash(&secret))
        .await?
        .ok_or_else(|| ServiceError::unauthenticated("the API key is not valid"))?;
    admit_key(&key, client, now)?;
    principal_for(services, key).await
}

/// Whether a found key may act at `now` from `client`: usable (not revoked, expired, past its
/// rotation grace or disabled: `UNAUTHENTICATED`) and inside its IP allow-list (`FORBIDDEN`,
/// `IP_NOT_ALLOWED`). Every path that acts for a key runs this (requests, event-queue reads).
pub fn admit_key(
    key: &ApiKey,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    match key.check_usable(now) {
        Ok(()) => {}
        Err(Unusable::Expired) => {
            return Err(ServiceError::unauthenticated("the API key has expired"));
        }
        Err(Unusable::Revoked) => {
            return Err(ServiceError::unauthenticated("the API key was revoked"));
        }
        Err(Unusable::Disabled) => {
            return Err(ServiceError::unauthenticated("the API key is disabled"));
        }
    }
    if !key.allows_address(client) {
        return Err(
            ServiceError::forbidden("the API key may not be used from this address")
                .with_reason(VerificationCode::IpNotAllowed.as_str()),
        );
    }
    Ok(())
}

/// A session token's user, acting in the environment named by `environment_slug` (which
/// must be one of their account's). The session must be live and the user active; a request
/// more than a minute after the last one is noted, so idle expiry counts from it.
pub async fn authenticate_session(
    services: &Services,
    text: &str,
    environment_slug: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Principal, ServiceError> {
    let refused = || ServiceError::unauthenticated("the session is not valid; sign in again");
    let token = Token::parse(TokenKind::Session, text.trim()).ok_or_else(refused)?;
    let (session, user) = services
        .store
        .session_by_digest(&token.digest())
        .await?
        .ok_or_else(refused)?;
    if !session.is_live(services.settings.sessions, now) || !user.is_active() {
        return Err(refused());
    }
    let slug = environment_slug.ok_or_else(|| {
        ServiceError::bad_input(
            "Keyplane-Environment",
            "name the environment to act in with the Keyplane-Environment header",
        )
    })?;
    let environment = services
        .store
        .environments_of_account(&user.account_id)
        .await?
        .into_iter()
        .find(|environment| environment.slug == slug)
        .ok_or_else(|| {
            ServiceError::bad_input("Keyplane-Environment", "no environment has this slug")
        })?;
    if session.needs_touch(now) {
        services.store.touch_session(&session.id, now).await?;
    }
    let account = account_of(services, &environment).await?;
    let scopes = user.role.scopes();
    Ok(Principal {
        caller: Caller::User(Arc::new(SignedIn {
            user,
            session_id: session.id,
            scopes,
        })),
        environment: Arc::new(environment),
        account,
    })
}

/// The key with this hash, from the cache or else the store (remembering a miss too).
pub async fn find_key(
    services: &Services,
    hash: &KeyHash,
) -> Result<Option<Arc<ApiKey>>, ServiceError> {
    match services.cache.key(hash) {
        Some(CachedKey::Found(key)) => return Ok(Some(key)),
        Some(CachedKey::Missing) => return Ok(None),
        None => {}
    }
    // Begun before the read: if the key changes (is revoked) while this reads, the eviction
    // keeps the row read here out of the cache.
    let fill = services.cache.begin_fill();
    let found = services.store.find_key_by_hash(hash).await?.map(Arc::new);
    let cached = found.clone().map_or(CachedKey::Missing, CachedKey::Found);
    services.cache.put_key(fill, *hash, cached);
    Ok(found)
}

/// The key with its environment and account, each from the cache when it can be.
pub async fn principal_for(
    services: &Services,
    key: Arc<ApiKey>,
) -> Result<Principal, ServiceError> {
    let environment = match services.cache.environment(&key.environment_id) {
        Some(environment) => environment,
        None => {
            let fill = services.cache.begin_fill();
            let environment = Arc::new(services.store.environment(&key.environment_id).await?);
            services
                .cache
                .put_environment(fill, Arc::clone(&environment));
            environment
        }
    };
    let account = account_of(services, &environment).await?;
    Ok(Principal {
        caller: Caller::Key(key),
        environment,
        account,
    })
}

async fn account_of(
    services: &Services,
    environment: &Environment,
) -> Result<Arc<keyplane_domain::account::Account>, ServiceError> {
    match services.cache.account(&environment.account_id) {
        Some(account) => Ok(account),
        None => {
            let fill = services.cache.begin_fill();
            let account = Arc::new(services.store.account(&environment.account_id).await?);
            services.cache.put_account(fill, Arc::clone(&account));
            Ok(account)
        }
    }
}
