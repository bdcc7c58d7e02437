//! GraphQL object types. Each wraps a domain value; conversion happens here, at the edge.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::audit::Actor;
use keyplane_domain::integration::Integration;
use keyplane_domain::key::ApiKey;
use keyplane_domain::scope::CATALOGUE;
use keyplane_store::{ActivityFilter, AuditFilter, Page};

use super::activity::{ActivityEventConnection, activity_connection};
use super::audit::{AuditEventConnection, audit_connection};
use super::connection::{PageInfo, connection_complexity};
use keyplane_service::integrations;

use super::context::{principal, services};
use super::enums;
use super::related::find_related;
use super::usage::{UsageGranularity, UsagePointNode, usage_series};
use crate::error::ApiError;

pub use super::environment::{
    AccountNode, ClientSecurityNode, EnvironmentNode, RateLimitInput, RateLimitSettings,
};

#[derive(Debug, Clone)]
pub struct ApiKeyNode(pub ApiKey);

/// One API key. Its secret is never readable: only `maskedKey`, a display hint.
#[Object(name = "ApiKey")]
impl ApiKeyNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    #[graphql(name = "type")]
    async fn key_type(&self) -> enums::ApiKeyType {
        self.0.key_type.into()
    }

    async fn kind(&self) -> enums::ApiKeyKind {
        self.0.key_type.kind().into()
    }

    async fn status(&self, ctx: &Context<'_>) -> Result<enums::ApiKeyStatus, ApiError> {
        let window = services(ctx)?.settings.expiring_soon;
        Ok(self.0.status(Utc::now(), window).into())
    }

    /// `["*"]` for the full-access key; otherwise `resource:access` strings, a `read` implied
    /// by a `write` left out.
    async fn scopes(&self) -> Vec<String> {
        self.0.scopes.to_strings()
    }

    /// Whether the key holds every current and future permission (`*`).
    async fn full_access(&self) -> bool {
        self.0.scopes.is_all()
    }

    async fn masked_key(&self) -> &str {
        &self.0.masked_key
    }

    /// Whether a sealed copy of the secret is kept, so owners and members can reveal it
    /// (`revealApiKeySecret`). Keys made while recoverable keys were off never are.
    async fn recoverable(&self) -> bool {
        self.0.recoverable
    }

    async fn environment(&self, ctx: &Context<'_>) -> Result<EnvironmentNode, ApiError> {
        // Every key a caller can reach lives in the caller's environment.
        let environment = &principal(ctx)?.environment;
        if environment.id != self.0.environment_id {
            return Err(ApiError::internal());
        }
        Ok(EnvironmentNode(Arc::clone(environment)))
    }

    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// When the key last authenticated a request or passed a verification. Written in batches:
    /// it may lag by up to the last-used flush interval (30 seconds by default).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn created_by(&self) -> ActorNode {
        ActorNode(self.0.created_by.clone())
    }

    /// The only customers the key may act for; null when it is not restricted.
    async fn customer_ids(&self) -> Option<&[String]> {
        self.0.customer_ids.as_deref()
    }

    /// The platform's own data about the key (a JSON object), answered with every
    /// verification; null when none was set.
    async fn metadata(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0
            .metadata
            .as_ref()
            .map(|m| async_graphql::Json(m.to_value()))
    }

    /// The platform's own id for the key's owner (a tenant, a user).
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }

    /// The only addresses the key may be used from, as CIDR ranges (`203.0.113.7/32`); null
    /// when any address may use it.
    async fn allowed_ips(&self) -> Option<Vec<String>> {
        self.0
            .allowed_ips
            .as_ref()
            .map(|ranges| ranges.to_strings())
    }

    /// When the key was disabled; null unless it is disabled now.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled.as_ref().map(|d| d.at)
    }

    /// Why the key was disabled, as its disabler wrote it; null unless it is disabled now.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled.as_ref().map(|d| d.reason.as_str())
    }

    /// The key's own rate limit; null when the environment's default (if any) applies.
    async fn rate_limit(&self) -> Option<RateLimitSettings> {
        self.0.rate_limit.map(Into::into)
    }

    /// The units its verifications may spend, and what is left; null when unlimited.
    async fn quota(&self) -> Option<super::quota::QuotaNode> {
        self.0
            .quota
            .map(|q| super::quota::QuotaNode::of(q, Utc::now()))
    }

    /// The key this one replaced in a rotation.
    async fn rotated_from(&self, ctx: &Context<'_>) -> Result<Option<ApiKeyNode>, ApiError> {
        find_related(ctx, self.0.rotated_from_id.as_deref()).await
    }

    /// The key that replaced this one in a rotation.
    async fn replaced_by(&self, ctx: &Context<'_>) -> Result<Option<ApiKeyNode>, ApiError> {
        find_related(ctx, self.0.replaced_by_id.as_deref()).await
    }

    /// This key's lifecycle events, newest first.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AuditEventConnection, ApiError> {
        let filter = AuditFilter {
            api_key_id: Some(self.0.id.clone()),
            ..AuditFilter::default()
        };
        audit_connection(ctx, &filter, first, after).await
    }

    /// The requests this key made, newest first.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn activity_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActivityEventConnection, ApiError> {
        let filter = ActivityFilter {
            api_key_id: Some(self.0.id.clone()),
            ..ActivityFilter::default()
        };
        activity_connection(ctx, &filter, first, after).await
    }

    /// This key's verifications (by `verifyApiKey` or `POST /v1/verify`) as a time series by
    /// outcome. `from` is rounded down and `to` up to the granularity; `to` is exclusive.
    async fn usage(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        granularity: UsageGranularity,
        #[graphql(desc = "Only the verifications that asked for this permission.")]
        permission: Option<String>,
    ) -> Result<Vec<UsagePointNode>, ApiError> {
        let range = (from, to, granularity);
        let env = &self.0.environment_id;
        usage_series(ctx, env, Some(&self.0.id), range, permission).await
    }
}

