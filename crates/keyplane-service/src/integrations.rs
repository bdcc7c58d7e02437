//! Integrations: connecting a provider provisions its dedicated key; disconnecting revokes it.

use chrono::Utc;
use keyplane_domain::integration::{
    Integration, IntegrationProvider, validate_connect, validate_disconnect,
};
use keyplane_domain::key::{ApiKey, ApiKeyType};
use keyplane_domain::scope::Scope;
use keyplane_domain::secret::{KeyPrefix, KeySecret};
use keyplane_store::{Change, NewKey, Page, PageRequest};

use crate::Services;
use crate::error::ServiceError;
use crate::keys::seal_secret;
use crate::principal::Principal;

/// A provider just connected, with its key's secret: shown this once.
#[derive(Debug)]
pub struct Connected {
    pub integration: Integration,
    pub key: ApiKey,
    pub secret: KeySecret,
}

pub async fn connect(
    services: &Services,
    principal: &Principal,
    provider: IntegrationProvider,
) -> Result<Connected, ServiceError> {
    principal.require_key_manager()?;
    let scopes = validate_connect(principal.scopes(), provider)?;
    principal
        .freedom(None)
        .ensure_integration_key(principal.environment.default_rate_limit)?;
    let secret = KeySecret::generate(KeyPrefix::Server, &mut rand::rng());
    let hash = services.hasher.hash(&secret);
    let environment_id = &principal.environment.id;
    let key = NewKey {
        key_type: ApiKeyType::Integration,
        name: format!("{} integration", provider.spec().display_name),
        description: None,
        scopes,
        hash,
        masked_key: secret.masked(),
        expires_at: None,
        rotated_from_id: None,
        customer_ids: None,
        rate_limit: None,
        integration_id: None,
        metadata: None,
        external_id: None,
        allowed_ips: None,
        quota: None,
        sealed_secret: Some(seal_secret(services, environment_id, &hash, &secret)),
    };
    let (integration, key) = services
        .store
        .connect_integration(
            environment_id,
            provider,
            key,
            &principal.actor(),
            Utc::now(),
        )
        .await?;
    Ok(Connected {
        integration,
        key,
        secret,
    })
}

pub async fn disconnect(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<Integration, ServiceError> {
    principal.require_key_manager()?;
    let (integration, revoked) = services
        .store
        .disconnect_integration(
            &principal.environment.id,
            id,
            &principal.actor(),
            Utc::now(),
            |integration| validate_disconnect(principal.scopes(), integration),
        )
        .await?;
    for key_id in revoked {
        services.cache.evict(&Change::Key(key_id));
    }
    Ok(integration)
}

/// A page of the caller's environment's integrations, newest first, connected or not.
pub async fn list(
    services: &Services,
    principal: &Principal,
    page: &PageRequest<String>,
) -> Result<Page<Integration>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    Ok(services
        .store
        .list_integrations(&principal.environment.id, page)
        .await?)
}

/// One integration of the caller's environment, connected or not; `NOT_FOUND` for any other.
pub async fn get(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<Integration, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    services
        .store
        .integration(&principal.environment.id, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("integration"))
}

/// An integration's current key (revoked once disconnected).
pub async fn key(
    services: &Services,
    principal: &Principal,
    integration_id: &str,
) -> Result<Option<ApiKey>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    let key = services.store.integration_key(integration_id).await?;
    // Integrations are read through the caller's environment; so are their keys.
    Ok(key.filter(|key| key.environment_id == principal.environment.id))
}
