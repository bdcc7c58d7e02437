//! Mutations that switch keys off: disabling and enabling one key, and revoking many at once.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use keyplane_service::keys;

use super::context::{principal, services};
use super::query::ApiKeyFilter;
use super::types::ApiKeyNode;
use crate::error::ApiError;

/// Exactly one of `ids` (1 to 1,000) or `filter` (at least one criterion; it may match at
/// most 1,000 unrevoked keys).
#[derive(InputObject, Debug)]
pub struct RevokeApiKeysInput {
    pub ids: Option<Vec<ID>>,
    pub filter: Option<ApiKeyFilter>,
}

/// What a bulk revocation did: every selected key is either revoked or skipped with why.
#[derive(SimpleObject, Debug)]
pub struct RevokeApiKeysPayload {
    pub revoked: Vec<ApiKeyNode>,
    pub skipped: Vec<SkippedApiKey>,
}

/// A key a bulk revocation left alone, with the error a single `revokeApiKey` would have met.
#[derive(SimpleObject, Debug)]
pub struct SkippedApiKey {
    pub id: ID,
    /// The error code: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`.
    pub code: String,
    pub message: String,
}

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

    /// Revokes many keys in one transaction, each by the rule of `revokeApiKey`: what that rule
    /// refuses is skipped, with its code, and the rest is revoked and audited one event per key.
    async fn revoke_api_keys(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeysInput,
    ) -> Result<RevokeApiKeysPayload, ApiError> {
        let ids = input
            .ids
            .map(|ids| ids.into_iter().map(|id| id.0).collect());
        let filter = input
            .filter
            .map(ApiKeyFilter::into_revocation_filter)
            .transpose()?;
        let selection = keys::selection(ids, filter)?;
        let done = keys::revoke_many(services(ctx)?, principal(ctx)?, selection).await?;
        Ok(RevokeApiKeysPayload {
            revoked: done.revoked.into_iter().map(ApiKeyNode).collect(),
            skipped: done
                .skipped
                .into_iter()
                .map(|(id, violation)| SkippedApiKey {
                    id: ID(id),
                    code: violation.code.as_str().to_owned(),
                    message: violation.message,
                })
                .collect(),
        })
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
