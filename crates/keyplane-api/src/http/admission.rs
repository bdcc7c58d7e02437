//! Admission: whether a request may run at all (authentication, client-side security of the
//! publishable key, rate limit). One path for every route.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use keyplane_domain::ErrorCode;
use keyplane_domain::client_security::ClientProof;
use keyplane_domain::rate_limit::effective_limit;
use keyplane_domain::verification::VerificationCode;

use super::response::{
    api_error_response, error_response, error_response_with_reason, rate_limit_headers, status_of,
};
use crate::auth::{Principal, authenticate};
use crate::client_security::check_publishable;
use crate::rate_limit::RateDecision;
use crate::schema::Services;

/// Lets a request in, or answers why not: authentication (401), the publishable key's
/// client-side security (401/403), then the key's rate limit (429). Notes the key as used.
pub(super) async fn admit(
    services: &Services,
    headers: &HeaderMap,
) -> Result<(Principal, Option<RateDecision>), Response> {
    let now = Utc::now();
    let principal = authenticate(headers, services, now)
        .await
        .map_err(|err| api_error_response(status_of(err.code), &err))?;
    if let Some(refusal) = client_security_refusal(services, &principal, headers).await {
        return Err(refusal);
    }
    let limit = effective_limit(&principal.key, principal.environment.default_rate_limit);
    let decision = limit.map(|limit| services.rate_limiter.check(&principal.key.id, limit));
    if let Some(decision) = decision.filter(|d| !d.allowed) {
        let mut response = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "the API key is over its rate limit",
        );
        rate_limit_headers(&mut response, decision);
        return Err(response);
    }
    services.write_behind.touch(&principal.key.id, now);
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
    let outcome = check_publishable(
        services,
        &principal.key,
        &principal.environment,
        proof,
        Utc::now(),
    )
    .await;
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(code)) => Some(client_refusal(code)),
        Err(err) => Some(api_error_response(status_of(err.code), &err)),
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
