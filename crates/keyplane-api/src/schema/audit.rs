//! Audit events as GraphQL objects: the event, its before/after state, the connection.

//! GraphQL object types. Each wraps a domain value; conversion happens here, at the edge.

use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::audit::{AuditEvent, KeySnapshot};
use keyplane_store::AuditFilter;

use keyplane_service::records;

use super::connection::{PageInfo, audit_page};
use super::context::{principal, services};
use super::enums;
use super::related::find_related;
use super::types::{ActorNode, ApiKeyNode, RateLimitSettings, edges};
use crate::error::ApiError;

/// The fields an audit event touched, as they were before or after it: a key's, or for a
/// settings event the environment's. For `DEFAULT_RATE_LIMIT_CHANGED` a null `rateLimit`
/// means none.
#[derive(SimpleObject, Debug, Clone)]
pub struct AuditKeyState {
    pub name: Option<String>,
    pub description: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub customer_ids: Option<Vec<String>>,
    pub rate_limit: Option<RateLimitSettings>,
    pub client_security_enabled: Option<bool>,
    pub allowed_origins: Option<Vec<String>>,
    /// The signing secret that was or became current, by id; never the secret.
    pub signing_secret_id: Option<String>,
    /// When the previously current signing secret stops being accepted.
    pub signing_secret_valid_until: Option<DateTime<Utc>>,
    pub integration: Option<enums::IntegrationProvider>,
    pub metadata: Option<async_graphql::Json<serde_json::Value>>,
    pub external_id: Option<String>,
    pub allowed_ips: Option<Vec<String>>,
    pub quota: Option<super::quota::QuotaSettings>,
    /// For `KEY_DISABLED` (after) and `KEY_ENABLED` (before): why the key was disabled.
    pub disabled_reason: Option<String>,
    /// For the `WEBHOOK_ENDPOINT_*` events: the endpoint (never its secret).
    pub webhook: Option<super::webhooks::WebhookEndpointState>,
    /// For `KEY_LEAKED` (after): where the secret was found and what was done.
    pub leak: Option<LeakState>,
    /// For `LEAK_POLICY_CHANGED`.
    pub leak_policy: Option<enums::LeakPolicy>,
}

/// Where a leaked secret was found, as the report said, and what Keyplane did.
#[derive(SimpleObject, Debug, Clone)]
pub struct LeakState {
    pub url: Option<String>,
    pub source: Option<String>,
    pub action: enums::LeakAction,
}

impl From<KeySnapshot> for AuditKeyState {
    fn from(s: KeySnapshot) -> Self {
        Self {
            name: s.name,
            description: s.description,
            scopes: s.scopes,
            expires_at: s.expires_at,
            customer_ids: s.customer_ids,
            rate_limit: s.rate_limit.map(Into::into),
            client_security_enabled: s.client_security_enabled,
            allowed_origins: s.allowed_origins,
            signing_secret_id: s.signing_secret_id,
            signing_secret_valid_until: s.signing_secret_valid_until,
            integration: s
                .integration
                .as_deref()
                .and_then(keyplane_domain::integration::IntegrationProvider::parse)
                .map(Into::into),
            metadata: s.metadata.map(async_graphql::Json),
            external_id: s.external_id,
            allowed_ips: s.allowed_ips,
            quota: s.quota.map(Into::into),
            disabled_reason: s.disabled_reason,
            webhook: s.webhook.map(Into::into),
            leak: s.leak.map(|leak| LeakState {
                url: leak.url,
                source: leak.source,
                action: leak.action.into(),
            }),
            leak_policy: s.leak_policy.map(Into::into),
        }
    }
}

/// One lifecycle change of one key, or one change of the environment's settings.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "AuditEvent", complex)]
pub struct AuditEventNode {
    pub id: ID,
    #[graphql(name = "type")]
    pub event_type: enums::AuditEventType,
    pub occurred_at: DateTime<Utc>,
    pub actor: ActorNode,
    pub before: AuditKeyState,
    pub after: AuditKeyState,
    #[graphql(skip)]
    api_key_id: Option<String>,
    #[graphql(skip)]
    related_key_id: Option<String>,
}

#[ComplexObject]
impl AuditEventNode {
    /// The key the event is about; null for a settings event.
    async fn api_key(&self, ctx: &Context<'_>) -> Result<Option<ApiKeyNode>, ApiError> {
        find_related(ctx, self.api_key_id.as_deref()).await
    }

    /// For `KEY_ROTATED`, the key that replaced this one; for the `KEY_CREATED` of a rotated
    /// key, the key it replaced.
    async fn related_api_key(&self, ctx: &Context<'_>) -> Result<Option<ApiKeyNode>, ApiError> {
        find_related(ctx, self.related_key_id.as_deref()).await
    }
}

impl From<AuditEvent> for AuditEventNode {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: ID(e.id.to_string()),
            event_type: e.event_type.into(),
            occurred_at: e.occurred_at,
            actor: ActorNode(e.actor),
            before: e.before.into(),
            after: e.after.into(),
            api_key_id: e.api_key_id,
            related_key_id: e.related_key_id,
        }
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct AuditEventEdge {
    pub cursor: String,
    pub node: AuditEventNode,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct AuditEventConnection {
    pub edges: Vec<AuditEventEdge>,
    pub page_info: PageInfo,
}

pub async fn audit_connection(
    ctx: &Context<'_>,
    filter: &AuditFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<AuditEventConnection, ApiError> {
    let page = audit_page(first, after)?;
    let page = records::audit_events(services(ctx)?, principal(ctx)?, filter, &page).await?;
    let (edges, page_info) = edges(
        page,
        |e| e.id.to_string(),
        |cursor, event| AuditEventEdge {
            cursor,
            node: event.into(),
        },
    );
    Ok(AuditEventConnection { edges, page_info })
}
