//! The key lifecycle's mutations, environment settings and integrations: each translates its
//! input, calls its use case in `keyplane-service` (which authorizes it and runs its domain rule
//! on the locked row, so a refusal changes nothing) and shapes the answer.

use async_graphql::{Context, ID, InputObject, Json, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::lifecycle::{CreateKeyRequest, SettingsRequest};
use keyplane_domain::rotation::RotationExpiry;
use keyplane_service::{environments, integrations, keys};
use std::sync::Arc;

use super::context::{principal, services};
use super::enums::{GracePeriod, IntegrationProvider, ScopePreset};
use super::quota::QuotaInput;
use super::types::{
    ApiKeyNode, ClientSecurityNode, EnvironmentNode, IntegrationNode, RateLimitInput,
};
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
    /// A JSON object of at most 4 KB, answered with every verification of the key. No key may
    /// start with `keyplane`.
    pub metadata: Option<Json<serde_json::Value>>,
    /// The platform's own id for the key's owner (a tenant, a user): 1 to 255 characters.
    pub external_id: Option<String>,
    /// The only addresses the key may be used from: 1 to 100 IPv4 or IPv6 addresses or CIDR
    /// ranges. Omitted or null: any address.
    pub allowed_ips: Option<Vec<String>>,
    /// Units its verifications may spend per day, per month or ever.
    pub quota: Option<QuotaInput>,
}

#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub api_key: ApiKeyNode,
    /// The full secret. Shown this once; Keyplane keeps only its hash.
    pub secret: String,
}

/// Settings of a key. An omitted field stays as it is; null clears `description`,
/// `customerIds` (no restriction), `rateLimit` (the environment default applies), `metadata`,
/// `externalId`, `allowedIps` (any address) or `quota` (none). Name, description and customers
/// are for scoped keys; any key may get a rate limit, metadata, an external id, an IP
/// allow-list and a quota.
#[derive(InputObject, Debug)]
pub struct UpdateApiKeyInput {
    pub id: ID,
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    pub customer_ids: MaybeUndefined<Vec<String>>,
    pub rate_limit: MaybeUndefined<RateLimitInput>,
    pub metadata: MaybeUndefined<Json<serde_json::Value>>,
    pub external_id: MaybeUndefined<String>,
    pub allowed_ips: MaybeUndefined<Vec<String>>,
    pub quota: MaybeUndefined<QuotaInput>,
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

#[derive(SimpleObject)]
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

#[derive(SimpleObject)]
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

#[derive(SimpleObject)]
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
pub struct KeyMutations;

#[Object]
impl KeyMutations {
    /// Creates a scoped key (SCALE plan) with scopes the caller holds itself.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload, ApiError> {
        let request = CreateKeyRequest {
            name: &input.name,
            description: input.description.as_deref(),
            scopes: input.scopes.as_deref(),
            preset: input.preset.map(Into::into),
            expires_at: input.expires_at,
            customer_ids: input.customer_ids.as_deref(),
            rate_limit: input.rate_limit.map(|l| l.parse("rateLimit")).transpose()?,
            metadata: input.metadata.as_ref().map(|m| &m.0),
            external_id: input.external_id.as_deref(),
            allowed_ips: input.allowed_ips.as_deref(),
            quota: input.quota.map(QuotaInput::parse).transpose()?,
        };
        let created = keys::create(services(ctx)?, principal(ctx)?, request).await?;
        Ok(CreateApiKeyPayload {
            api_key: ApiKeyNode(created.key),
            secret: created.secret.expose().to_owned(),
        })
    }

