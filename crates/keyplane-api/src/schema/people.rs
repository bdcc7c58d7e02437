//! The people surface: `viewer`, users, sessions, invitations, the account's audit trail,
//! recoverable keys. Each field translates and calls its use case in `keyplane-service`.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::account_audit::AccountEvent;
use keyplane_domain::session::Session;
use keyplane_domain::user::User;
use keyplane_service::users::AcceptRequest;
use keyplane_service::{Principal, environments, keys, sessions, users};

use super::connection::{PageInfo, audit_page};
use super::context::{principal, services};
use super::enums::{AccountAuditEventType, UserRole};
use super::types::{AccountNode, ActorNode, ApiKeyNode, EnvironmentNode, edges};
use crate::error::ApiError;

/// Where the session cookie a GraphQL answer sets may be sent: set by the transport per
/// request.
#[derive(Debug, Clone, Copy)]
pub struct CookieSecurity {
    pub secure: bool,
}

/// The `Set-Cookie` value that carries a session token, or (with `None`) clears it.
pub fn session_cookie(token: Option<&str>, max_age_seconds: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(token) => format!(
            "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_seconds}{secure}"
        ),
        None => format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"),
    }
}

/// The session cookie's name. Must never change: browsers hold it.
pub const SESSION_COOKIE: &str = "keyplane_session";

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
pub struct Viewer(Principal);

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
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<SessionNode>, ApiError> {
        let Some(signed_in) = self.0.user() else {
            return Ok(Vec::new());
        };
        let services = services(ctx)?;
        let list = sessions::list(services, &self.0).await?;
        Ok(list
            .into_iter()
            .map(|s| session_node(services, s, &signed_in.session_id))
            .collect())
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

#[derive(Debug, Default)]
pub struct PeopleQueries;

#[Object]
impl PeopleQueries {
    /// The caller: a key or a signed-in user, where they act, their account.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer, ApiError> {
        Ok(Viewer(principal(ctx)?.clone()))
    }

    /// The account's users, oldest first. Signed-in users only.
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<UserNode>, ApiError> {
        let list = users::list(services(ctx)?, principal(ctx)?).await?;
        Ok(list.into_iter().map(UserNode).collect())
    }

    /// The account's own audit trail (people, recoverable keys), newest first. Signed-in
    /// users only.
    async fn account_audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AccountAuditEventConnection, ApiError> {
        let principal = principal(ctx)?;
        principal.require_user()?;
        let page = audit_page(first, after)?;
        let page = services(ctx)?
            .store
            .list_account_events(&principal.account.id, &page)
            .await?;
        let (edges, page_info) = edges(
            page,
            |e| e.id.to_string(),
            |cursor, event| AccountAuditEventEdge {
                cursor,
                node: event.into(),
            },
        );
        Ok(AccountAuditEventConnection { edges, page_info })
    }
}

#[derive(InputObject, Debug)]
pub struct InviteUserInput {
    pub email: String,
    pub role: UserRole,
}

#[derive(SimpleObject, Debug)]
pub struct InviteUserPayload {
    /// The link to send to the person: shown this once, valid 72 hours.
    pub invitation_url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(InputObject, Debug)]
pub struct UpdateUserRoleInput {
    pub id: ID,
    pub role: UserRole,
}

#[derive(InputObject, Debug)]
pub struct UserIdInput {
    pub id: ID,
}

/// `email` for the owner setup link only; `displayName` for setup and invitation links.
#[derive(InputObject, Debug)]
pub struct AcceptInvitationInput {
    /// The token from the link's fragment (after `#`).
    pub token: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// At least 12 characters.
    pub password: String,
}

#[derive(SimpleObject, Debug)]
pub struct AcceptInvitationPayload {
    pub user: UserNode,
    /// A session for scripts (send `Authorization: Bearer`); browsers also get it as a cookie.
    pub session_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(InputObject, Debug)]
pub struct ChangePasswordInput {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

#[derive(InputObject, Debug)]
pub struct RevokeSessionInput {
    pub id: ID,
}

#[derive(InputObject, Debug)]
pub struct UpdateRecoverableKeysInput {
    pub enabled: bool,
}

#[derive(InputObject, Debug)]
pub struct RevealApiKeySecretInput {
    pub id: ID,
}

#[derive(SimpleObject, Debug)]
pub struct RevealApiKeySecretPayload {
    pub api_key: ApiKeyNode,
    /// The full secret. The reading is recorded as `KEY_REVEALED`.
    pub secret: String,
}

#[derive(Debug, Default)]
pub struct PeopleMutations;

#[Object]
impl PeopleMutations {
    /// Invites a person with a role (owners only). Answers the invitation link once.
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        input: InviteUserInput,
    ) -> Result<InviteUserPayload, ApiError> {
        let link = users::invite(
            services(ctx)?,
            principal(ctx)?,
            &input.email,
            input.role.into(),
        )
        .await?;
        Ok(InviteUserPayload {
            invitation_url: link.url,
            expires_at: link.expires_at,
        })
    }

