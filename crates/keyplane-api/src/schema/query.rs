//! The queries about keys and what happened to them: listings, audit, activity, verification,
//! integrations and the permission catalogue.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use keyplane_domain::key::{ApiKeyKind as DomainKeyKind, ApiKeyType as DomainKeyType};
use keyplane_store::{ActivityFilter, AuditFilter, KeyFilter, TimeRange};
use std::ops::Bound;

use super::activity::{ActivityEventConnection, activity_connection};
use super::audit::{AuditEventConnection, audit_connection};
use super::connection::{connection_complexity, id_page};
use keyplane_service::keys::{KeyQuery, KeyQueryNames};
use keyplane_service::{integrations, keys};

use super::context::{principal, services};
use super::enums::{
    ApiKeyKind, ApiKeyStatus, ApiKeyType, AuditEventSubject, AuditEventType, OperationType,
};
use super::types::{
    ApiKeyConnection, ApiKeyNode, IntegrationConnection, ResourcePermissions, permission_catalog,
};
use super::verification::{self, VerificationResult, VerifyApiKeyInput};
use crate::error::ApiError;

/// Filters of `apiKeys`. Several values of one filter match any of them; filters combine with
/// AND. An empty list matches nothing.
#[derive(InputObject, Debug, Default)]
pub struct ApiKeyFilter {
    pub kind: Option<Vec<ApiKeyKind>>,
    #[graphql(name = "type")]
    pub key_type: Option<Vec<ApiKeyType>>,
    pub status: Option<Vec<ApiKeyStatus>>,
    /// Case-insensitive substring of the key's name.
    pub name_contains: Option<String>,
    /// Exactly this external id: every key of one tenant or user of the platform.
    pub external_id: Option<String>,
    /// Keys whose metadata holds this key with this string value.
    pub metadata: Option<MetadataFilter>,
    /// Keys created before this instant.
    pub created_before: Option<DateTime<Utc>>,
}

/// A metadata key and the string it must hold (numbers and booleans never match).
#[derive(InputObject, Debug)]
pub struct MetadataFilter {
    pub key: String,
    pub value: String,
}

/// What `ApiKeyFilter`'s fields are called, for errors about them.
const FILTER_NAMES: KeyQueryNames = KeyQueryNames {
    name_contains: "nameContains",
    external_id: "externalId",
    metadata: "metadata",
};

impl ApiKeyFilter {
    pub(super) fn into_store(self) -> Result<KeyFilter, ApiError> {
        Ok(self.query().validate(FILTER_NAMES)?)
    }

    /// The filter of `revokeApiKeys`, by the service's stricter rule for revocations.
    pub(super) fn into_revocation_filter(self) -> Result<KeyFilter, ApiError> {
        Ok(self.query().validate_for_revocation(FILTER_NAMES)?)
    }

    fn query(&self) -> KeyQuery<'_> {
        KeyQuery {
            kinds: self
                .kind
                .clone()
                .map(|kinds| kinds.into_iter().map(DomainKeyKind::from).collect()),
            types: self
                .key_type
                .clone()
                .map(|types| types.into_iter().map(DomainKeyType::from).collect()),
            statuses: self
                .status
                .clone()
                .map(|s| s.into_iter().map(Into::into).collect()),
            name_contains: self.name_contains.as_deref(),
            external_id: self.external_id.as_deref(),
            metadata: self
                .metadata
                .as_ref()
                .map(|m| (m.key.as_str(), m.value.as_str())),
            created: TimeRange {
                start: Bound::Unbounded,
                end: self
                    .created_before
                    .map_or(Bound::Unbounded, Bound::Excluded),
            },
        }
    }
}

#[derive(InputObject, Debug, Default)]
pub struct AuditEventFilter {
    pub api_key_id: Option<ID>,
    #[graphql(name = "type")]
    pub event_type: Option<Vec<AuditEventType>>,
    /// Only the events about keys, or only the changes of the environment's settings.
    pub subject: Option<AuditEventSubject>,
}

/// Filters of `activityEvents`; they combine with AND. `since` is inclusive, `until` exclusive.
#[derive(InputObject, Debug, Default)]
pub struct ActivityEventFilter {
    pub api_key_id: Option<ID>,
    pub operation_type: Option<OperationType>,
    /// `OK` or an error code, e.g. `FORBIDDEN`.
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct KeyQueries;

#[Object]
impl KeyQueries {
    /// The keys of the caller's environment, newest first.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ApiKeyFilter>,
    ) -> Result<ApiKeyConnection, ApiError> {
        let page = id_page(first, after)?;
        let filter = filter.unwrap_or_default().into_store()?;
        let page = keys::list(services(ctx)?, principal(ctx)?, &filter, &page).await?;
        Ok(page.into())
    }

    /// One key of the caller's environment; `NOT_FOUND` for a key of any other.
    async fn api_key(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ApiKeyNode>, ApiError> {
        let key = keys::get(services(ctx)?, principal(ctx)?, &id).await?;
        Ok(Some(ApiKeyNode(key)))
    }

    /// Lifecycle events of the environment's keys, newest first.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditEventFilter>,
    ) -> Result<AuditEventConnection, ApiError> {
        let filter = filter.unwrap_or_default();
        let filter = AuditFilter {
            api_key_id: filter.api_key_id.map(|id| id.0),
            types: filter
                .event_type
                .map(|types| types.into_iter().map(Into::into).collect()),
            subject: filter.subject.map(Into::into),
        };
        audit_connection(ctx, &filter, first, after).await
    }

    /// The environment's API requests, newest first. Written in batches: the newest second may
    /// not be listed yet.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn activity_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ActivityEventFilter>,
    ) -> Result<ActivityEventConnection, ApiError> {
        let filter = filter.unwrap_or_default();
        let filter = ActivityFilter {
            api_key_id: filter.api_key_id.map(|id| id.0),
            operation_type: filter.operation_type.map(Into::into),
            outcome: filter.outcome,
            since: filter.since,
            until: filter.until,
        };
        activity_connection(ctx, &filter, first, after).await
    }

    /// May this key do that? Answers for keys of the caller's environment, applying the key's
    /// rate limit: each verification, aliased or not, spends one request of the verified key.
    async fn verify_api_key(
        &self,
        ctx: &Context<'_>,
        input: VerifyApiKeyInput,
    ) -> Result<VerificationResult, ApiError> {
        verification::verify(ctx, input).await
    }

    /// The environment's integrations, newest first, connected or not.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn integrations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IntegrationConnection, ApiError> {
        let page = id_page(first, after)?;
        let page = integrations::list(services(ctx)?, principal(ctx)?, &page).await?;
        Ok(page.into())
    }

    /// Every resource and the scopes that exist for it.
    async fn permission_catalog(&self) -> Vec<ResourcePermissions> {
        permission_catalog()
    }
}
