//! Rotation (rule 4) and changing a grace period (rule 5).

use chrono::{DateTime, Duration, Utc};

use crate::error::RuleViolation;
use crate::key::ApiKey;
use crate::lifecycle::{ensure_may_manage, validate_expiration};
use crate::scope::ScopeSet;

/// How long the old secret keeps working after a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GracePeriod {
    Now,
    OneHour,
    OneDay,
    ThreeDays,
    SevenDays,
}

impl GracePeriod {
    pub fn duration(self) -> Duration {
        match self {
            Self::Now => Duration::zero(),
            Self::OneHour => Duration::hours(1),
            Self::OneDay => Duration::days(1),
            Self::ThreeDays => Duration::days(3),
            Self::SevenDays => Duration::days(7),
        }
    }
}

/// When the old key of a rotation stops working: a preset grace period or an explicit instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationExpiry {
    Grace(GracePeriod),
    At(DateTime<Utc>),
}

impl RotationExpiry {
    /// Exactly one of `gracePeriod` or `expiresAt`.
    pub fn from_input(
        grace: Option<GracePeriod>,
        at: Option<DateTime<Utc>>,
    ) -> Result<Self, RuleViolation> {
        match (grace, at) {
            (Some(grace), None) => Ok(Self::Grace(grace)),
            (None, Some(at)) => Ok(Self::At(at)),
            _ => Err(RuleViolation::bad_input(
                "gracePeriod",
                "give exactly one of gracePeriod or expiresAt",
            )),
        }
    }
}