    /// Changes a user's role (owners only). The account keeps at least one active owner.
    async fn update_user_role(
        &self,
        ctx: &Context<'_>,
        input: UpdateUserRoleInput,
    ) -> Result<UserNode, ApiError> {
        let user = users::change_role(
            services(ctx)?,
            principal(ctx)?,
            &input.id,
            input.role.into(),
        )
        .await?;
        Ok(UserNode(user))
    }

    /// Disables a user (owners only): their sessions end and they cannot sign in.
    async fn disable_user(
        &self,
        ctx: &Context<'_>,
        input: UserIdInput,
    ) -> Result<UserNode, ApiError> {
        let user = users::disable(services(ctx)?, principal(ctx)?, &input.id).await?;
        Ok(UserNode(user))
    }

    /// Lets a disabled user sign in again (owners only).
    async fn enable_user(
        &self,
        ctx: &Context<'_>,
        input: UserIdInput,
    ) -> Result<UserNode, ApiError> {
        let user = users::enable(services(ctx)?, principal(ctx)?, &input.id).await?;
        Ok(UserNode(user))
    }

    /// Removes a user for good (owners only). Answers the removed user's id.
    async fn remove_user(&self, ctx: &Context<'_>, input: UserIdInput) -> Result<ID, ApiError> {
        users::remove(services(ctx)?, principal(ctx)?, &input.id).await?;
        Ok(input.id)
    }

    /// Uses a setup, invitation or password-reset link and signs the person in. Needs no
    /// credential: the link's token is one.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> Result<AcceptInvitationPayload, ApiError> {
        let services = services(ctx)?;
        let user_agent = ctx.data_opt::<UserAgent>().map(|u| u.0.as_str());
        let logged_in = users::accept_link(
            services,
            AcceptRequest {
                token: &input.token,
                email: input.email.as_deref(),
                display_name: input.display_name.as_deref(),
                password: &input.password,
                user_agent,
            },
        )
        .await?;
        let secure = ctx.data_opt::<CookieSecurity>().is_some_and(|c| c.secure);
        let max_age = services.settings.sessions.absolute.num_seconds();
        ctx.append_http_header(
            http::header::SET_COOKIE,
            session_cookie(Some(logged_in.token.expose()), max_age, secure),
        );
        Ok(AcceptInvitationPayload {
            user: UserNode(logged_in.user),
            session_token: logged_in.token.expose().to_owned(),
            expires_at: logged_in.session.ends_at(services.settings.sessions),
        })
    }

    /// Changes the caller's own password. Their other sessions end.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> Result<UserNode, ApiError> {
        let user = users::change_password(
            services(ctx)?,
            principal(ctx)?,
            &input.current_password,
            &input.new_password,
        )
        .await?;
        Ok(UserNode(user))
    }

    /// Ends one of the caller's own sessions. Answers its id.
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        input: RevokeSessionInput,
    ) -> Result<ID, ApiError> {
        sessions::revoke(services(ctx)?, principal(ctx)?, &input.id).await?;
        Ok(input.id)
    }

    /// Turns recoverable keys on or off in this environment (owners only). Turning them off
    /// deletes every sealed copy; keys made while off are never recoverable.
    async fn update_recoverable_keys(
        &self,
        ctx: &Context<'_>,
        input: UpdateRecoverableKeysInput,
    ) -> Result<EnvironmentNode, ApiError> {
        let environment =
            environments::set_recoverable_keys(services(ctx)?, principal(ctx)?, input.enabled)
                .await?;
        Ok(EnvironmentNode(Arc::new(environment)))
    }

    /// A recoverable key's full secret ("copy full API key"): owners and members only, never
    /// API keys or read-only users. Recorded as `KEY_REVEALED`.
    async fn reveal_api_key_secret(
        &self,
        ctx: &Context<'_>,
        input: RevealApiKeySecretInput,
    ) -> Result<RevealApiKeySecretPayload, ApiError> {
        let (key, secret) = keys::reveal(services(ctx)?, principal(ctx)?, &input.id).await?;
        Ok(RevealApiKeySecretPayload {
            api_key: ApiKeyNode(key),
            secret: secret.expose().to_owned(),
        })
    }
}

/// The request's `User-Agent`, kept with a session opened by `acceptInvitation`.
#[derive(Debug, Clone)]
pub struct UserAgent(pub String);
