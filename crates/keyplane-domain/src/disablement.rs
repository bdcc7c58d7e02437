//! Switching a key off for a while and on again. A disabled key is refused like a revoked one
//! until it is enabled; unlike a revocation, nothing about it is lost. An environment must keep
//! a usable full-access key, so disabling (or revoking) the last one is refused.

use chrono::{DateTime, Utc};

use crate::error::RuleViolation;
use crate::key::{ApiKey, ApiKeyType, Disabled};
use crate::lifecycle::ensure_may_manage;
use crate::scope::ScopeSet;

pub const MAX_REASON_CHARS: usize = 500;

/// Who asks for a disable, as far as the full-access rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disabler {
    /// A signed-in owner of the account.
    Owner,
    /// Anyone else: a member, or a caller using an API key.
    Other,
}

/// Rule for `disableApiKey`: a key the caller may manage, neither revoked nor expired nor
/// already disabled, with a reason of 1 to 500 characters. The full-access key needs an owner
/// and another usable full-access key in the environment.
pub fn validate_disable(
    caller: &ScopeSet,
    disabler: Disabler,
    target: &ApiKey,
    reason: &str,
    other_usable_full_access: usize,
    now: DateTime<Utc>,
) -> Result<Disabled, RuleViolation> {
    let reason = parse_reason(reason)?;
    ensure_may_manage(caller, target)?;
    if target.revoked_at.is_some() {
        return Err(RuleViolation::conflict("the key is revoked"));
    }
    if target.is_expired(now) {
        return Err(RuleViolation::conflict("the key has expired"));
    }
    if target.disabled.is_some() {
        return Err(RuleViolation::conflict("the key is already disabled"));
    }
    if target.key_type == ApiKeyType::FullAccess {
        if disabler != Disabler::Owner {
            return Err(RuleViolation::forbidden(
                "only an owner may disable a full-access key",
                None,
            ));
        }
        ensure_not_last_full_access(other_usable_full_access, "disable")?;
    }
    Ok(Disabled { at: now, reason })
}

/// Rule for `enableApiKey`: a disabled key the caller may manage, not revoked.
pub fn validate_enable(caller: &ScopeSet, target: &ApiKey) -> Result<(), RuleViolation> {
    ensure_may_manage(caller, target)?;
    if target.revoked_at.is_some() {
        return Err(RuleViolation::conflict("the key is revoked"));
    }
    match target.disabled {
        Some(_) => Ok(()),
        None => Err(RuleViolation::conflict("the key is not disabled")),
    }
}

/// Refuses to take away the environment's last usable full-access key.
pub fn ensure_not_last_full_access(
    other_usable_full_access: usize,
    verb: &str,
) -> Result<(), RuleViolation> {
    if other_usable_full_access == 0 {
        return Err(RuleViolation::conflict(format!(
            "cannot {verb} the environment's only usable full-access key: rotate it first, so another one works"
        )));
    }
    Ok(())
}

fn parse_reason(reason: &str) -> Result<String, RuleViolation> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(RuleViolation::bad_input(
            "reason",
            "say why the key is disabled",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(RuleViolation::bad_input(
            "reason",
            format!("the reason must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    if reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(RuleViolation::bad_input(
            "reason",
            "the reason must not contain control characters",
        ));
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::lifecycle::tests::{key, now, scopes};
    use crate::user::Role;
    use chrono::Duration;

    fn disabled(mut key: ApiKey) -> ApiKey {
        key.disabled = Some(Disabled {
            at: now(),
            reason: "audit".into(),
        });
        key
    }

    #[test]
    fn a_usable_key_is_disabled_with_its_reason() {
        let target = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        let owner = Role::Owner.scopes();
        let done = validate_disable(&owner, Disabler::Other, &target, " incident 42 ", 0, now());
        assert_eq!(
            done,
            Ok(Disabled {
                at: now(),
                reason: "incident 42".into()
            })
        );
    }

    #[test]
    fn disable_refusals_carry_their_codes() {
        let all = ScopeSet::All;
        let scoped = key(ApiKeyType::Scoped, scopes(&["customers:write"]));
        let mut revoked = scoped.clone();
        revoked.revoked_at = Some(now());
        let mut expired = scoped.clone();
        expired.expires_at = Some(now() - Duration::seconds(1));
        let already = disabled(scoped.clone());
        let full = key(ApiKeyType::FullAccess, ScopeSet::All);
        let reader = scopes(&["customers:read"]);
        let long = "r".repeat(MAX_REASON_CHARS + 1);
        let cases: Vec<(&ScopeSet, Disabler, &ApiKey, &str, usize, ErrorCode)> = vec![
            (
                &all,
                Disabler::Owner,
                &scoped,
                "  ",
                1,
                ErrorCode::BadUserInput,
            ),
            (
                &all,
                Disabler::Owner,
                &scoped,
                &long,
                1,
                ErrorCode::BadUserInput,
            ),
            (
                &all,
                Disabler::Owner,
                &scoped,
                "a\u{7}b",
                1,
                ErrorCode::BadUserInput,
            ),
            (
                &reader,
                Disabler::Owner,
                &scoped,
                "why",
                1,
                ErrorCode::Forbidden,
            ),
            (
                &all,
                Disabler::Owner,
                &revoked,
                "why",
                1,
                ErrorCode::Conflict,
            ),
            (
                &all,
                Disabler::Owner,
                &expired,
                "why",
                1,
                ErrorCode::Conflict,
            ),
            (
                &all,
                Disabler::Owner,
                &already,
                "why",
                1,
                ErrorCode::Conflict,
            ),
            // The full-access key: an owner, and another usable one.
            (&all, Disabler::Other, &full, "why", 1, ErrorCode::Forbidden),
            (&all, Disabler::Owner, &full, "why", 0, ErrorCode::Conflict),
        ];
        for (caller, disabler, target, reason, others, code) in cases {
            let err =
                validate_disable(caller, disabler, target, reason, others, now()).unwrap_err();
            assert_eq!(err.code, code, "{:?} {reason:?} {others}", target.key_type);
        }
        assert!(validate_disable(&all, Disabler::Owner, &full, "why", 1, now()).is_ok());
        let publishable = key(ApiKeyType::Publishable, ScopeSet::All);
        assert!(validate_disable(&all, Disabler::Other, &publishable, "why", 0, now()).is_ok());
    }

    #[test]
    fn only_a_disabled_key_within_reach_is_enabled() {
        let scoped = key(ApiKeyType::Scoped, scopes(&["customers:write"]));
        let all = ScopeSet::All;
        assert_eq!(validate_enable(&all, &disabled(scoped.clone())), Ok(()));
        assert_eq!(
            validate_enable(&all, &scoped).unwrap_err().code,
            ErrorCode::Conflict
        );
        let mut revoked = disabled(scoped.clone());
        revoked.revoked_at = Some(now());
        assert_eq!(
            validate_enable(&all, &revoked).unwrap_err().code,
            ErrorCode::Conflict
        );
        let reader = scopes(&["customers:read"]);
        assert_eq!(
            validate_enable(&reader, &disabled(scoped))
                .unwrap_err()
                .code,
            ErrorCode::Forbidden
        );
    }
}
