//! The people objects: `User`, `Session`, `Viewer`, `AccountAuditEvent`, and their
//! connections.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::account_audit::AccountEvent;
use keyplane_domain::session::Session;
use keyplane_domain::user::User;
use keyplane_service::{Principal, sessions};

use super::super::connection::{PageInfo, connection_complexity, id_page};
use super::super::context::services;
use super::super::enums::{AccountAuditEventType, UserRole};
use super::super::types::{AccountNode, ActorNode, ApiKeyNode, EnvironmentNode, edges};
use crate::error::ApiError;

/// A person who uses Keyplane.
#[derive(Debug, Clone)]
pub struct UserNode(pub User);

#[Object(name = "User")]
impl UserNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn role(&self) -> UserRole {
        self.0.role.into()
    }

    /// A disabled user cannot sign in; their sessions ended when they were disabled.
    async fn disabled(&self) -> bool {
        !self.0.is_active()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_login_at
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct UserEdge {
    pub cursor: String,
    pub node: UserNode,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct UserConnection {
    pub edges: Vec<UserEdge>,
    pub page_info: PageInfo,
}

/// One of the viewer's signed-in sessions.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Session")]
pub struct SessionNode {
    pub id: ID,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// When the session ends if no request comes first (idle or absolute, whichever is first).
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    /// Whether this is the session the request came with.
    pub current: bool,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct SessionEdge {
    pub cursor: String,
    pub node: SessionNode,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct SessionConnection {
    pub edges: Vec<SessionEdge>,
    pub page_info: PageInfo,
}

fn session_node(
    services: &keyplane_service::Services,
    session: Session,
    current: &str,
) -> SessionNode {
    SessionNode {
        id: ID(session.id.clone()),
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        expires_at: session.ends_at(services.settings.sessions),
        user_agent: session.user_agent.clone(),
        current: session.id == current,
    }
}

/// The caller: a key or a signed-in user, the environment they act in, their account.
#[derive(Debug, Clone)]
pub struct Viewer(pub Principal);

#[Object]
impl Viewer {
    /// The signed-in user; null for an API key.
    async fn user(&self) -> Option<UserNode> {
        self.0.user().map(|s| UserNode(s.user.clone()))
    }

    /// The calling key; null for a signed-in user.
    async fn api_key(&self) -> Option<ApiKeyNode> {
        self.0.key().map(|key| ApiKeyNode((**key).clone()))
    }

    /// The environment this request acts in.
    async fn environment(&self) -> EnvironmentNode {
        EnvironmentNode(Arc::clone(&self.0.environment))
    }

    /// The environments the caller may act in: every one of the account for a user (name one
    /// with the `Keyplane-Environment` header), the key's own for a key.
    async fn environments(&self, ctx: &Context<'_>) -> Result<Vec<EnvironmentNode>, ApiError> {
        if self.0.user().is_none() {
            return Ok(vec![EnvironmentNode(Arc::clone(&self.0.environment))]);
        }
        let environments = services(ctx)?
            .store
            .environments_of_account(&self.0.account.id)
            .await?;
        Ok(environments
            .into_iter()
            .map(|e| EnvironmentNode(Arc::new(e)))
            .collect())
    }

    async fn account(&self) -> AccountNode {
        AccountNode(Arc::clone(&self.0.account))
    }

    /// The signed-in user's live sessions, newest first; empty for an API key.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SessionConnection, ApiError> {
        let page = id_page(first, after)?;
        let Some(signed_in) = self.0.user() else {
            return Ok(SessionConnection {
                edges: Vec::new(),
                page_info: PageInfo {
                    has_next_page: false,
                    end_cursor: None,
                },
            });
        };
        let services = services(ctx)?;
        let page = sessions::list(services, &self.0, &page).await?;
        let (edges, page_info) = edges(
            page,
            |session| session.id.clone(),
            |cursor, session| SessionEdge {
                cursor,
                node: session_node(services, session, &signed_in.session_id),
            },
        );
        Ok(SessionConnection { edges, page_info })
    }
}

/// A change to people or to an account-wide choice.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "AccountAuditEvent")]
pub struct AccountAuditEventNode {
    pub id: ID,
    #[graphql(name = "type")]
    pub event_type: AccountAuditEventType,
    pub occurred_at: DateTime<Utc>,
    pub actor: ActorNode,
    /// The user the event is about (kept after they are removed).
    pub user_id: Option<ID>,
    pub email: Option<String>,
    pub role_before: Option<UserRole>,
    pub role_after: Option<UserRole>,
    /// For `RECOVERABLE_KEYS_UPDATED`: the environment and its new setting.
    pub environment_id: Option<ID>,
    pub recoverable_keys: Option<bool>,
}

impl From<AccountEvent> for AccountAuditEventNode {
    fn from(e: AccountEvent) -> Self {
        let role = |r: Option<String>| {
            r.as_deref()
                .and_then(keyplane_domain::user::Role::parse)
                .map(Into::into)
        };
        let details = e.event.details;
        Self {
            id: ID(e.id.to_string()),
            event_type: e.event.event_type.into(),
            occurred_at: e.occurred_at,
            actor: ActorNode(e.event.actor),
            user_id: e.event.user_id.map(ID),
            email: details.email,
            role_before: role(details.role_before),
            role_after: role(details.role_after),
            environment_id: details.environment_id.map(ID),
            recoverable_keys: details.recoverable_keys,
        }
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct AccountAuditEventEdge {
    pub cursor: String,
    pub node: AccountAuditEventNode,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct AccountAuditEventConnection {
    pub edges: Vec<AccountAuditEventEdge>,
    pub page_info: PageInfo,
}
