//! People: listing, inviting, roles, disabling, removing, passwords, and the one-time links
//! (setup, invitation, reset) that let someone in. Owners manage users; everyone manages their
//! own password. The operator's recovery commands (`keyplane user …`) use [`operator`].

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use keyplane_domain::ErrorCode;
use keyplane_domain::audit::Actor;
use keyplane_domain::invitation::{LinkPurpose, invalid_link};
use keyplane_domain::password::{Password, hash_password, verify_password};
use keyplane_domain::token::{Token, TokenKind};
use keyplane_domain::user::{Role, User, ensure_keeps_an_owner, parse_display_name, parse_email};
use keyplane_store::{Acceptance, NewLink, Page, PageRequest, Store, UserChange};

use crate::Services;
use crate::error::ServiceError;
use crate::principal::Principal;
use crate::sessions::{self, LoggedIn};

/// A one-time link just made: its URL carries the token and is shown this once.
pub struct IssuedLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for IssuedLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedLink")
            .field(
                "url",
                &self
                    .url
                    .split_once('#')
                    .map_or("redacted", |(base, _)| base),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A page of the account's users, newest first. Any signed-in user may list them; keys may
/// not.
pub async fn list(
    services: &Services,
    principal: &Principal,
    page: &PageRequest<String>,
) -> Result<Page<User>, ServiceError> {
    principal.require_user()?;
    Ok(services.store.users(&principal.account.id, page).await?)
}

/// Invites `email` with `role` (owners only); answers the invitation link, valid 72 hours.
pub async fn invite(
    services: &Services,
    principal: &Principal,
    email: &str,
    role: Role,
) -> Result<IssuedLink, ServiceError> {
    principal.require_owner("invite users")?;
    let email = parse_email("email", email)?;
    issue_link(
        &services.store,
        &services.settings.public_url,
        NewLinkFor::Invitation {
            account_id: &principal.account.id,
            email,
            role,
        },
        &principal.actor(),
        Utc::now(),
    )
    .await
}

/// Changes a user's role (owners only). The account keeps at least one active owner.
pub async fn change_role(
    services: &Services,
    principal: &Principal,
    user_id: &str,
    role: Role,
) -> Result<User, ServiceError> {
    principal.require_owner("change roles")?;
    change(services, principal, user_id, |target, users| {
        let owners_after = active_owners_without(users, target)
            + u64::from(target.is_active() && role == Role::Owner);
        ensure_keeps_an_owner(owners_after)?;
        Ok(UserChange::Role(role))
    })
    .await?
    .ok_or_else(ServiceError::internal)
}

/// Disables a user (owners only): their sessions end and they cannot sign in.
pub async fn disable(
    services: &Services,
    principal: &Principal,
    user_id: &str,
) -> Result<User, ServiceError> {
    principal.require_owner("disable users")?;
    change(services, principal, user_id, |target, users| {
        ensure_keeps_an_owner(active_owners_without(users, target))?;
        Ok(UserChange::Disable)
    })
    .await?
    .ok_or_else(ServiceError::internal)
}

/// Lets a disabled user sign in again (owners only).
pub async fn enable(
    services: &Services,
    principal: &Principal,
    user_id: &str,
) -> Result<User, ServiceError> {
    principal.require_owner("enable users")?;
    change(services, principal, user_id, |_, _| Ok(UserChange::Enable))
        .await?
        .ok_or_else(ServiceError::internal)
}

/// Removes a user for good (owners only). What they did stays in the audit trails by name.
pub async fn remove(
    services: &Services,
    principal: &Principal,
    user_id: &str,
) -> Result<(), ServiceError> {
    principal.require_owner("remove users")?;
    change(services, principal, user_id, |target, users| {
        ensure_keeps_an_owner(active_owners_without(users, target))?;
        Ok(UserChange::Remove)
    })
    .await?;
    Ok(())
}

/// Changes the caller's own password, given the current one. Their other sessions end.
/// Guessing the current one is throttled as login is, with the same counts (per client, per
/// email from that client): `RATE_LIMITED` before the password is looked at. `client` is the
/// caller's address.
pub async fn change_password(
    services: &Services,
    principal: &Principal,
    client: Option<IpAddr>,
    current: &str,
    new: &str,
) -> Result<User, ServiceError> {
    let signed_in = principal.require_user()?;
    let new = Password::parse_new("newPassword", new)?;
    if !services.guess_limiter.admit(&signed_in.user.email, client) {
        return Err(ServiceError::new(
            ErrorCode::RateLimited,
            "too many password attempts; wait a minute and try again",
        ));
    }
    let (_, stored) = services
        .store
        .user_credentials(&signed_in.user.email)
        .await?
        .ok_or_else(ServiceError::internal)?;
    let current = Password::offered(current);
    let (matches, hash) = services
        .password_work
        .run(move || {
            let matches = verify_password(&current, &stored);
            (
                matches,
                matches.then(|| hash_password(&new, &mut rand::rng())),
            )
        })
        .await?;
    let (true, Some(hash)) = (matches, hash) else {
        return Err(ServiceError::bad_input(
            "currentPassword",
            "the current password is not correct",
        ));
    };
    let keep_session = Some(signed_in.session_id.clone());
    change(services, principal, &signed_in.user.id, move |_, _| {
        Ok(UserChange::Password {
            hash: hash.clone(),
            keep_session: keep_session.clone(),
        })
    })
    .await?
    .ok_or_else(ServiceError::internal)
}

/// What a person gives when opening a link. `email` is for the setup link only;
/// `display_name` for setup and invitation links.
#[derive(Clone, Copy)]
pub struct AcceptRequest<'a> {
    pub token: &'a str,
    pub email: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub password: &'a str,
    pub user_agent: Option<&'a str>,
}

