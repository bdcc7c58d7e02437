//! What the transport hands the people mutations about the request: whether cookies go out
//! `Secure`, and the `User-Agent`; and the session cookie itself.

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

/// The request's `User-Agent`, kept with a session opened by `acceptInvitation`.
#[derive(Debug, Clone)]
pub struct UserAgent(pub String);
