//! The people surface: `viewer`, users, sessions, invitations, the account's audit trail,
//! recoverable keys. Each field translates and calls its use case in `keyplane-service`.

mod nodes;
mod session_cookie;

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_service::users::AcceptRequest;
use keyplane_service::{environments, keys, records, sessions, users};

pub use nodes::{AccountAuditEventConnection, AccountAuditEventEdge, UserNode, Viewer};
use nodes::{UserConnection, UserEdge};
pub use session_cookie::{
    ClientAddress, CookieSecurity, SECURE_SESSION_COOKIE, SESSION_COOKIE, UserAgent,
    session_cookie, session_cookie_name,
};

use super::connection::{audit_page, connection_complexity, id_page};
use super::context::{principal, services};
use super::enums::UserRole;
use super::types::{ApiKeyNode, EnvironmentNode, edges};
use crate::error::ApiError;

#[derive(Debug, Default)]
pub struct PeopleQueries;

#[Object]
impl PeopleQueries {
    /// The caller: a key or a signed-in user, where they act, their account.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer, ApiError> {
        Ok(Viewer(principal(ctx)?.clone()))
    }

    /// The account's users, newest first. Signed-in users only.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection, ApiError> {
        let page = id_page(first, after)?;
        let page = users::list(services(ctx)?, principal(ctx)?, &page).await?;
        let (edges, page_info) = edges(
            page,
            |user| user.id.clone(),
            |cursor, user| UserEdge {
                cursor,
                node: UserNode(user),
            },
        );
        Ok(UserConnection { edges, page_info })
    }

    /// The account's own audit trail (people, recoverable keys), newest first. Signed-in
    /// users only.
    async fn account_audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AccountAuditEventConnection, ApiError> {
        let page = audit_page(first, after)?;
        let page = records::account_events(services(ctx)?, principal(ctx)?, &page).await?;
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

#[derive(SimpleObject)]
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
#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The token from the link's fragment (after `#`).
    pub token: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// At least 12 characters.
    pub password: String,
}

#[derive(SimpleObject)]
pub struct AcceptInvitationPayload {
    pub user: UserNode,
    /// A session for scripts (send `Authorization: Bearer`); browsers also get it as a cookie.
    pub session_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(InputObject)]
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

#[derive(SimpleObject)]
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
        let client = ctx.data_opt::<ClientAddress>().and_then(|c| c.0);
        let user = users::change_password(
            services(ctx)?,
            principal(ctx)?,
            client,
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
