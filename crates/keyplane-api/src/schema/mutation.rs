//! The mutation root: the key lifecycle. Each mutation runs its domain rule on the locked row
//! inside the store's transaction, so a refusal changes nothing.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::client_security::{generate_signing_secret, parse_client_security};
use keyplane_domain::environment::ensure_may_configure;
use keyplane_domain::integration::{validate_connect, validate_disconnect};
use keyplane_domain::key::ApiKey;
use keyplane_domain::key::ApiKeyType;
use keyplane_domain::lifecycle::{self, CreateKeyRequest, SettingsRequest};
use keyplane_domain::rotation::{self, RotationExpiry};
use keyplane_domain::scope::{Scope, ScopeSet};
use keyplane_domain::secret::{KeyPrefix, KeySecret};
use std::sync::Arc;

use keyplane_store::{
    Change, KeyChange, NewKey, Rotation, SealedSigningSecret, new_signing_secret_id,
};

use super::context::{RequireScope, principal, services};
use super::enums::{GracePeriod, IntegrationProvider, ScopePreset};
use super::types::{
    ApiKeyNode, ClientSecurityNode, EnvironmentNode, IntegrationNode, RateLimitInput,
};
use crate::client_security::seal_context;
use crate::error::ApiError;

/// Exactly one of `scopes` or `preset`.
#[derive(InputObject, Debug)]
pub struct CreateApiKeyInput {
    pub name: String,
    pub description: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub preset: Option<ScopePreset>,
    /// In the future, at most one year out.
    pub expires_at: Option<DateTime<Utc>>,
    /// Restrict the key to these customers (1 to 100 ids).
    pub customer_ids: Option<Vec<String>>,
    pub rate_limit: Option<RateLimitInput>,
}

#[derive(SimpleObject, Debug)]
pub struct CreateApiKeyPayload {
    pub api_key: ApiKeyNode,
    /// The full secret. Shown this once; Keyplane keeps only its hash.
    pub secret: String,
}

/// Settings of a key. An omitted field stays as it is; null clears `description`,
/// `customerIds` (no restriction) or `rateLimit` (the environment default applies). Name,
/// description and customers are for scoped keys; any key may get a rate limit.
#[derive(InputObject, Debug)]
pub struct UpdateApiKeyInput {
    pub id: ID,
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    pub customer_ids: MaybeUndefined<Vec<String>>,
    pub rate_limit: MaybeUndefined<RateLimitInput>,
}

/// `allowedOrigins` omitted keeps the current list; an empty list accepts any origin.
#[derive(InputObject, Debug)]
pub struct UpdateClientSecurityInput {
    pub enabled: bool,
    pub allowed_origins: Option<Vec<String>>,
}

/// How long the previous signing secret keeps verifying tokens. Required once a secret exists.
#[derive(InputObject, Debug)]
pub struct RotateClientSigningSecretInput {
    pub grace_period: Option<GracePeriod>,
}

#[derive(SimpleObject, Debug)]
pub struct RotateClientSigningSecretPayload {
    /// The new signing secret. Shown this once; give it to the backend that mints customer
    /// tokens.
    pub signing_secret: String,
    pub client_security: ClientSecurityNode,
}

#[derive(InputObject, Debug)]
pub struct ConnectIntegrationInput {
    pub provider: IntegrationProvider,
}

#[derive(SimpleObject, Debug)]
pub struct ConnectIntegrationPayload {
    pub integration: IntegrationNode,
    pub api_key: ApiKeyNode,
    /// The integration key's secret. Shown this once; give it to the provider.
    pub secret: String,
}

#[derive(InputObject, Debug)]
pub struct DisconnectIntegrationInput {
    pub id: ID,
}

/// Null removes the default: keys without their own limit are then unlimited.
#[derive(InputObject, Debug)]
pub struct UpdateEnvironmentRateLimitInput {
    pub rate_limit: Option<RateLimitInput>,
}

/// Exactly one of `scopes` or `preset`.
#[derive(InputObject, Debug)]
pub struct UpdateApiKeyScopesInput {
    pub id: ID,
    pub scopes: Option<Vec<String>>,
    pub preset: Option<ScopePreset>,
}

