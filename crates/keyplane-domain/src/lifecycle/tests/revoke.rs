//! Rule 6, revocation, with the last-usable-full-access-key rule.

use chrono::Duration;

use super::{code, key, now, scopes};
use crate::error::ErrorCode;
use crate::key::{ApiKey, ApiKeyType};
use crate::lifecycle::validate_revoke;
use crate::scope::ScopeSet;

#[test]
fn revoke_rules() {
    let with_expiry = |mut k: ApiKey| {
        k.expires_at = Some(now() + Duration::hours(1));
        k
    };
    let mut already = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
    already.revoked_at = Some(now());
    let mut disabled_full = with_expiry(key(ApiKeyType::FullAccess, ScopeSet::All));
    disabled_full.disabled = Some(crate::key::Disabled {
        at: now(),
        reason: "audit".into(),
    });
    // (label, caller, target, other usable full-access keys, expected)
    let cases = [
        (
            "scoped",
            ScopeSet::All,
            key(ApiKeyType::Scoped, scopes(&["customers:read"])),
            0,
            None,
        ),
        (
            "already revoked",
            ScopeSet::All,
            already,
            0,
            Some(ErrorCode::Conflict),
        ),
        (
            "full access without expiry",
            ScopeSet::All,
            key(ApiKeyType::FullAccess, ScopeSet::All),
            1,
            Some(ErrorCode::Conflict),
        ),
        (
            "full access after rotation",
            ScopeSet::All,
            with_expiry(key(ApiKeyType::FullAccess, ScopeSet::All)),
            1,
            None,
        ),
        (
            "the last usable full-access key",
            ScopeSet::All,
            with_expiry(key(ApiKeyType::FullAccess, ScopeSet::All)),
            0,
            Some(ErrorCode::Conflict),
        ),
        (
            "a disabled full-access key, none other usable",
            ScopeSet::All,
            disabled_full,
            0,
            None,
        ),
        (
            "publishable without expiry",
            ScopeSet::All,
            key(ApiKeyType::Publishable, crate::scope::publishable_scopes()),
            0,
            Some(ErrorCode::Conflict),
        ),
        (
            "integration",
            ScopeSet::All,
            key(ApiKeyType::Integration, scopes(&["customers:read"])),
            0,
            Some(ErrorCode::Conflict),
        ),
        (
            "scoped caller on full access",
            scopes(&["api_keys:write"]),
            with_expiry(key(ApiKeyType::FullAccess, ScopeSet::All)),
            1,
            Some(ErrorCode::Forbidden),
        ),
    ];
    for (label, caller, target, others, expected) in cases {
        assert_eq!(
            code(validate_revoke(&caller, &target, others, now())),
            expected,
            "{label}"
        );
    }
}
