//! The key lifecycle's use cases: create, change settings, re-scope, rotate, change the
//! expiration, revoke, reveal (and in `policies`: disable, enable, revoke many); and reading
//! keys (`get`, `list`, `find_many`). Each checks the caller, runs its domain rule on the
//! locked row inside the store's transaction (so a refusal changes nothing), and evicts what it
//! changed from this replica's cache before answering.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::key::{ApiKey, ApiKeyType};
use keyplane_domain::lifecycle::{self, CreateKeyRequest, SettingsRequest};
use keyplane_domain::rotation::{self, RotationExpiry};
use keyplane_domain::scope::{Scope, ScopePreset, ScopeSet};
use keyplane_domain::secret::{KeyHash, KeyPrefix, KeySecret};
use keyplane_store::{
    Change, KeyChange, KeyContext, KeyFilter, NewKey, Page, PageRequest, Rotation,
};

use crate::Services;
use crate::error::ServiceError;
use crate::principal::Principal;

mod filter;
mod policies;

pub use filter::{KeyQuery, KeyQueryNames, MAX_NAME_FILTER_CHARS};
pub use policies::{MAX_BULK_REVOCATION, disable, enable, revoke_many, selection};

/// A key just made, with its secret: shown this once.
#[derive(Debug)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: KeySecret,
}

/// A rotation's outcome: the new key and its secret (shown once), and the old key.
#[derive(Debug)]
pub struct RotatedKey {
    pub key: ApiKey,
    pub secret: KeySecret,
    pub previous: ApiKey,
}

/// What a recoverable key's sealed copy is bound to: its environment and its hash.
fn secret_seal_context(environment_id: &str, hash: &KeyHash) -> String {
    format!("api-key-secret:{environment_id}:{}", hash.to_hex())
}

/// The secret sealed for keeping. Always made: the store keeps it only when the environment
/// has recoverable keys on at the moment the key is written, decided inside its transaction.
pub(crate) fn seal_secret(
    services: &Services,
    environment_id: &str,
    hash: &KeyHash,
    secret: &KeySecret,
) -> String {
    services.data_key.seal(
        &mut rand::rng(),
        &secret_seal_context(environment_id, hash),
        secret.expose().as_bytes(),
    )
}

/// Creates a scoped key (SCALE plan) with scopes the caller holds itself.
pub async fn create(
    services: &Services,
    principal: &Principal,
    request: CreateKeyRequest<'_>,
) -> Result<CreatedKey, ServiceError> {
    principal.require_key_manager()?;
    let now = Utc::now();
    let valid =
        lifecycle::validate_create(principal.scopes(), principal.account.plan, request, now)?;
    principal
        .freedom(None)
        .ensure_new_key(&valid, principal.environment.default_rate_limit)?;
    let secret = KeySecret::generate(KeyPrefix::Server, &mut rand::rng());
    let hash = services.hasher.hash(&secret);
    let environment_id = &principal.environment.id;
    let new_key = NewKey {
        key_type: ApiKeyType::Scoped,
        name: valid.name,
        description: valid.description,
        scopes: valid.scopes,
        hash,
        masked_key: secret.masked(),
        expires_at: valid.expires_at,
        rotated_from_id: None,
        customer_ids: valid.customer_ids,
        rate_limit: valid.rate_limit,
        integration_id: None,
        metadata: valid.metadata,
        external_id: valid.external_id,
        allowed_ips: valid.allowed_ips,
        quota: valid
            .quota
            .map(|q| keyplane_domain::quota::KeyQuota::new(q, now)),
        sealed_secret: Some(seal_secret(services, environment_id, &hash, &secret)),
    };
    let key = services
        .store
        .create_key(environment_id, new_key, &principal.actor(), now)
        .await?;
    Ok(CreatedKey { key, secret })
}

/// Changes a key's name, description, customer restriction or rate limit.
pub async fn update_settings(
    services: &Services,
    principal: &Principal,
    id: &str,
    request: SettingsRequest<'_>,
) -> Result<ApiKey, ServiceError> {
    let default_limit = principal.environment.default_rate_limit;
    change(services, principal, id, |caller, key, _, _| {
        let change = lifecycle::validate_settings_change(caller, key, request)?;
        let freedom = principal.freedom(Some(key));
        freedom.ensure_settings(key, &change, default_limit)?;
        if principal.key().is_some_and(|caller| caller.id == key.id) {
            freedom.ensure_own_quota_kept(key, &change)?;
        }
        Ok(KeyChange::Settings(change))
    })
    .await
}

