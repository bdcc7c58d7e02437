//! Activity events (one per management call) as GraphQL objects and their connection.

//! GraphQL object types. Each wraps a domain value; conversion happens here, at the edge.

use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::activity::ActivityEvent;
use keyplane_store::ActivityFilter;

use super::connection::{PageInfo, audit_page};
use super::context::{principal, services};
use super::enums;
use super::related::find_related;
use super::types::{ApiKeyNode, edges};
use crate::error::ApiError;
use keyplane_service::records;

/// One API request.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ActivityEvent", complex)]
pub struct ActivityEventNode {
    pub id: ID,
    pub occurred_at: DateTime<Utc>,
    pub operation_name: Option<String>,
    pub operation_type: Option<enums::OperationType>,
    /// The operation's top-level fields.
    pub root_fields: Vec<String>,
    /// `OK`, or the code of the request's first error.
    pub outcome: String,
    pub http_status: i32,
    pub duration_micros: i64,
    /// The user who made the request with a session; null for a key's request.
    pub user_id: Option<ID>,
    #[graphql(skip)]
    api_key_id: Option<String>,
}

#[ComplexObject]
impl ActivityEventNode {
    /// The key that made the request; null for a user's request.
    async fn api_key(&self, ctx: &Context<'_>) -> Result<Option<ApiKeyNode>, ApiError> {
        find_related(ctx, self.api_key_id.as_deref()).await
    }
}

impl From<ActivityEvent> for ActivityEventNode {
    fn from(a: ActivityEvent) -> Self {
        let e = a.event;
        Self {
            id: ID(a.id.to_string()),
            occurred_at: e.occurred_at,
            operation_name: e.operation_name,
            operation_type: e.operation_type.map(Into::into),
            root_fields: e.root_fields,
            outcome: e.outcome,
            http_status: i32::from(e.http_status),
            duration_micros: e.duration_micros,
            user_id: e.user_id.map(ID),
            api_key_id: e.api_key_id,
        }
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct ActivityEventEdge {
    pub cursor: String,
    pub node: ActivityEventNode,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct ActivityEventConnection {
    pub edges: Vec<ActivityEventEdge>,
    pub page_info: PageInfo,
}

pub async fn activity_connection(
    ctx: &Context<'_>,
    filter: &ActivityFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<ActivityEventConnection, ApiError> {
    let page = audit_page(first, after)?;
    let page = records::activity_events(services(ctx)?, principal(ctx)?, filter, &page).await?;
    let (edges, page_info) = edges(
        page,
        |e| e.id.to_string(),
        |cursor, event| ActivityEventEdge {
            cursor,
            node: event.into(),
        },
    );
    Ok(ActivityEventConnection { edges, page_info })
}