#[derive(Debug, Clone)]
pub struct ActorNode(pub Actor);

/// Who made a change: an API key, a console user, or Keyplane itself.
#[Object(name = "Actor")]
impl ActorNode {
    #[graphql(name = "type")]
    async fn actor_type(&self) -> enums::ActorType {
        self.0.actor_type.into()
    }

    async fn id(&self) -> Option<ID> {
        self.0.id.clone().map(ID)
    }

    /// The actor's name when the change was made.
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// One resource of the permission catalogue and the scopes that exist for it.
#[derive(SimpleObject, Debug, Clone)]
pub struct ResourcePermissions {
    pub resource: String,
    pub display_name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

pub fn permission_catalog() -> Vec<ResourcePermissions> {
    CATALOGUE
        .iter()
        .map(|resource| {
            let mut permissions = vec![format!("{}:read", resource.name)];
            if resource.writable {
                permissions.push(format!("{}:write", resource.name));
            }
            ResourcePermissions {
                resource: resource.name.to_owned(),
                display_name: resource.display_name.to_owned(),
                description: resource.description.to_owned(),
                permissions,
            }
        })
        .collect()
}

#[derive(SimpleObject, Debug, Clone)]
pub struct ApiKeyEdge {
    pub cursor: String,
    pub node: ApiKeyNode,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct ApiKeyConnection {
    pub edges: Vec<ApiKeyEdge>,
    pub page_info: PageInfo,
}

/// The edges of a page (each with its cursor) and its `PageInfo`.
pub(super) fn edges<T, E>(
    page: Page<T>,
    cursor: impl Fn(&T) -> String,
    edge: impl Fn(String, T) -> E,
) -> (Vec<E>, PageInfo) {
    let end_cursor = page.items.last().map(&cursor);
    let edges = page
        .items
        .into_iter()
        .map(|item| edge(cursor(&item), item))
        .collect();
    let page_info = PageInfo {
        has_next_page: page.has_more,
        end_cursor,
    };
    (edges, page_info)
}

impl From<Page<ApiKey>> for ApiKeyConnection {
    fn from(page: Page<ApiKey>) -> Self {
        let (edges, page_info) = edges(
            page,
            |key| key.id.clone(),
            |cursor, key| ApiKeyEdge {
                cursor,
                node: ApiKeyNode(key),
            },
        );
        Self { edges, page_info }
    }
}

#[derive(Debug, Clone)]
pub struct IntegrationNode(pub Integration);

#[derive(SimpleObject, Debug, Clone)]
pub struct IntegrationEdge {
    pub cursor: String,
    pub node: IntegrationNode,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct IntegrationConnection {
    pub edges: Vec<IntegrationEdge>,
    pub page_info: PageInfo,
}

impl From<Page<Integration>> for IntegrationConnection {
    fn from(page: Page<Integration>) -> Self {
        let (edges, page_info) = edges(
            page,
            |integration| integration.id.clone(),
            |cursor, integration| IntegrationEdge {
                cursor,
                node: IntegrationNode(integration),
            },
        );
        Self { edges, page_info }
    }
}

/// A connected (or formerly connected) third-party integration and its dedicated key.
#[Object(name = "Integration")]
impl IntegrationNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn provider(&self) -> enums::IntegrationProvider {
        self.0.provider.into()
    }

    async fn display_name(&self) -> &str {
        self.0.provider.spec().display_name
    }

    /// The fixed scopes of the integration's key.
    async fn scopes(&self) -> Vec<String> {
        self.0.provider.scopes().to_strings()
    }

    async fn connected(&self) -> bool {
        self.0.disconnected_at.is_none()
    }

    async fn connected_at(&self) -> DateTime<Utc> {
        self.0.connected_at
    }

    async fn disconnected_at(&self) -> Option<DateTime<Utc>> {
        self.0.disconnected_at
    }

    /// The integration's current key (revoked once disconnected).
    async fn api_key(&self, ctx: &Context<'_>) -> Result<Option<ApiKeyNode>, ApiError> {
        let key = integrations::key(services(ctx)?, principal(ctx)?, &self.0.id).await?;
        Ok(key.map(ApiKeyNode))
    }
}
