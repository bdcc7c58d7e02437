//! "May this key do that?": the outcome of verifying a key for another service.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::key::{ApiKey, Unusable};
use crate::scope::Scope;

/// Every answer `verifyApiKey` can give. Only `Valid` means yes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationCode {
    Valid,
    Malformed,
    NotFound,
    Expired,
    Revoked,
    Disabled,
    IpNotAllowed,
    WrongEnvironment,
    Forbidden,
    RateLimited,
    /// The key's quota has fewer units left than the verification asked to spend.
    QuotaExceeded,
    CustomerTokenRequired,
    InvalidCustomerToken,
    CustomerNotAllowed,
    OriginNotAllowed,
}

impl VerificationCode {
    /// The wire name, the same in GraphQL and in `POST /v1/verify`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::Malformed => "MALFORMED",
            Self::NotFound => "NOT_FOUND",
            Self::Expired => "EXPIRED",
            Self::Revoked => "REVOKED",
            Self::Disabled => "DISABLED",
            Self::IpNotAllowed => "IP_NOT_ALLOWED",
            Self::WrongEnvironment => "WRONG_ENVIRONMENT",
            Self::Forbidden => "FORBIDDEN",
            Self::RateLimited => "RATE_LIMITED",
            Self::QuotaExceeded => "QUOTA_EXCEEDED",
            Self::CustomerTokenRequired => "CUSTOMER_TOKEN_REQUIRED",
            Self::InvalidCustomerToken => "INVALID_CUSTOMER_TOKEN",
            Self::CustomerNotAllowed => "CUSTOMER_NOT_ALLOWED",
            Self::OriginNotAllowed => "ORIGIN_NOT_ALLOWED",
        }
    }
}

/// Finds whether a key that exists may be used by the caller's environment at `now`.
pub fn check_key(
    key: &ApiKey,
    environment_id: &str,
    now: DateTime<Utc>,
) -> Result<(), VerificationCode> {
    if key.environment_id != environment_id {
        return Err(VerificationCode::WrongEnvironment);
    }
    match key.check_usable(now) {
        Ok(()) => Ok(()),
        Err(Unusable::Revoked) => Err(VerificationCode::Revoked),
        Err(Unusable::Expired) => Err(VerificationCode::Expired),
        Err(Unusable::Disabled) => Err(VerificationCode::Disabled),
    }
}

/// A key held to an IP allow-list answers only for a listed address; naming none is not enough.
pub fn check_address(key: &ApiKey, client: Option<IpAddr>) -> Result<(), VerificationCode> {
    if key.allows_address(client) {
        Ok(())
    } else {
        Err(VerificationCode::IpNotAllowed)
    }
}

/// A key restricted to some customers answers only for them; naming no customer is not enough.
pub fn check_customer(key: &ApiKey, customer_id: Option<&str>) -> Result<(), VerificationCode> {
    match (&key.customer_ids, customer_id) {
        (None, _) => Ok(()),
        (Some(allowed), Some(id)) if allowed.iter().any(|a| a == id) => Ok(()),
        (Some(_), _) => Err(VerificationCode::CustomerNotAllowed),
    }
}

pub fn check_permission(key: &ApiKey, permission: Option<Scope>) -> Result<(), VerificationCode> {
    match permission {
        Some(scope) if !key.scopes.allows(scope) => Err(VerificationCode::Forbidden),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::ApiKeyType;
    use crate::lifecycle::tests::{key, now, scopes};

    #[test]
    fn key_checks_in_order_environment_revocation_expiry() {
        let base = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        let mut revoked = base.clone();
        revoked.revoked_at = Some(now());
        revoked.expires_at = Some(now());
        let mut expired = base.clone();
        expired.expires_at = Some(now());
        let mut in_grace = base.clone();
        in_grace.expires_at = Some(now() + chrono::Duration::seconds(1));
        let cases = [
            (&base, "e1", Ok(())),
            (&base, "e2", Err(VerificationCode::WrongEnvironment)),
            (&revoked, "e1", Err(VerificationCode::Revoked)),
            (&expired, "e1", Err(VerificationCode::Expired)),
            (&in_grace, "e1", Ok(())),
        ];
        for (key, env, expected) in cases {
            assert_eq!(check_key(key, env, now()), expected);
        }
    }

    #[test]
    fn customer_restriction_needs_a_listed_customer() {
        let open = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        let mut restricted = open.clone();
        restricted.customer_ids = Some(vec!["a".into(), "b".into()]);
        let cases = [
            (&open, None, Ok(())),
            (&open, Some("z"), Ok(())),
            (&restricted, Some("a"), Ok(())),
            (
                &restricted,
                Some("z"),
                Err(VerificationCode::CustomerNotAllowed),
            ),
            (&restricted, None, Err(VerificationCode::CustomerNotAllowed)),
        ];
        for (key, customer, expected) in cases {
            assert_eq!(check_customer(key, customer), expected, "{customer:?}");
        }
    }

    #[test]
    fn permission_follows_scopes_with_write_implying_read() {
        let writer = key(ApiKeyType::Scoped, scopes(&["customers:write"]));
        let read = Scope::parse("customers:read").unwrap();
        let coupons = Scope::parse("coupons:read").unwrap();
        assert_eq!(check_permission(&writer, None), Ok(()));
        assert_eq!(check_permission(&writer, Some(read)), Ok(()));
        assert_eq!(
            check_permission(&writer, Some(coupons)),
            Err(VerificationCode::Forbidden)
        );
    }
}
