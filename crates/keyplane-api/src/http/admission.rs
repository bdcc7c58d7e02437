//! Admission: whether a request may run at all (its one credential, client-side security of
//! the publishable key, rate limit; for sessions the same-origin check and the environment).
//! One path for every route.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use keyplane_domain::ErrorCode;
use keyplane_domain::client_security::ClientProof;
use keyplane_domain::rate_limit::effective_limit;
use keyplane_domain::verification::VerificationCode;

use super::AppState;
use super::client::Client;
use super::credentials::{Credential, ENVIRONMENT_HEADER, credential, same_origin};
use super::response::{
    api_error_response, error_response, error_response_with_reason, rate_limit_headers,
};
use super::sessions::secure_cookies;
use crate::error::ApiError;
use keyplane_service::auth::{authenticate_key, authenticate_session};
use keyplane_service::client_security::check_publishable;
use keyplane_service::rate_limit::RateDecision;
use keyplane_service::{Principal, Services};

/// How the request came: a safe method (GET, HEAD) only reads; any other (POST, PATCH, PUT,
/// DELETE) may change something, so made with the session cookie it needs the same-origin
/// check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    Read,
    Change,
}

impl Admission {
    pub(super) fn of_method(method: &axum::http::Method) -> Self {
        if method.is_safe() {
            Self::Read
        } else {
            Self::Change
        }
    }
}

/// Who sent a request: where from, and its headers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Asker<'h> {
    pub client: Client,
    pub headers: &'h HeaderMap,
}

fn refusal(err: keyplane_service::ServiceError) -> Response {
    api_error_response(&ApiError(err))
}

/// Lets a request in, or answers why not. A key: authentication (401, or 403 from an address
/// its allow-list leaves out), the publishable key's client-side security (401/403), then the
/// key's rate limit (429), and the key is noted as used. A session: the same-origin check of
/// cookie requests that may change something (403), the session (401) and the `Keyplane-Environment` it acts in (400).
pub(super) async fn admit(
    state: &AppState,
    asker: Asker<'_>,
    admission: Admission,
) -> Result<(Principal, Option<RateDecision>), Response> {
    let services = &state.services;
    let headers = asker.headers;
    let now = Utc::now();
    let https = secure_cookies(
        headers,
        &services.settings.public_url,
        asker.client.via_trusted_proxy,
    );
    match credential(headers, https)? {
        Credential::None => Err(error_response(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "send an X-API-Key header, or sign in",
        )),
        Credential::Session { token, via_cookie } => {
            if via_cookie
                && admission == Admission::Change
                && !same_origin(
                    headers,
                    &services.settings.public_url,
                    asker.client.via_trusted_proxy,
                )
            {
                return Err(error_response(
                    StatusCode::FORBIDDEN,
                    ErrorCode::Forbidden,
                    "a request made with the session cookie must come from Keyplane's own pages",
                ));
            }
            let environment = header_text(headers, ENVIRONMENT_HEADER).map_err(|()| {
                refusal(keyplane_service::ServiceError::bad_input(
                    "Keyplane-Environment",
                    "the environment header is not text",
                ))
            })?;
            let principal = authenticate_session(services, token, environment, now)
                .await
                .map_err(refusal)?;
            Ok((principal, None))
        }
        Credential::ApiKey(text) => admit_key(services, asker, text, now).await,
    }
}

async fn admit_key(
    services: &Services,
    asker: Asker<'_>,
    text: &str,
    now: chrono::DateTime<Utc>,
) -> Result<(Principal, Option<RateDecision>), Response> {
    let headers = asker.headers;
    let principal = authenticate_key(services, text, asker.client.address, now)
        .await
        .map_err(refusal)?;
    let Some(key) = principal.key().cloned() else {
        return Err(refusal(keyplane_service::ServiceError::internal()));
    };
    if let Some(refusal) = client_security_refusal(services, &principal, &key, headers).await {
        return Err(refusal);
    }
    let limit = effective_limit(&key, principal.environment.default_rate_limit);
    let decision = match limit {
        Some(limit) => Some(services.rate_limiter.check(&key.id, limit).await),
        None => None,
    };
    if let Some(decision) = decision.filter(|d| !d.allowed) {
        let mut response = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "the API key is over its rate limit",
        );
        rate_limit_headers(&mut response, decision);
        return Err(response);
    }
    services.write_behind.touch(&key.id, now);
    Ok((principal, decision))
}

pub(super) fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, ()> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| ()))
        .transpose()
}

/// Applies client-side security to a request made with the publishable key: `X-Customer-Id`,
/// `X-Customer-Token` and `Origin`. Answers the refusal, if any.
pub(super) async fn client_security_refusal(
    services: &Services,
    principal: &Principal,
    key: &keyplane_domain::key::ApiKey,
    headers: &HeaderMap,
) -> Option<Response> {
    let (Ok(customer_id), Ok(customer_token), Ok(origin)) = (
        header_text(headers, "x-customer-id"),
        header_text(headers, "x-customer-token"),
        header_text(headers, header::ORIGIN.as_str()),
    ) else {
        return Some(client_refusal(VerificationCode::InvalidCustomerToken));
    };
    let proof = ClientProof {
        customer_id,
        customer_token,
        origin,
    };
    let outcome = check_publishable(services, key, &principal.environment, proof, Utc::now()).await;
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(code)) => Some(client_refusal(code)),
        Err(err) => Some(refusal(err)),
    }
}

/// The refusal of a publishable-key request by client-side security, `extensions.reason`
/// naming the check.
pub(super) fn client_refusal(code: VerificationCode) -> Response {
    let (status, error_code, message) = match code {
        VerificationCode::OriginNotAllowed => (
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this origin may not use the publishable key",
        ),
        VerificationCode::CustomerTokenRequired => (
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "send X-Customer-Id and X-Customer-Token with the publishable key",
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "the customer token is not valid for this customer",
        ),
    };
    let reason = match code {
        VerificationCode::OriginNotAllowed | VerificationCode::CustomerTokenRequired => code,
        _ => VerificationCode::InvalidCustomerToken,
    };
    error_response_with_reason(status, error_code, message, Some(reason.as_str()))
}
