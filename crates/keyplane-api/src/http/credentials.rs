//! Which credential a request carries: an API key (`X-API-Key`), a session token
//! (`Authorization: Bearer`, or the session cookie), or none. More than one kind is refused:
//! a request acts as exactly one caller.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use keyplane_domain::ErrorCode;

use super::response::error_response;
use crate::schema::people::session_cookie_name;

pub const API_KEY_HEADER: &str = "x-api-key";
/// Names the environment a signed-in user acts in.
pub const ENVIRONMENT_HEADER: &str = "keyplane-environment";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Credential<'h> {
    None,
    ApiKey(&'h str),
    Session { token: &'h str, via_cookie: bool },
}

fn unauthenticated(message: &'static str) -> Response {
    error_response(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
        message,
    )
}

/// The one credential of the request, or the refusal: 400 for more than one kind, 401 for a
/// header that cannot be one. Over HTTPS (`https`) only the `__Host-` session cookie is read,
/// over plain HTTP only the plain one.
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished response, built once per refused request; boxing it buys nothing"
)]
pub(super) fn credential(headers: &HeaderMap, https: bool) -> Result<Credential<'_>, Response> {
    // An empty `X-API-Key` (GraphiQL's default header left blank) is no key.
    let mut keys = headers
        .get_all(API_KEY_HEADER)
        .iter()
        .filter(|value| !value.as_bytes().trim_ascii().is_empty());
    let api_key = match (keys.next(), keys.next()) {
        (None, _) => None,
        (Some(value), None) => Some(
            value
                .to_str()
                .map_err(|_| unauthenticated("the API key is malformed"))?,
        ),
        (Some(_), Some(_)) => return Err(unauthenticated("send exactly one X-API-Key header")),
    };
    let mut authorizations = headers.get_all(header::AUTHORIZATION).iter();
    let bearer = match (authorizations.next(), authorizations.next()) {
        (None, _) => None,
        (Some(value), None) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    unauthenticated("Authorization takes a session token: Bearer <token>")
                })?,
        ),
        (Some(_), Some(_)) => {
            return Err(unauthenticated("send exactly one Authorization header"));
        }
    };
    let cookie = session_cookie(headers, session_cookie_name(https));
    let found = [api_key.is_some(), bearer.is_some(), cookie.is_some()]
        .into_iter()
        .filter(|present| *present)
        .count();
    if found > 1 {
        return Err(error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "send one credential: an X-API-Key header, a bearer session token or the session cookie",
        ));
    }
    Ok(match (api_key, bearer, cookie) {
        (Some(key), _, _) => Credential::ApiKey(key),
        (_, Some(token), _) => Credential::Session {
            token,
            via_cookie: false,
        },
        (_, _, Some(token)) => Credential::Session {
            token,
            via_cookie: true,
        },
        _ => Credential::None,
    })
}

/// The value of the session cookie called `name`, from any `Cookie` header.
fn session_cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Whether a cookie-authenticated POST comes from Keyplane's own pages. SameSite=Strict already
/// keeps the cookie off cross-site requests; this checks `Origin` as well, in case a browser
/// does not honour it: the origin must be present and be this server's (the `Host` the request
/// was sent to, or the configured public URL), and `Sec-Fetch-Site` must not say cross-site.
pub(super) fn same_origin(headers: &HeaderMap, public_url: &str, trust_proxy: bool) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site").is_some_and(|site| site == "cross-site") {
        return false;
    }
    let Some(origin) = text(header::ORIGIN.as_str()) else {
        return false;
    };
    if origin == public_url.trim_end_matches('/') {
        return true;
    }
    let Some((_, origin_host)) = origin.split_once("://") else {
        return false;
    };
    let host = if trust_proxy {
        text("x-forwarded-host").or_else(|| text(header::HOST.as_str()))
    } else {
        text(header::HOST.as_str())
    };
    host.is_some_and(|host| host.eq_ignore_ascii_case(origin_host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn one_credential_of_each_kind_is_read() {
        let table: [(&[(&str, &str)], Credential<'_>); 4] = [
            (&[], Credential::None),
            (
                &[("x-api-key", "server-abc")],
                Credential::ApiKey("server-abc"),
            ),
            (
                &[("authorization", "Bearer kps_1")],
                Credential::Session {
                    token: "kps_1",
                    via_cookie: false,
                },
            ),
            (
                &[("cookie", "theme=dark; keyplane_session=kps_2")],
                Credential::Session {
                    token: "kps_2",
                    via_cookie: true,
                },
            ),
        ];
        for (pairs, expected) in table {
            assert_eq!(
                credential(&headers(pairs), false).unwrap(),
                expected,
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn each_transport_reads_only_its_own_session_cookie() {
        let plain = headers(&[("cookie", "keyplane_session=kps_2")]);
        let host = headers(&[("cookie", "__Host-keyplane_session=kps_3")]);
        let session = |token| Credential::Session {
            token,
            via_cookie: true,
        };
        let table = [
            (&plain, false, session("kps_2")),
            (&plain, true, Credential::None),
            (&host, true, session("kps_3")),
            (&host, false, Credential::None),
        ];
        for (headers, https, expected) in table {
            assert_eq!(credential(headers, https).unwrap(), expected, "{https}");
        }
    }

    #[test]
    fn two_kinds_of_credential_are_refused() {
        let table: [&[(&str, &str)]; 3] = [
            &[
                ("x-api-key", "server-abc"),
                ("authorization", "Bearer kps_1"),
            ],
            &[
                ("x-api-key", "server-abc"),
                ("cookie", "keyplane_session=kps_2"),
            ],
            &[
                ("authorization", "Bearer kps_1"),
                ("cookie", "keyplane_session=kps_2"),
            ],
        ];
        for pairs in table {
            let refusal = credential(&headers(pairs), false).unwrap_err();
            assert_eq!(refusal.status(), StatusCode::BAD_REQUEST, "{pairs:?}");
        }
    }

    #[test]
    fn only_this_servers_origin_passes() {
        let public = "https://keys.example.com";
        let table: [(&[(&str, &str)], bool); 6] = [
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "http://127.0.0.1:8080"),
                ],
                true,
            ),
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "https://keys.example.com"),
                ],
                true,
            ),
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "https://evil.example"),
                ],
                false,
            ),
            (&[("host", "127.0.0.1:8080")], false),
            (&[("host", "127.0.0.1:8080"), ("origin", "null")], false),
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "http://127.0.0.1:8080"),
                    ("sec-fetch-site", "cross-site"),
                ],
                false,
            ),
        ];
        for (pairs, allowed) in table {
            assert_eq!(
                same_origin(&headers(pairs), public, false),
                allowed,
                "{pairs:?}"
            );
        }
    }
}
