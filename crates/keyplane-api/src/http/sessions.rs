//! `POST /auth/login` and `POST /auth/logout`: sessions for people, as a cookie for browsers
//! and as a bearer token in the body for scripts.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use keyplane_domain::ErrorCode;
use keyplane_service::sessions::{self, LoginRequest};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::client::Client;
use super::credentials::{Credential, credential, same_origin};
use super::response::{api_error_response, error_response, json_body, no_store};
use crate::error::ApiError;
use crate::schema::people::session_cookie;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginAnswer<'a> {
    /// The session token, for `Authorization: Bearer`. Browsers use the cookie instead.
    token: &'a str,
    expires_at: DateTime<Utc>,
    user: UserAnswer<'a>,
    environments: Vec<EnvironmentAnswer<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UserAnswer<'a> {
    id: &'a str,
    email: &'a str,
    display_name: &'a str,
    role: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvironmentAnswer<'a> {
    id: &'a str,
    slug: &'a str,
    name: &'a str,
}

/// Whether the request is served over HTTPS: when Keyplane's public URL is `https://`, or a
/// trusted proxy forwarded it with `X-Forwarded-Proto: https`. Then session cookies go out
/// `Secure` under their `__Host-` name, and responses carry `Strict-Transport-Security`.
pub(super) fn secure_cookies(headers: &HeaderMap, public_url: &str, trust_proxy: bool) -> bool {
    public_url.starts_with("https://")
        || (trust_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|proto| proto.eq_ignore_ascii_case("https")))
}

pub(super) async fn login(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match json_body(&headers, body) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let Ok(input) = serde_json::from_slice::<LoginBody>(&body) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "the body must be a JSON object with \"email\" and \"password\" strings",
        );
    };
    let services = &state.services;
    let trust_proxy = client.via_trusted_proxy;
    let request = LoginRequest {
        email: &input.email,
        password: &input.password,
        client: client.address,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    };
    let logged_in = match sessions::login(services, request, Utc::now()).await {
        Ok(logged_in) => logged_in,
        Err(err) => return api_error_response(&ApiError(err)),
    };
    let policy = services.settings.sessions;
    let answer = LoginAnswer {
        token: logged_in.token.expose(),
        expires_at: logged_in.session.ends_at(policy),
        user: UserAnswer {
            id: &logged_in.user.id,
            email: &logged_in.user.email,
            display_name: &logged_in.user.display_name,
            role: logged_in.user.role.as_str(),
        },
        environments: logged_in
            .environments
            .iter()
            .map(|e| EnvironmentAnswer {
                id: &e.id,
                slug: &e.slug,
                name: &e.name,
            })
            .collect(),
    };
    let secure = secure_cookies(&headers, &services.settings.public_url, trust_proxy);
    let cookie = session_cookie(
        Some(logged_in.token.expose()),
        policy.absolute.num_seconds(),
        secure,
    );
    let mut response = axum::Json(answer).into_response();
    set_cookie(&mut response, &cookie);
    no_store(&mut response);
    response
}

pub(super) async fn logout(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
) -> Response {
    let services = &state.services;
    let trust_proxy = client.via_trusted_proxy;
    let secure = secure_cookies(&headers, &services.settings.public_url, trust_proxy);
    let token = match credential(&headers, secure) {
        Err(refusal) => return refusal,
        Ok(Credential::Session { token, via_cookie }) => {
            if via_cookie && !same_origin(&headers, &services.settings.public_url, trust_proxy) {
                return error_response(
                    StatusCode::FORBIDDEN,
                    ErrorCode::Forbidden,
                    "a request made with the session cookie must come from Keyplane's own pages",
                );
            }
            Some(token)
        }
        Ok(Credential::ApiKey(_)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "logout ends a session: send the session cookie or a bearer session token",
            );
        }
        Ok(Credential::None) => None,
    };
    if let Some(token) = token
        && let Err(err) = sessions::logout(services, token).await
    {
        return api_error_response(&ApiError(err));
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut response, &session_cookie(None, 0, secure));
    no_store(&mut response);
    response
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