impl std::fmt::Debug for AcceptRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptRequest")
            .field("token", &"redacted")
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("password", &"redacted")
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Uses a one-time link: creates the user (setup, invitation) or sets their password (reset),
/// then signs them in. Needs no credential: the link is one.
pub async fn accept_link(
    services: &Services,
    request: AcceptRequest<'_>,
) -> Result<LoggedIn, ServiceError> {
    let now = Utc::now();
    let token = Token::parse(TokenKind::Link, request.token.trim()).ok_or_else(invalid_link)?;
    let link = services
        .store
        .link_by_digest(&token.digest())
        .await?
        .ok_or_else(invalid_link)?;
    link.ensure_usable(now)?;
    let email = match (link.purpose, request.email) {
        (LinkPurpose::Setup, Some(email)) => Some(parse_email("email", email)?),
        (LinkPurpose::Setup, None) => {
            return Err(ServiceError::bad_input("email", "give your email address"));
        }
        _ => None,
    };
    let display_name = match (link.purpose, request.display_name) {
        (LinkPurpose::PasswordReset, _) => None,
        (_, Some(name)) => Some(parse_display_name("displayName", name)?),
        (_, None) => return Err(ServiceError::bad_input("displayName", "give your name")),
    };
    let password = Password::parse_new("password", request.password)?;
    let password_hash = services
        .password_work
        .run(move || hash_password(&password, &mut rand::rng()))
        .await?;
    let acceptance = Acceptance {
        email,
        display_name,
        password_hash,
    };
    let user = services
        .store
        .accept_link(&token.digest(), acceptance, now)
        .await?;
    sessions::open(services, user, request.user_agent, now).await
}

async fn change<F>(
    services: &Services,
    principal: &Principal,
    user_id: &str,
    decide: F,
) -> Result<Option<User>, ServiceError>
where
    F: Fn(&User, &[User]) -> Result<UserChange, keyplane_domain::RuleViolation> + Send + Sync,
{
    Ok(services
        .store
        .change_user(
            &principal.account.id,
            user_id,
            &principal.actor(),
            Utc::now(),
            decide,
        )
        .await?)
}

/// Active owners other than `target`.
fn active_owners_without(users: &[User], target: &User) -> u64 {
    users
        .iter()
        .filter(|u| u.id != target.id && u.is_active_owner())
        .count() as u64
}

enum NewLinkFor<'a> {
    Setup {
        account_id: &'a str,
    },
    Invitation {
        account_id: &'a str,
        email: String,
        role: Role,
    },
    PasswordReset {
        user: User,
    },
}

async fn issue_link(
    store: &Store,
    public_url: &str,
    what: NewLinkFor<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<IssuedLink, ServiceError> {
    let token = Token::generate(TokenKind::Link, &mut rand::rng());
    let (purpose, account_id, email, role, user_id) = match what {
        NewLinkFor::Setup { account_id } => (
            LinkPurpose::Setup,
            account_id.to_owned(),
            None,
            Some(Role::Owner),
            None,
        ),
        NewLinkFor::Invitation {
            account_id,
            email,
            role,
        } => (
            LinkPurpose::Invitation,
            account_id.to_owned(),
            Some(email),
            Some(role),
            None,
        ),
        NewLinkFor::PasswordReset { user } => (
            LinkPurpose::PasswordReset,
            user.account_id,
            None,
            None,
            Some(user.id),
        ),
    };
    let expires_at = now + purpose.validity();
    store
        .create_link(
            NewLink {
                account_id,
                purpose,
                token_digest: token.digest(),
                email,
                role,
                user_id,
                expires_at,
            },
            actor,
            now,
        )
        .await?;
    Ok(IssuedLink {
        url: purpose.url(public_url, &token),
        expires_at,
    })
}

/// The operator's recovery paths, for the `keyplane` binary: no principal, the actor is the
/// system. Each answers a one-time link.
pub mod operator {
    use super::*;

    /// The first owner's setup link, valid 24 hours (bootstrap prints it beside the keys).
    pub async fn setup_link(
        store: &Store,
        public_url: &str,
        account_id: &str,
    ) -> Result<IssuedLink, ServiceError> {
        issue_link(
            store,
            public_url,
            NewLinkFor::Setup { account_id },
            &Actor::system(),
            Utc::now(),
        )
        .await
    }

    /// `keyplane user add --email --role`: an invitation link for the installation's account.
    pub async fn add_user(
        store: &Store,
        public_url: &str,
        email: &str,
        role: Role,
    ) -> Result<IssuedLink, ServiceError> {
        let email = parse_email("email", email)?;
        let account = store.the_account().await?;
        issue_link(
            store,
            public_url,
            NewLinkFor::Invitation {
                account_id: &account.id,
                email,
                role,
            },
            &Actor::system(),
            Utc::now(),
        )
        .await
    }

    /// `keyplane user reset-password --email`: a reset link, valid 24 hours.
    pub async fn reset_password(
        store: &Store,
        public_url: &str,
        email: &str,
    ) -> Result<IssuedLink, ServiceError> {
        let email = parse_email("email", email)?;
        let user = store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| ServiceError::not_found("user"))?;
        issue_link(
            store,
            public_url,
            NewLinkFor::PasswordReset { user },
            &Actor::system(),
            Utc::now(),
        )
        .await
    }
}