/// Rule 4: checks that `target` may be rotated by `caller` and answers the old key's new
/// expiration, `min(its own, now + grace)`. The new key copies everything else.
pub fn plan_rotation(
    caller: &ScopeSet,
    target: &ApiKey,
    expiry: RotationExpiry,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, RuleViolation> {
    let grace_end = match expiry {
        RotationExpiry::Grace(grace) => now + grace.duration(),
        RotationExpiry::At(at) => validate_expiration("expiresAt", at, now)?,
    };
    ensure_may_manage(caller, target)?;
    if target.revoked_at.is_some() {
        return Err(RuleViolation::conflict("a revoked key cannot be rotated"));
    }
    if target.is_expired(now) {
        return Err(RuleViolation::conflict("an expired key cannot be rotated"));
    }
    if target.replaced_by_id.is_some() {
        return Err(RuleViolation::conflict(
            "the key was already rotated: rotate its replacement instead",
        ));
    }
    Ok(target
        .expires_at
        .map_or(grace_end, |own| own.min(grace_end)))
}

/// Rule 5: a key that has an expiration and has not reached it may get a new one.
pub fn validate_expiration_change(
    caller: &ScopeSet,
    target: &ApiKey,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, RuleViolation> {
    let expires_at = validate_expiration("expiresAt", expires_at, now)?;
    ensure_may_manage(caller, target)?;
    if target.revoked_at.is_some() {
        return Err(RuleViolation::conflict("the key is revoked"));
    }
    match target.expires_at {
        None => Err(RuleViolation::conflict(
            "the key has no expiration to change: rotate it to give it one",
        )),
        Some(at) if at <= now => Err(RuleViolation::conflict("the key has already expired")),
        Some(_) => Ok(expires_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::key::ApiKeyType;
    use crate::lifecycle::tests::{key, now, scopes};

    #[test]
    fn rotation_sets_old_expiry_to_the_earlier_of_its_own_and_the_grace_end() {
        let plain = key(ApiKeyType::FullAccess, ScopeSet::All);
        let mut expiring = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        expiring.expires_at = Some(now() + Duration::hours(2));
        let cases = [
            (&plain, RotationExpiry::Grace(GracePeriod::Now), now()),
            (
                &plain,
                RotationExpiry::Grace(GracePeriod::OneHour),
                now() + Duration::hours(1),
            ),
            (
                &plain,
                RotationExpiry::Grace(GracePeriod::OneDay),
                now() + Duration::days(1),
            ),
            (
                &plain,
                RotationExpiry::Grace(GracePeriod::ThreeDays),
                now() + Duration::days(3),
            ),
            (
                &plain,
                RotationExpiry::Grace(GracePeriod::SevenDays),
                now() + Duration::days(7),
            ),
            (
                &plain,
                RotationExpiry::At(now() + Duration::days(200)),
                now() + Duration::days(200),
            ),
            (
                &expiring,
                RotationExpiry::Grace(GracePeriod::OneDay),
                now() + Duration::hours(2),
            ),
            (
                &expiring,
                RotationExpiry::Grace(GracePeriod::OneHour),
                now() + Duration::hours(1),
            ),
        ];
        for (target, expiry, expected) in cases {
            assert_eq!(
                plan_rotation(&ScopeSet::All, target, expiry, now()),
                Ok(expected),
                "{expiry:?}"
            );
        }
    }

    #[test]
    fn only_the_current_usable_key_of_a_line_rotates() {
        let mut revoked = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        revoked.revoked_at = Some(now());
        let mut expired = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        expired.expires_at = Some(now());
        let mut replaced = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        replaced.replaced_by_id = Some("k2".into());
        replaced.expires_at = Some(now() + Duration::hours(1));
        let grace = RotationExpiry::Grace(GracePeriod::OneDay);
        for target in [revoked, expired, replaced] {
            let err = plan_rotation(&ScopeSet::All, &target, grace, now()).unwrap_err();
            assert_eq!(err.code, ErrorCode::Conflict, "{target:?}");
        }
    }

    #[test]
    fn only_full_access_rotates_full_access() {
        let target = key(ApiKeyType::FullAccess, ScopeSet::All);
        let grace = RotationExpiry::Grace(GracePeriod::OneDay);
        let caller = crate::scope::ScopePreset::FullAccess.scopes();
        let err = plan_rotation(&caller, &target, grace, now()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
    }

    #[test]
    fn rotation_expiry_input_needs_exactly_one_choice() {
        let at = now() + Duration::days(1);
        assert!(RotationExpiry::from_input(Some(GracePeriod::Now), None).is_ok());
        assert!(RotationExpiry::from_input(None, Some(at)).is_ok());
        assert!(RotationExpiry::from_input(None, None).is_err());
        assert!(RotationExpiry::from_input(Some(GracePeriod::Now), Some(at)).is_err());
        let too_far = RotationExpiry::At(now() + Duration::days(366));
        let target = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        let err = plan_rotation(&ScopeSet::All, &target, too_far, now()).unwrap_err();
        assert_eq!(
            (err.code, err.field),
            (ErrorCode::BadUserInput, Some("expiresAt"))
        );
    }

    #[test]
    fn expiration_change_rules() {
        let base = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        let with = |expires: Option<DateTime<Utc>>, revoked: bool| {
            let mut k = base.clone();
            k.expires_at = expires;
            k.revoked_at = revoked.then(now);
            k
        };
        let soon = Some(now() + Duration::hours(1));
        let later = now() + Duration::days(30);
        let cases = [
            ("extends a grace period", with(soon, false), later, None),
            (
                "no expiration",
                with(None, false),
                later,
                Some(ErrorCode::Conflict),
            ),
            (
                "already expired",
                with(Some(now()), false),
                later,
                Some(ErrorCode::Conflict),
            ),
            (
                "revoked",
                with(soon, true),
                later,
                Some(ErrorCode::Conflict),
            ),
            (
                "past value",
                with(soon, false),
                now() - Duration::hours(1),
                Some(ErrorCode::BadUserInput),
            ),
            (
                "over a year",
                with(soon, false),
                now() + Duration::days(400),
                Some(ErrorCode::BadUserInput),
            ),
        ];
        for (label, target, new_at, expected) in cases {
            let result = validate_expiration_change(&ScopeSet::All, &target, new_at, now());
            assert_eq!(result.err().map(|e| e.code), expected, "{label}");
        }
    }
}