/// Replaces a scoped key's scopes (exactly one of `scopes` or `preset`). The caller must hold
/// the old and the new ones.
pub async fn update_scopes(
    services: &Services,
    principal: &Principal,
    id: &str,
    scopes: Option<&[String]>,
    preset: Option<ScopePreset>,
) -> Result<ApiKey, ServiceError> {
    let default_limit = principal.environment.default_rate_limit;
    change(services, principal, id, |caller, key, _, now| {
        let scopes = lifecycle::validate_scope_change(caller, key, scopes, preset, now)?;
        principal
            .freedom(Some(key))
            .ensure_scope_grant(key, default_limit)?;
        Ok(KeyChange::Scopes(scopes))
    })
    .await
}

/// A key's new scopes: exactly one of `scopes` or `preset`.
#[derive(Debug, Clone, Copy)]
pub struct ScopesRequest<'a> {
    pub scopes: Option<&'a [String]>,
    pub preset: Option<ScopePreset>,
}

/// What one update changes: any of a key's settings, its scopes and its expiration.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyUpdate<'a> {
    pub settings: Option<SettingsRequest<'a>>,
    pub scopes: Option<ScopesRequest<'a>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Changes whatever `update` names in one transaction: each part is decided by the rule of
/// [`update_settings`], [`update_scopes`] or [`update_expiration`] on the same locked row, and
/// all are written or none.
pub async fn update(
    services: &Services,
    principal: &Principal,
    id: &str,
    update: KeyUpdate<'_>,
) -> Result<ApiKey, ServiceError> {
    if update.settings.is_none() && update.scopes.is_none() && update.expires_at.is_none() {
        return Err(ServiceError::bad_input(
            "body",
            "name at least one thing to change",
        ));
    }
    let default_limit = principal.environment.default_rate_limit;
    change(services, principal, id, |caller, key, _, now| {
        let mut changes = Vec::with_capacity(3);
        let freedom = principal.freedom(Some(key));
        if let Some(request) = update.settings {
            let change = lifecycle::validate_settings_change(caller, key, request)?;
            freedom.ensure_settings(key, &change, default_limit)?;
            if principal.key().is_some_and(|caller| caller.id == key.id) {
                freedom.ensure_own_quota_kept(key, &change)?;
            }
            changes.push(KeyChange::Settings(change));
        }
        if let Some(request) = update.scopes {
            let scopes =
                lifecycle::validate_scope_change(caller, key, request.scopes, request.preset, now)?;
            freedom.ensure_scope_grant(key, default_limit)?;
            changes.push(KeyChange::Scopes(scopes));
        }
        if let Some(expires_at) = update.expires_at {
            let at = rotation::validate_expiration_change(caller, key, expires_at, now)?;
            freedom.ensure_expiry("expiresAt", Some(at))?;
            changes.push(KeyChange::Expiration(at));
        }
        Ok(KeyChange::Several(changes))
    })
    .await
}

/// Moves the expiration of a key that has one and has not reached it.
pub async fn update_expiration(
    services: &Services,
    principal: &Principal,
    id: &str,
    expires_at: DateTime<Utc>,
) -> Result<ApiKey, ServiceError> {
    change(services, principal, id, |caller, key, _, now| {
        let at = rotation::validate_expiration_change(caller, key, expires_at, now)?;
        principal
            .freedom(Some(key))
            .ensure_expiry("expiresAt", Some(at))?;
        Ok(KeyChange::Expiration(at))
    })
    .await
}

