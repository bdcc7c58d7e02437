//! Mutations that switch keys off: disabling and enabling one key.

use async_graphql::{Context, ID, InputObject, Object};
use keyplane_service::keys;

use super::context::{principal, services};
use super::types::ApiKeyNode;
use crate::error::ApiError;

#[derive(InputObject, Debug)]
pub struct DisableApiKeyInput {
    pub id: ID,
    /// Why, in 1 to 500 characters: written to the audit trail and shown on the key.
    pub reason: String,
}

#[derive(InputObject, Debug)]
pub struct EnableApiKeyInput {
    pub id: ID,
}

#[derive(Debug, Default)]
pub struct KeyPolicyMutations;

#[Object]
impl KeyPolicyMutations {
    /// Switches a key off until `enableApiKey`: meanwhile it is refused like a revoked key
    /// (401; verification code `DISABLED`). Nothing about the key is lost. The full-access key
    /// needs an owner and another usable full-access key (rotate it first).
    async fn disable_api_key(
        &self,
        ctx: &Context<'_>,
        input: DisableApiKeyInput,
    ) -> Result<ApiKeyNode, ApiError> {
        let key = keys::disable(services(ctx)?, principal(ctx)?, &input.id, &input.reason).await?;
        Ok(ApiKeyNode(key))
    }

    /// Switches a disabled key back on.
    async fn enable_api_key(
        &self,
        ctx: &Context<'_>,
        input: EnableApiKeyInput,
    ) -> Result<ApiKeyNode, ApiError> {
        let key = keys::enable(services(ctx)?, principal(ctx)?, &input.id).await?;
        Ok(ApiKeyNode(key))
    }
}
