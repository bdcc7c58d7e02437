//! What the transport hands the people mutations about the request: whether cookies go out
//! `Secure`, and the `User-Agent`; and the session cookie itself.

/// Where the session cookie a GraphQL answer sets may be sent: set by the transport per
/// request.
#[derive(Debug, Clone, Copy)]
pub struct CookieSecurity {
    pub secure: bool,
}

/// The `Set-Cookie` value that carries a session token, or (with `None`) clears it. Over
/// HTTPS (`secure`) it is `Secure` and named [`SECURE_SESSION_COOKIE`].
pub fn session_cookie(token: Option<&str>, max_age_seconds: i64, secure: bool) -> String {
    let name = session_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(token) => format!(
            "{name}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_seconds}{secure}"
        ),
        None => format!("{name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"),
    }
}

/// The session cookie's name over plain HTTP. Must never change: browsers hold it.
pub const SESSION_COOKIE: &str = "keyplane_session";
/// Its name over HTTPS. Browsers accept a `__Host-` cookie only from a secure origin, for
/// exactly this host, with `Path=/` and no `Domain`, so neither a sibling subdomain nor a
/// plain-HTTP answer can plant or overwrite it. Must never change either.
pub const SECURE_SESSION_COOKIE: &str = "__Host-keyplane_session";

/// The session cookie's name for a request served over HTTPS (`secure`) or not: the only name
/// set, and the only one read, on that transport.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The request's `User-Agent`, kept with a session opened by `acceptInvitation`.
#[derive(Debug, Clone)]
pub struct UserAgent(pub String);

/// The client's address (as `http::client` found it), for the password-guessing throttle of
/// `changePassword`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);
