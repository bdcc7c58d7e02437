//! Sessions: login (with its throttles, [`crate::passwords`]), logout, and a user's view of
//! their own sessions.

use std::net::IpAddr;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use keyplane_domain::ErrorCode;
use keyplane_domain::environment::Environment;
use keyplane_domain::password::{Password, hash_password, verify_password};
use keyplane_domain::session::{Session, clip_user_agent};
use keyplane_domain::token::{Token, TokenKind};
use keyplane_domain::user::{User, parse_email};
use keyplane_store::{NewSession, Page, PageRequest};

use crate::Services;
use crate::error::ServiceError;
use crate::principal::Principal;

/// What a login presents.
#[derive(Clone, Copy)]
pub struct LoginRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// The client's address, for the throttles (counted per network: an IPv6 /64).
    pub client: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

impl std::fmt::Debug for LoginRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"redacted")
            .field("client", &self.client)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// An opened session: its token (shown this once), the session, the user and the
/// environments they may act in.
#[derive(Debug)]
pub struct LoggedIn {
    pub token: Token,
    pub session: Session,
    pub user: User,
    pub environments: Vec<Environment>,
}

fn login_failed() -> ServiceError {
    ServiceError::unauthenticated("the email or password is not correct")
}

/// A hash no password matches, checked for unknown emails so they take as long as known ones.
/// Made once, at start (see [`crate::Services::start`]), so the first login pays nothing extra.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(
            &Password::offered("no user has this password, it only takes time"),
            &mut rand::rng(),
        )
    })
}

/// Checks the email and password and opens a session. Every failure (unknown email, wrong
/// password, disabled user) is the same `UNAUTHENTICATED` and takes the same time; too many
/// attempts (per client, per email from that client) are `RATE_LIMITED`, and too many
/// password checks at once across the server `UNAVAILABLE`.
pub async fn login(
    services: &Services,
    request: LoginRequest<'_>,
    now: DateTime<Utc>,
) -> Result<LoggedIn, ServiceError> {
    let email = parse_email("email", request.email).map_err(|_| login_failed())?;
    if !services.guess_limiter.admit(&email, request.client) {
        return Err(ServiceError::new(
            ErrorCode::RateLimited,
            "too many sign-in attempts; wait a minute and try again",
        ));
    }
    let found = services.store.user_credentials(&email).await?;
    let password = Password::offered(request.password);
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, dummy_hash().to_owned()),
    };
    let matches = services
        .password_work
        .run(move || verify_password(&password, &stored))
        .await?;
    let user = match user {
        Some(user) if matches && user.is_active() => user,
        _ => return Err(login_failed()),
    };
    open(services, user, request.user_agent, now).await
}

/// Opens a session for a user who has just proven who they are (login, or a link accepted).
pub(crate) async fn open(
    services: &Services,
    user: User,
    user_agent: Option<&str>,
    now: DateTime<Utc>,
) -> Result<LoggedIn, ServiceError> {
    let policy = services.settings.sessions;
    let token = Token::generate(TokenKind::Session, &mut rand::rng());
    let new = NewSession {
        token_digest: token.digest(),
        expires_at: now + policy.absolute,
        user_agent: user_agent.map(clip_user_agent),
    };
    let session = services
        .store
        .open_session(&user.id, new, now - policy.idle, now)
        .await?;
    let environments = services
        .store
        .environments_of_account(&user.account_id)
        .await?;
    // The store noted the login at the session's start.
    let user = User {
        last_login_at: Some(session.created_at),
        ..user
    };
    Ok(LoggedIn {
        token,
        session,
        user,
        environments,
    })
}

/// Ends the session this token opens (logout). An unknown or ended token is already logged
/// out: answered the same.
pub async fn logout(services: &Services, token_text: &str) -> Result<(), ServiceError> {
    let Some(token) = Token::parse(TokenKind::Session, token_text.trim()) else {
        return Ok(());
    };
    if let Some((session, _)) = services.store.session_by_digest(&token.digest()).await? {
        services
            .store
            .end_session(&session.user_id, &session.id)
            .await?;
    }
    Ok(())
}

/// A page of the caller's own sessions that are still live, newest first.
pub async fn list(
    services: &Services,
    principal: &Principal,
    page: &PageRequest<String>,
) -> Result<Page<Session>, ServiceError> {
    let signed_in = principal.require_user()?;
    let now = Utc::now();
    let policy = services.settings.sessions;
    Ok(services
        .store
        .live_sessions_of(&signed_in.user.id, now - policy.idle, now, page)
        .await?)
}

/// Ends one of the caller's own sessions.
pub async fn revoke(
    services: &Services,
    principal: &Principal,
    session_id: &str,
) -> Result<(), ServiceError> {
    let signed_in = principal.require_user()?;
    if services
        .store
        .end_session(&signed_in.user.id, session_id)
        .await?
    {
        Ok(())
    } else {
        Err(ServiceError::not_found("session"))
    }
}