/// Revokes a key at once and for good. Default keys must be rotated first.
pub async fn revoke(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<ApiKey, ServiceError> {
    change(services, principal, id, |caller, key, context, now| {
        lifecycle::validate_revoke(caller, key, context.other_usable_full_access, now)?;
        Ok(KeyChange::Revoke)
    })
    .await
}

/// Issues a new secret for a key; the old one keeps working until its grace period ends. The
/// new key expires when a calling key does (never, for a person or a key without an expiry).
pub async fn rotate(
    services: &Services,
    principal: &Principal,
    id: &str,
    expiry: RotationExpiry,
) -> Result<RotatedKey, ServiceError> {
    principal.require_key_manager()?;
    let now = Utc::now();
    let environment_id = &principal.environment.id;
    // The rule may run twice (a write retried after a lost connection): the secret of the
    // attempt that committed is the last one generated.
    let secret = Mutex::new(None);
    let (key, previous) = services
        .store
        .rotate_key(environment_id, id, &principal.actor(), now, |key| {
            let old_expires_at = rotation::plan_rotation(principal.scopes(), key, expiry, now)?;
            let new_expires_at = principal
                .freedom(Some(key))
                .ensure_rotation(key, principal.environment.default_rate_limit)?;
            let new_secret = KeySecret::generate(key.key_type.prefix(), &mut rand::rng());
            let hash = services.hasher.hash(&new_secret);
            let rotation = Rotation {
                old_expires_at,
                new_expires_at,
                hash,
                masked_key: new_secret.masked(),
                sealed_secret: Some(seal_secret(services, environment_id, &hash, &new_secret)),
            };
            if let Ok(mut slot) = secret.lock() {
                *slot = Some(new_secret);
            }
            Ok(rotation)
        })
        .await?;
    services.cache.evict(&Change::Key(previous.id.clone()));
    let secret = secret
        .into_inner()
        .ok()
        .flatten()
        .ok_or_else(ServiceError::internal)?;
    Ok(RotatedKey {
        key,
        secret,
        previous,
    })
}

/// A recoverable key's full secret, for owners and members only, of a key their role may
/// manage, written to the audit trail (`KEY_REVEALED`) before it is answered.
pub async fn reveal(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<(ApiKey, KeySecret), ServiceError> {
    let signed_in = principal.require_user()?;
    if !signed_in.user.role.may_reveal() {
        return Err(ServiceError::forbidden(
            "only owners and members may reveal a key",
        ));
    }
    let environment_id = &principal.environment.id;
    let (key, sealed, hash) = services
        .store
        .reveal_key_secret(environment_id, id, &principal.actor(), Utc::now(), |key| {
            lifecycle::validate_reveal(&signed_in.scopes, key)
        })
        .await?;
    let bytes = services
        .data_key
        .open(&secret_seal_context(environment_id, &hash), &sealed)
        .map_err(|err| {
            tracing::error!(error = %err, key.id = %key.id, "a recoverable key does not open with the configured data key");
            ServiceError::internal()
        })?;
    let secret = String::from_utf8(bytes)
        .ok()
        .and_then(|text| KeySecret::parse(&text).ok())
        .ok_or_else(ServiceError::internal)?;
    Ok((key, secret))
}

/// Locks the caller's key `id`, lets `decide` apply a domain rule with the caller's scopes, what
/// the store read about the key's neighbours, and `now`, and writes the change it answers with
/// its audit event.
pub(super) async fn change<F>(
    services: &Services,
    principal: &Principal,
    id: &str,
    decide: F,
) -> Result<ApiKey, ServiceError>
where
    F: Fn(&ScopeSet, &ApiKey, KeyContext, DateTime<Utc>) -> Result<KeyChange, RuleViolation>
        + Send
        + Sync,
{
    principal.require_key_manager()?;
    let now = Utc::now();
    let key = services
        .store
        .change_key(
            &principal.environment.id,
            id,
            &principal.actor(),
            now,
            |key, context| decide(principal.scopes(), key, context, now),
        )
        .await?;
    // Before answering: this replica's next request must see the change.
    services.cache.evict(&Change::Key(key.id.clone()));
    Ok(key)
}

/// One key of the caller's environment; `NOT_FOUND` for a key of any other.
pub async fn get(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<ApiKey, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    services
        .store
        .find_key(&principal.environment.id, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("API key"))
}

/// The keys of the caller's environment, newest first.
pub async fn list(
    services: &Services,
    principal: &Principal,
    filter: &KeyFilter,
    page: &PageRequest<String>,
) -> Result<Page<ApiKey>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    Ok(services
        .store
        .list_keys(
            &principal.environment.id,
            filter,
            page,
            Utc::now(),
            services.settings.expiring_soon,
        )
        .await?)
}

/// The keys of the caller's environment among `ids`, in one read (what other objects point at).
pub async fn find_many(
    services: &Services,
    principal: &Principal,
    ids: &[String],
) -> Result<Vec<ApiKey>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    Ok(services
        .store
        .find_keys(&principal.environment.id, ids)
        .await?)
}
