//! Sessions: login (with its throttles), logout, and a user's view of their own sessions.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use keyplane_domain::ErrorCode;
use keyplane_domain::environment::Environment;
use keyplane_domain::password::{Password, hash_password, verify_password};
use keyplane_domain::session::{Session, clip_user_agent};
use keyplane_domain::token::{Token, TokenKind};
use keyplane_domain::user::{User, parse_email};
use keyplane_store::NewSession;

use crate::Services;
use crate::error::ServiceError;
use crate::principal::Principal;

/// Login throttles: per email (guessing one person's password) and per client address (trying
/// many). Both count every attempt, and are checked before the password is.
#[derive(Debug)]
pub struct LoginLimiter {
    per_email: DefaultKeyedRateLimiter<String>,
    per_client: DefaultKeyedRateLimiter<IpAddr>,
}

/// Five attempts at once for one email, then one a minute.
const EMAIL_BURST: u32 = 5;
/// Twenty attempts at once from one address, then ten a minute.
const CLIENT_BURST: u32 = 20;

impl Default for LoginLimiter {
    fn default() -> Self {
        let per = |burst: u32, per_minute: u32| {
            Quota::per_minute(NonZeroU32::new(per_minute).expect("non-zero"))
                .allow_burst(NonZeroU32::new(burst).expect("non-zero"))
        };
        Self {
            per_email: RateLimiter::keyed(per(EMAIL_BURST, 1)),
            per_client: RateLimiter::keyed(per(CLIENT_BURST, 10)),
        }
    }
}

impl LoginLimiter {
    fn admit(&self, email: &str, client: Option<IpAddr>) -> bool {
        // Forget idle entries now and then, so the maps stay as large as the recent attempts.
        if self.per_email.len() > 10_000 {
            self.per_email.retain_recent();
            self.per_client.retain_recent();
        }
        let client_ok = client.is_none_or(|ip| self.per_client.check_key(&ip).is_ok());
        let email_ok = self.per_email.check_key(&email.to_owned()).is_ok();
        client_ok && email_ok
    }
}

/// What a login presents.
#[derive(Debug, Clone, Copy)]
pub struct LoginRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// The client's address, for the per-address throttle.
    pub client: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
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

/// Runs the slow argon2 work on a blocking thread, off the async executor.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ServiceError::internal())
}

/// Checks the email and password and opens a session. Every failure (unknown email, wrong
/// password, disabled user) is the same `UNAUTHENTICATED` and takes the same time; too many
/// attempts are `RATE_LIMITED`.
pub async fn login(
    services: &Services,
    request: LoginRequest<'_>,
    now: DateTime<Utc>,
) -> Result<LoggedIn, ServiceError> {
    let email = parse_email("email", request.email).map_err(|_| login_failed())?;
    if !services.login_limiter.admit(&email, request.client) {
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
    let matches = blocking(move || verify_password(&password, &stored)).await?;
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

/// The caller's own sessions that are still live.
pub async fn list(
    services: &Services,
    principal: &Principal,
) -> Result<Vec<Session>, ServiceError> {
    let signed_in = principal.require_user()?;
    let now = Utc::now();
    let policy = services.settings.sessions;
    Ok(services
        .store
        .sessions_of(&signed_in.user.id)
        .await?
        .into_iter()
        .filter(|s| s.is_live(policy, now))
        .collect())
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