/// Exactly one of `gracePeriod` or `expiresAt` (at most one year out).
#[derive(InputObject, Debug)]
pub struct RotateApiKeyInput {
    pub id: ID,
    pub grace_period: Option<GracePeriod>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject, Debug)]
pub struct RotateApiKeyPayload {
    /// The new key.
    pub api_key: ApiKeyNode,
    /// The new key's secret. Shown this once.
    pub secret: String,
    /// The old key, now expiring at the end of its grace period.
    pub previous_key: ApiKeyNode,
}

#[derive(InputObject, Debug)]
pub struct UpdateApiKeyExpirationInput {
    pub id: ID,
    /// In the future, at most one year out.
    pub expires_at: DateTime<Utc>,
}

#[derive(InputObject, Debug)]
pub struct RevokeApiKeyInput {
    pub id: ID,
}

#[derive(Debug, Default)]
pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Creates a scoped key (SCALE plan) with scopes the caller holds itself.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload, ApiError> {
        let principal = principal(ctx)?;
        let services = services(ctx)?;
        let now = Utc::now();
        let request = CreateKeyRequest {
            name: &input.name,
            description: input.description.as_deref(),
            scopes: input.scopes.as_deref(),
            preset: input.preset.map(Into::into),
            expires_at: input.expires_at,
            customer_ids: input.customer_ids.as_deref(),
            rate_limit: input.rate_limit.map(|l| l.parse("rateLimit")).transpose()?,
        };
        let valid =
            lifecycle::validate_create(principal.scopes(), principal.account.plan, request, now)?;
        let secret = KeySecret::generate(KeyPrefix::Server, &mut rand::rng());
        let new_key = NewKey {
            key_type: ApiKeyType::Scoped,
            name: valid.name,
            description: valid.description,
            scopes: valid.scopes,
            hash: services.hasher.hash(&secret),
            masked_key: secret.masked(),
            expires_at: valid.expires_at,
            rotated_from_id: None,
            customer_ids: valid.customer_ids,
            rate_limit: valid.rate_limit,
            integration_id: None,
        };
        let key = services
            .store
            .create_key(&principal.environment.id, new_key, &principal.actor(), now)
            .await?;
        Ok(CreateApiKeyPayload {
            api_key: ApiKeyNode(key),
            secret: secret.expose().to_owned(),
        })
    }

    /// Changes a key's name, description, customer restriction or rate limit.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn update_api_key(
        &self,
        ctx: &Context<'_>,
        input: UpdateApiKeyInput,
    ) -> Result<ApiKeyNode, ApiError> {
        let rate_limit = match input.rate_limit {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(limit) => Some(Some(limit.parse("rateLimit")?)),
        };
        let request = SettingsRequest {
            name: input.name.as_deref(),
            description: maybe(&input.description).map(|d| d.map(String::as_str)),
            customer_ids: maybe(&input.customer_ids).map(|ids| ids.map(Vec::as_slice)),
            rate_limit,
        };
        change_key(ctx, &input.id, |caller, key, _| {
            let change = lifecycle::validate_settings_change(caller, key, request)?;
            Ok(KeyChange::Settings(change))
        })
        .await
    }

    /// Turns client-side security on or off and sets the allowed origins. Full-access key only.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn update_client_security(
        &self,
        ctx: &Context<'_>,
        input: UpdateClientSecurityInput,
    ) -> Result<ClientSecurityNode, ApiError> {
        let principal = principal(ctx)?;
        let current = &principal.environment.client_security;
        let origins = input
            .allowed_origins
            .as_deref()
            .unwrap_or(&current.allowed_origins);
        let settings = parse_client_security(input.enabled, origins)?;
        ensure_may_configure(principal.scopes())?;
        let environment = services(ctx)?
            .store
            .set_client_security(
                &principal.environment.id,
                &settings,
                &principal.actor(),
                Utc::now(),
            )
            .await?;
        services(ctx)?
            .cache
            .evict(&Change::Environment(environment.id.clone()));
        Ok(ClientSecurityNode {
            enabled: environment.client_security.enabled,
            allowed_origins: environment.client_security.allowed_origins,
        })
    }

    /// Issues a new client signing secret; the previous one keeps verifying tokens for the
    /// grace period. Full-access key only.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn rotate_client_signing_secret(
        &self,
        ctx: &Context<'_>,
        input: RotateClientSigningSecretInput,
    ) -> Result<RotateClientSigningSecretPayload, ApiError> {
        let principal = principal(ctx)?;
        let services = services(ctx)?;
        ensure_may_configure(principal.scopes())?;
        let environment_id = &principal.environment.id;
        let grace = match input.grace_period {
            Some(grace) => keyplane_domain::rotation::GracePeriod::from(grace),
            None if services.store.has_signing_secret(environment_id).await? => {
                return Err(ApiError::bad_input(
                    "gracePeriod",
                    "choose how long the previous signing secret keeps working",
                ));
            }
            None => keyplane_domain::rotation::GracePeriod::Now,
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
        Ok(RotateClientSigningSecretPayload {
            signing_secret: secret,
            client_security: ClientSecurityNode {
                enabled: principal.environment.client_security.enabled,
                allowed_origins: principal
                    .environment
                    .client_security
                    .allowed_origins
                    .clone(),
            },
        })
    }

    /// Connects a provider: provisions its dedicated key with the provider's fixed scopes.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn connect_integration(
        &self,
        ctx: &Context<'_>,
        input: ConnectIntegrationInput,
    ) -> Result<ConnectIntegrationPayload, ApiError> {
        let principal = principal(ctx)?;
        let services = services(ctx)?;
        let provider = keyplane_domain::integration::IntegrationProvider::from(input.provider);
        let scopes = validate_connect(principal.scopes(), provider)?;
        let secret = KeySecret::generate(KeyPrefix::Server, &mut rand::rng());
        let key = NewKey {
            key_type: ApiKeyType::Integration,
            name: format!("{} integration", provider.spec().display_name),
            description: None,
            scopes,
            hash: services.hasher.hash(&secret),
            masked_key: secret.masked(),
            expires_at: None,
            rotated_from_id: None,
            customer_ids: None,
            rate_limit: None,
            integration_id: None,
        };
        let (integration, key) = services
            .store
            .connect_integration(
                &principal.environment.id,
                provider,
                key,
                &principal.actor(),
                Utc::now(),
            )
            .await?;
        Ok(ConnectIntegrationPayload {
            integration: IntegrationNode(integration),
            api_key: ApiKeyNode(key),
            secret: secret.expose().to_owned(),
        })
    }

    /// Disconnects an integration and revokes its key.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn disconnect_integration(
        &self,
        ctx: &Context<'_>,
        input: DisconnectIntegrationInput,
    ) -> Result<IntegrationNode, ApiError> {
        let principal = principal(ctx)?;
        let services = services(ctx)?;
        let (integration, revoked) = services
            .store
            .disconnect_integration(
                &principal.environment.id,
                &input.id,
                &principal.actor(),
                Utc::now(),
                |integration| validate_disconnect(principal.scopes(), integration),
            )
            .await?;
        for key_id in revoked {
            services.cache.evict(&Change::Key(key_id));
        }
        Ok(IntegrationNode(integration))
    }

    /// Sets or clears the environment's default rate limit. Full-access key only.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn update_environment_rate_limit(
        &self,
        ctx: &Context<'_>,
        input: UpdateEnvironmentRateLimitInput,
    ) -> Result<EnvironmentNode, ApiError> {
        let principal = principal(ctx)?;
        let limit = input.rate_limit.map(|l| l.parse("rateLimit")).transpose()?;
        ensure_may_configure(principal.scopes())?;
        let services = services(ctx)?;
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
        Ok(EnvironmentNode(Arc::new(environment)))
    }

    /// Replaces a scoped key's scopes. The caller must hold the old and the new ones.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn update_api_key_scopes(
        &self,
        ctx: &Context<'_>,
        input: UpdateApiKeyScopesInput,
    ) -> Result<ApiKeyNode, ApiError> {
        change_key(ctx, &input.id, |caller, key, now| {
            let scopes = lifecycle::validate_scope_change(
                caller,
                key,
                input.scopes.as_deref(),
                input.preset.map(Into::into),
                now,
            )?;
            Ok(KeyChange::Scopes(scopes))
        })
        .await
    }

    /// Issues a new secret for a key; the old one keeps working until its grace period ends.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn rotate_api_key(
        &self,
        ctx: &Context<'_>,
        input: RotateApiKeyInput,
    ) -> Result<RotateApiKeyPayload, ApiError> {
        let principal = principal(ctx)?;
        let services = services(ctx)?;
        let now = Utc::now();
        let expiry =
            RotationExpiry::from_input(input.grace_period.map(Into::into), input.expires_at)?;
        // The rule may run twice (a write retried after a lost connection): the secret of the
        // attempt that committed is the last one generated.
        let secret = std::sync::Mutex::new(None);
        let (new_key, old_key) = services
            .store
            .rotate_key(
                &principal.environment.id,
                &input.id,
                &principal.actor(),
                now,
                |key| {
                    let old_expires_at =
                        rotation::plan_rotation(principal.scopes(), key, expiry, now)?;
                    let new_secret = KeySecret::generate(key.key_type.prefix(), &mut rand::rng());
                    let rotation = Rotation {
                        old_expires_at,
                        hash: services.hasher.hash(&new_secret),
                        masked_key: new_secret.masked(),
                    };
                    if let Ok(mut slot) = secret.lock() {
                        *slot = Some(new_secret);
                    }
                    Ok(rotation)
                },
            )
            .await?;
        services.cache.evict(&Change::Key(old_key.id.clone()));
        let secret = secret
            .into_inner()
            .ok()
            .flatten()
            .ok_or_else(ApiError::internal)?;
        Ok(RotateApiKeyPayload {
            api_key: ApiKeyNode(new_key),
            secret: secret.expose().to_owned(),
            previous_key: ApiKeyNode(old_key),
        })
    }

    /// Moves the expiration of a key that has one and has not reached it.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn update_api_key_expiration(
        &self,
        ctx: &Context<'_>,
        input: UpdateApiKeyExpirationInput,
    ) -> Result<ApiKeyNode, ApiError> {
        change_key(ctx, &input.id, |caller, key, now| {
            let at = rotation::validate_expiration_change(caller, key, input.expires_at, now)?;
            Ok(KeyChange::Expiration(at))
        })
        .await
    }

    /// Revokes a key at once and for good. Default keys must be rotated first.
    #[graphql(guard = "RequireScope(Scope::API_KEYS_WRITE)")]
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> Result<ApiKeyNode, ApiError> {
        change_key(ctx, &input.id, |caller, key, _| {
            lifecycle::validate_revoke(caller, key)?;
            Ok(KeyChange::Revoke)
        })
        .await
    }
}

/// A field's change: `None` when omitted, `Some(None)` when set to null.
fn maybe<T>(value: &MaybeUndefined<T>) -> Option<Option<&T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// Locks the caller's key `id`, lets `decide` apply a domain rule with the caller's scopes and
/// `now`, and writes the change it answers with its audit event.
async fn change_key<F>(ctx: &Context<'_>, id: &ID, decide: F) -> Result<ApiKeyNode, ApiError>
where
    F: Fn(&ScopeSet, &ApiKey, DateTime<Utc>) -> Result<KeyChange, RuleViolation> + Send + Sync,
{
    let principal = principal(ctx)?;
    let services = services(ctx)?;
    let now = Utc::now();
    let key = services
        .store
        .change_key(
            &principal.environment.id,
            id,
            &principal.actor(),
            now,
            |key| decide(principal.scopes(), key, now),
        )
        .await?;
    // Before answering: this replica's next request must see the change.
    services.cache.evict(&Change::Key(key.id.clone()));
    Ok(ApiKeyNode(key))
}