    /// Changes a key's name, description, customer restriction, rate limit, metadata, external
    /// id, IP allow-list or quota.
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
        let quota = match input.quota {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(quota) => Some(Some(quota.parse()?)),
        };
        let request = SettingsRequest {
            name: input.name.as_deref(),
            description: maybe(&input.description).map(|d| d.map(String::as_str)),
            customer_ids: maybe(&input.customer_ids).map(|ids| ids.map(Vec::as_slice)),
            rate_limit,
            metadata: maybe(&input.metadata).map(|m| m.map(|m| &m.0)),
            external_id: maybe(&input.external_id).map(|id| id.map(String::as_str)),
            allowed_ips: maybe(&input.allowed_ips).map(|ips| ips.map(Vec::as_slice)),
            quota,
        };
        let key =
            keys::update_settings(services(ctx)?, principal(ctx)?, &input.id, request).await?;
        Ok(ApiKeyNode(key))
    }

    /// Turns client-side security on or off and sets the allowed origins. Full access only
    /// (the full-access key or an owner).
    async fn update_client_security(
        &self,
        ctx: &Context<'_>,
        input: UpdateClientSecurityInput,
    ) -> Result<ClientSecurityNode, ApiError> {
        let settings = environments::set_client_security(
            services(ctx)?,
            principal(ctx)?,
            input.enabled,
            input.allowed_origins.as_deref(),
        )
        .await?;
        Ok(ClientSecurityNode {
            enabled: settings.enabled,
            allowed_origins: settings.allowed_origins,
        })
    }

    /// Issues a new client signing secret; the previous one keeps verifying tokens for the
    /// grace period. Full access only.
    async fn rotate_client_signing_secret(
        &self,
        ctx: &Context<'_>,
        input: RotateClientSigningSecretInput,
    ) -> Result<RotateClientSigningSecretPayload, ApiError> {
        let principal = principal(ctx)?;
        let secret = environments::rotate_signing_secret(
            services(ctx)?,
            principal,
            input.grace_period.map(Into::into),
        )
        .await?;
        let current = &principal.environment.client_security;
        Ok(RotateClientSigningSecretPayload {
            signing_secret: secret,
            client_security: ClientSecurityNode {
                enabled: current.enabled,
                allowed_origins: current.allowed_origins.clone(),
            },
        })
    }

    /// Connects a provider: provisions its dedicated key with the provider's fixed scopes.
    async fn connect_integration(
        &self,
        ctx: &Context<'_>,
        input: ConnectIntegrationInput,
    ) -> Result<ConnectIntegrationPayload, ApiError> {
        let connected =
            integrations::connect(services(ctx)?, principal(ctx)?, input.provider.into()).await?;
        Ok(ConnectIntegrationPayload {
            integration: IntegrationNode(connected.integration),
            api_key: ApiKeyNode(connected.key),
            secret: connected.secret.expose().to_owned(),
        })
    }

    /// Disconnects an integration and revokes its key.
    async fn disconnect_integration(
        &self,
        ctx: &Context<'_>,
        input: DisconnectIntegrationInput,
    ) -> Result<IntegrationNode, ApiError> {
        let integration =
            integrations::disconnect(services(ctx)?, principal(ctx)?, &input.id).await?;
        Ok(IntegrationNode(integration))
    }

    /// Sets or clears the environment's default rate limit. Full access only.
    async fn update_environment_rate_limit(
        &self,
        ctx: &Context<'_>,
        input: UpdateEnvironmentRateLimitInput,
    ) -> Result<EnvironmentNode, ApiError> {
        let limit = input.rate_limit.map(|l| l.parse("rateLimit")).transpose()?;
        let environment =
            environments::set_default_rate_limit(services(ctx)?, principal(ctx)?, limit).await?;
        Ok(EnvironmentNode(Arc::new(environment)))
    }

    /// Replaces a scoped key's scopes. The caller must hold the old and the new ones.
    async fn update_api_key_scopes(
        &self,
        ctx: &Context<'_>,
        input: UpdateApiKeyScopesInput,
    ) -> Result<ApiKeyNode, ApiError> {
        let key = keys::update_scopes(
            services(ctx)?,
            principal(ctx)?,
            &input.id,
            input.scopes.as_deref(),
            input.preset.map(Into::into),
        )
        .await?;
        Ok(ApiKeyNode(key))
    }

    /// Issues a new secret for a key; the old one keeps working until its grace period ends.
    async fn rotate_api_key(
        &self,
        ctx: &Context<'_>,
        input: RotateApiKeyInput,
    ) -> Result<RotateApiKeyPayload, ApiError> {
        let expiry =
            RotationExpiry::from_input(input.grace_period.map(Into::into), input.expires_at)?;
        let rotated = keys::rotate(services(ctx)?, principal(ctx)?, &input.id, expiry).await?;
        Ok(RotateApiKeyPayload {
            api_key: ApiKeyNode(rotated.key),
            secret: rotated.secret.expose().to_owned(),
            previous_key: ApiKeyNode(rotated.previous),
        })
    }

    /// Moves the expiration of a key that has one and has not reached it.
    async fn update_api_key_expiration(
        &self,
        ctx: &Context<'_>,
        input: UpdateApiKeyExpirationInput,
    ) -> Result<ApiKeyNode, ApiError> {
        let key =
            keys::update_expiration(services(ctx)?, principal(ctx)?, &input.id, input.expires_at)
                .await?;
        Ok(ApiKeyNode(key))
    }

    /// Revokes a key at once and for good. Default keys must be rotated first.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> Result<ApiKeyNode, ApiError> {
        let key = keys::revoke(services(ctx)?, principal(ctx)?, &input.id).await?;
        Ok(ApiKeyNode(key))
    }
}

/// A field's change: `None` when omitted, `Some(None)` when set to null.
pub(super) fn maybe<T>(value: &MaybeUndefined<T>) -> Option<Option<&T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}
