//! How the layer refuses a request: the status, `code`, message and `reason` of each
//! verification outcome, in the error body Keyplane's REST API writes
//! (`{"error": {"code", "message", ...}}`), and the answers for a Keyplane that cannot answer.

use std::time::Duration;

use axum::body::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use crate::types::VerificationCode;
use crate::verify::VerifyAnswer;

/// A refused request, before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: &'static str,
    /// The verification outcome that refused it (never `WRONG_ENVIRONMENT`: a key of another
    /// environment is reported as not found, as Keyplane does).
    pub reason: Option<&'static str>,
    pub required_scope: Option<String>,
    pub retry_after: Option<Duration>,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
            reason: None,
            required_scope: None,
            retry_after: None,
        }
    }

    fn because(mut self, reason: VerificationCode) -> Self {
        self.reason = Some(reason.as_str());
        self
    }

    pub fn missing_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "send an API key in the X-API-Key header",
        )
    }

    pub fn several_keys() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "send one X-API-Key header",
        )
    }

    pub fn malformed_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "the API key is malformed",
        )
        .because(VerificationCode::Malformed)
    }

    /// Keyplane could not be reached, failed, or is turning this service's own calls away
    /// (`429`): the request is refused, never let through.
    pub fn unavailable() -> Self {
        Self {
            retry_after: Some(Duration::from_secs(1)),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "the API key cannot be verified right now; try again shortly",
            )
        }
    }

    /// Keyplane refused this service's own verification request (its key lacks
    /// `api_keys:read`, or was revoked, or the permission is not one Keyplane knows).
    pub fn misconfigured() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "the API key cannot be verified: this service's verification is misconfigured",
        )
    }

    /// The refusal of a verification that was not `VALID`.
    pub fn of(answer: &VerifyAnswer, permission: Option<&str>) -> Self {
        use VerificationCode as V;
        let unauthenticated =
            |message| Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message);
        let forbidden = |message| Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message);
        let limited = |message| Self::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", message);
        match answer.code {
            V::Malformed => Self::malformed_key(),
            V::Expired => unauthenticated("the API key has expired").because(V::Expired),
            V::Revoked => unauthenticated("the API key was revoked").because(V::Revoked),
            V::Disabled => unauthenticated("the API key is disabled").because(V::Disabled),
            V::CustomerTokenRequired | V::InvalidCustomerToken => {
                unauthenticated("the customer token is missing or not valid").because(answer.code)
            }
            V::IpNotAllowed => {
                forbidden("the API key may not be used from this address").because(V::IpNotAllowed)
            }
            V::CustomerNotAllowed => forbidden("the API key may not act for this customer")
                .because(V::CustomerNotAllowed),
            V::OriginNotAllowed => {
                forbidden("this origin may not use the API key").because(V::OriginNotAllowed)
            }
            V::Forbidden => Self {
                required_scope: permission.map(str::to_owned),
                ..forbidden("the API key lacks the permission this route needs")
                    .because(V::Forbidden)
            },
            V::RateLimited => Self {
                retry_after: answer.rate_limit.map(|r| {
                    Duration::from_secs(r.retry_after_seconds.unwrap_or(r.reset_seconds).max(1))
                }),
                ..limited("the API key is over its rate limit").because(V::RateLimited)
            },
            V::QuotaExceeded => {
                limited("the API key has used up its quota").because(V::QuotaExceeded)
            }
            // Not found, of another environment, an outcome this client does not know, or a
            // `VALID` without `valid` (never sent): refused as not valid.
            V::NotFound | V::WrongEnvironment | V::Unknown | V::Valid => {
                unauthenticated("the API key is not valid").because(V::NotFound)
            }
        }
    }

    /// The refusal as an answer: JSON, never stored by a cache, `Retry-After` when it has one.
    pub fn into_response<B: From<Bytes>>(self) -> Response<B> {
        let body = Body {
            error: ErrorObject {
                code: self.code,
                message: self.message,
                reason: self.reason,
                required_scope: self.required_scope.as_deref(),
            },
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| {
            br#"{"error":{"code":"INTERNAL_SERVER_ERROR","message":"internal error"}}"#.to_vec()
        });
        let mut response = Response::new(B::from(Bytes::from(bytes)));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(wait) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        }
        response
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorObject<'a> {
    code: &'static str,
    message: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_scope: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::RateLimitState;

    fn answer(code: VerificationCode) -> VerifyAnswer {
        VerifyAnswer {
            valid: false,
            code,
            api_key: None,
            environment: None,
            scopes: Vec::new(),
            customer_id: None,
            rate_limit: None,
            quota: None,
        }
    }

    #[test]
    fn every_outcome_is_refused_with_its_status_and_code() {
        use VerificationCode as V;
        let cases = [
            (V::Malformed, 401, "UNAUTHENTICATED"),
            (V::NotFound, 401, "UNAUTHENTICATED"),
            (V::WrongEnvironment, 401, "UNAUTHENTICATED"),
            (V::Expired, 401, "UNAUTHENTICATED"),
            (V::Revoked, 401, "UNAUTHENTICATED"),
            (V::Disabled, 401, "UNAUTHENTICATED"),
            (V::CustomerTokenRequired, 401, "UNAUTHENTICATED"),
            (V::InvalidCustomerToken, 401, "UNAUTHENTICATED"),
            (V::IpNotAllowed, 403, "FORBIDDEN"),
            (V::Forbidden, 403, "FORBIDDEN"),
            (V::CustomerNotAllowed, 403, "FORBIDDEN"),
            (V::OriginNotAllowed, 403, "FORBIDDEN"),
            (V::RateLimited, 429, "RATE_LIMITED"),
            (V::QuotaExceeded, 429, "RATE_LIMITED"),
            (V::Unknown, 401, "UNAUTHENTICATED"),
            (V::Valid, 401, "UNAUTHENTICATED"),
        ];
        for (code, status, error_code) in cases {
            let refusal = Refusal::of(&answer(code), Some("customers:read"));
            assert_eq!(
                (refusal.status.as_u16(), refusal.code),
                (status, error_code),
                "{code}"
            );
        }
    }

    #[test]
    fn a_key_of_another_environment_is_reported_as_not_found() {
        let refusal = Refusal::of(&answer(VerificationCode::WrongEnvironment), None);
        assert_eq!(refusal.reason, Some("NOT_FOUND"));
    }

    #[test]
    fn the_body_has_keyplanes_shape_and_a_rate_limit_says_when_to_retry() {
        let mut limited = answer(VerificationCode::RateLimited);
        limited.rate_limit = Some(RateLimitState {
            limit: 2,
            remaining: 0,
            reset_seconds: 30,
            retry_after_seconds: Some(7),
        });
        let (response, body) = written(Refusal::of(&limited, None));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(body["error"]["code"], "RATE_LIMITED");
        assert_eq!(body["error"]["reason"], "RATE_LIMITED");
        let (_, body) = written(Refusal::of(
            &answer(VerificationCode::Forbidden),
            Some("customers:write"),
        ));
        assert_eq!(body["error"]["requiredScope"], "customers:write");
        let (response, body) = written(Refusal::unavailable());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["code"], "UNAVAILABLE");
    }

    /// A body that keeps its bytes, to read what was written.
    struct Written(Bytes);

    impl From<Bytes> for Written {
        fn from(bytes: Bytes) -> Self {
            Self(bytes)
        }
    }

    fn written(refusal: Refusal) -> (Response<Written>, serde_json::Value) {
        let response = refusal.into_response::<Written>();
        let body = serde_json::from_slice(&response.body().0).unwrap();
        (response, body)
    }
}
