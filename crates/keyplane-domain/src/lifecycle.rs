//! The lifecycle rules of SPEC.md §3 for creating, editing and revoking keys. Each function takes
//! the caller's scopes, the target and `now`, and answers with a decision or a coded violation.
//! Rotation and expiration live in [`crate::rotation`].

use chrono::{DateTime, Duration, Utc};

use crate::account::Plan;
use crate::customer::parse_customer_ids;
use crate::error::RuleViolation;
use crate::key::{ApiKey, ApiKeyType, parse_key_description, parse_key_name};
use crate::rate_limit::RateLimit;
use crate::scope::{Missing, ScopePreset, ScopeSet};

/// The furthest in the future any expiration may be set.
pub const MAX_EXPIRY_AHEAD: Duration = Duration::days(365);

/// An expiration given by a caller must be in the future and at most a year out.
pub fn validate_expiration(
    field: &'static str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, RuleViolation> {
    if at <= now {
        return Err(RuleViolation::bad_input(
            field,
            "the expiration must be in the future",
        ));
    }
    if at > now + MAX_EXPIRY_AHEAD {
        return Err(RuleViolation::bad_input(
            field,
            "the expiration must be at most one year from now",
        ));
    }
    Ok(at)
}

/// What a caller asked for when creating a scoped key, unvalidated.
#[derive(Debug, Clone, Copy)]
pub struct CreateKeyRequest<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub scopes: Option<&'a [String]>,
    pub preset: Option<ScopePreset>,
    pub expires_at: Option<DateTime<Utc>>,
    pub customer_ids: Option<&'a [String]>,
    pub rate_limit: Option<RateLimit>,
}

/// A scoped key that passed every creation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScopedKey {
    pub name: String,
    pub description: Option<String>,
    pub scopes: ScopeSet,
    pub expires_at: Option<DateTime<Utc>>,
    pub customer_ids: Option<Vec<String>>,
    pub rate_limit: Option<RateLimit>,
}

/// Exactly one of an explicit scope list or a preset.
pub fn resolve_scopes(
    scopes: Option<&[String]>,
    preset: Option<ScopePreset>,
) -> Result<ScopeSet, RuleViolation> {
    match (scopes, preset) {
        (Some(scopes), None) => ScopeSet::from_requested(scopes),
        (None, Some(preset)) => Ok(preset.scopes()),
        _ => Err(RuleViolation::bad_input(
            "scopes",
            "give exactly one of scopes or preset",
        )),
    }
}

/// Rule 2 and 3 for creation: plan, input shape, and no scope the caller lacks.
pub fn validate_create(
    caller: &ScopeSet,
    plan: Plan,
    request: CreateKeyRequest<'_>,
    now: DateTime<Utc>,
) -> Result<NewScopedKey, RuleViolation> {
    plan.require_scoped_keys()?;
    let name = parse_key_name(request.name)?;
    let description = parse_key_description(request.description)?;
    let scopes = resolve_scopes(request.scopes, request.preset)?;
    let expires_at = request
        .expires_at
        .map(|at| validate_expiration("expiresAt", at, now))
        .transpose()?;
    let customer_ids = request.customer_ids.map(parse_customer_ids).transpose()?;
    ensure_covers(caller, &scopes, "grant")?;
    Ok(NewScopedKey {
        name,
        description,
        scopes,
        expires_at,
        customer_ids,
        rate_limit: request.rate_limit,
    })
}

/// Rule 3: a caller may act only on keys whose scopes are a subset of its own.
pub fn ensure_may_manage(caller: &ScopeSet, target: &ApiKey) -> Result<(), RuleViolation> {
    ensure_covers(caller, &target.scopes, "manage a key with")
}

fn ensure_covers(caller: &ScopeSet, wanted: &ScopeSet, verb: &str) -> Result<(), RuleViolation> {
    match caller.first_missing(wanted) {
        None => Ok(()),
        Some(Missing::All) => Err(RuleViolation::forbidden(
            format!("only a full-access key may {verb} full access"),
            None,
        )),
        Some(Missing::Scope(scope)) => Err(RuleViolation::forbidden(
            format!("the calling key cannot {verb} the scope {scope} it lacks"),
            Some(scope),
        )),
    }
}

fn ensure_not_revoked(target: &ApiKey) -> Result<(), RuleViolation> {
    match target.revoked_at {
        Some(_) => Err(RuleViolation::conflict("the key is revoked")),
        None => Ok(()),
    }
}

fn ensure_editable(target: &ApiKey, what: &str) -> Result<(), RuleViolation> {
    if target.key_type.is_editable() {
        Ok(())
    } else {
        Err(RuleViolation::conflict(format!(
            "the {what} of a {} key cannot be changed",
            target.key_type.as_str()
        )))
    }
}

/// What `updateApiKey` asked to change. `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsRequest<'a> {
    pub name: Option<&'a str>,
    pub description: Option<Option<&'a str>>,
    pub customer_ids: Option<Option<&'a [String]>>,
    pub rate_limit: Option<Option<RateLimit>>,
}

/// A key's settings after a validated `updateApiKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsChange {
    pub name: String,
    pub description: Option<String>,
    pub customer_ids: Option<Vec<String>>,
    pub rate_limit: Option<RateLimit>,
}

/// `updateApiKey`: name, description and customer restriction of scoped keys; the rate limit
/// of any key. Not on revoked keys, and only within the caller's reach.
pub fn validate_settings_change(
    caller: &ScopeSet,
    target: &ApiKey,
    request: SettingsRequest<'_>,
) -> Result<SettingsChange, RuleViolation> {
    let name = request.name.map(parse_key_name).transpose()?;
    let description = request.description.map(parse_key_description).transpose()?;
    let customer_ids = request
        .customer_ids
        .map(|ids| ids.map(parse_customer_ids).transpose())
        .transpose()?;
    if name.is_none()
        && description.is_none()
        && customer_ids.is_none()
        && request.rate_limit.is_none()
    {
        return Err(RuleViolation::bad_input(
            "input",
            "give a name, description, customerIds or rateLimit to change",
        ));
    }
    if name.is_some() || description.is_some() || customer_ids.is_some() {
        ensure_editable(target, "name, description and customers")?;
    }
    ensure_may_manage(caller, target)?;
    ensure_not_revoked(target)?;
    Ok(SettingsChange {
        name: name.unwrap_or_else(|| target.name.clone()),
        description: description.unwrap_or_else(|| target.description.clone()),
        customer_ids: customer_ids.unwrap_or_else(|| target.customer_ids.clone()),
        rate_limit: request.rate_limit.unwrap_or(target.rate_limit),
    })
}

/// Rule 7 and 3: `updateApiKeyScopes`. Scoped keys only; the caller must hold both the old and
/// the new scopes.
pub fn validate_scope_change(
    caller: &ScopeSet,
    target: &ApiKey,
    scopes: Option<&[String]>,
    preset: Option<ScopePreset>,
    now: DateTime<Utc>,
) -> Result<ScopeSet, RuleViolation> {
    let new_scopes = resolve_scopes(scopes, preset)?;
    ensure_editable(target, "scopes")?;
    ensure_may_manage(caller, target)?;
    ensure_covers(caller, &new_scopes, "grant")?;
    ensure_not_revoked(target)?;
    if target.is_expired(now) {
        return Err(RuleViolation::conflict("the key has expired"));
    }
    Ok(new_scopes)
}

/// Rule 6: revocation is immediate and irreversible. Default keys must have an expiration
/// first (rotate them), so an environment always keeps a usable default key.
pub fn validate_revoke(caller: &ScopeSet, target: &ApiKey) -> Result<(), RuleViolation> {
    ensure_may_manage(caller, target)?;
    ensure_not_revoked(target)?;
    match target.key_type {
        ApiKeyType::Scoped => Ok(()),
        ApiKeyType::Integration => Err(RuleViolation::conflict(
            "an integration key is removed by disconnecting its integration",
        )),
        ApiKeyType::FullAccess | ApiKeyType::Publishable if target.expires_at.is_none() => {
            Err(RuleViolation::conflict(
                "a default key without an expiration cannot be revoked: rotate it first",
            ))
        }
        ApiKeyType::FullAccess | ApiKeyType::Publishable => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::audit::Actor;
    use crate::error::ErrorCode;

    pub fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    pub fn scopes(list: &[&str]) -> ScopeSet {
        ScopeSet::from_requested(list).unwrap()
    }

    pub fn key(key_type: ApiKeyType, scopes: ScopeSet) -> ApiKey {
        ApiKey {
            id: "k1".into(),
            environment_id: "e1".into(),
            key_type,
            name: "key".into(),
            description: None,
            scopes,
            masked_key: "server-••••abcd".into(),
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
            created_at: now() - Duration::days(30),
            created_by: Actor::system(),
            rotated_from_id: None,
            replaced_by_id: None,
            customer_ids: None,
            rate_limit: None,
            integration_id: None,
            recoverable: false,
        }
    }

    #[test]
    fn roles_reach_keys_as_their_scopes_say() {
        use crate::user::Role;
        let full_access = key(ApiKeyType::FullAccess, ScopeSet::All);
        let scoped = key(ApiKeyType::Scoped, scopes(&["customers:write"]));
        // (role, may manage the full-access key, may manage a scoped key)
        let table = [
            (Role::Owner, true, true),
            (Role::Member, false, true),
            (Role::ReadOnly, false, false),
        ];
        for (role, full, scoped_ok) in table {
            assert_eq!(
                ensure_may_manage(&role.scopes(), &full_access).is_ok(),
                full,
                "{role}"
            );
            assert_eq!(
                ensure_may_manage(&role.scopes(), &scoped).is_ok(),
                scoped_ok,
                "{role}"
            );
        }
    }

    fn request<'a>(
        scopes: Option<&'a [String]>,
        preset: Option<ScopePreset>,
    ) -> CreateKeyRequest<'a> {
        CreateKeyRequest {
            name: "billing",
            description: None,
            scopes,
            preset,
            expires_at: None,
            customer_ids: None,
            rate_limit: None,
        }
    }

    fn code(result: Result<impl std::fmt::Debug, RuleViolation>) -> Option<ErrorCode> {
        result.err().map(|e| e.code)
    }

    #[test]
    fn create_rules() {
        let customers: Vec<String> = vec!["customers:write".into()];
        let unknown: Vec<String> = vec!["widgets:read".into()];
        let queue_write: Vec<String> = vec!["event_queue:write".into()];
        let empty: Vec<String> = vec![];
        let admin = scopes(&["api_keys:write", "customers:read"]);
        let cases: Vec<(&str, &ScopeSet, Plan, CreateKeyRequest, Option<ErrorCode>)> = vec![
            (
                "full access grants anything",
                &ScopeSet::All,
                Plan::Scale,
                request(Some(&customers), None),
                None,
            ),
            (
                "preset works",
                &ScopeSet::All,
                Plan::Scale,
                request(None, Some(ScopePreset::ReadOnly)),
                None,
            ),
            (
                "free plan",
                &ScopeSet::All,
                Plan::Free,
                request(Some(&customers), None),
                Some(ErrorCode::PlanUpgradeRequired),
            ),
            (
                "growth plan",
                &ScopeSet::All,
                Plan::Growth,
                request(Some(&customers), None),
                Some(ErrorCode::PlanUpgradeRequired),
            ),
            (
                "both scopes and preset",
                &ScopeSet::All,
                Plan::Scale,
                request(Some(&customers), Some(ScopePreset::ReadOnly)),
                Some(ErrorCode::BadUserInput),
            ),
            (
                "neither scopes nor preset",
                &ScopeSet::All,
                Plan::Scale,
                request(None, None),
                Some(ErrorCode::BadUserInput),
            ),
            (
                "empty scopes",
                &ScopeSet::All,
                Plan::Scale,
                request(Some(&empty), None),
                Some(ErrorCode::BadUserInput),
            ),
            (
                "unknown scope",
                &ScopeSet::All,
                Plan::Scale,
                request(Some(&unknown), None),
                Some(ErrorCode::BadUserInput),
            ),
            (
                "event_queue:write",
                &ScopeSet::All,
                Plan::Scale,
                request(Some(&queue_write), None),
                Some(ErrorCode::BadUserInput),
            ),
            (
                "escalation",
                &admin,
                Plan::Scale,
                request(Some(&customers), None),
                Some(ErrorCode::Forbidden),
            ),
            (
                "preset escalation",
                &admin,
                Plan::Scale,
                request(None, Some(ScopePreset::FullAccess)),
                Some(ErrorCode::Forbidden),
            ),
        ];
        for (label, caller, plan, req, expected) in cases {
            assert_eq!(
                code(validate_create(caller, plan, req, now())),
                expected,
                "{label}"
            );
        }
    }

    #[test]
    fn create_validates_name_description_and_expiry() {
        let list: Vec<String> = vec!["customers:read".into()];
        let base = request(Some(&list), None);
        let long_description = "d".repeat(501);
        let cases = [
            (CreateKeyRequest { name: "", ..base }, Some("name")),
            (
                CreateKeyRequest {
                    description: Some(&long_description),
                    ..base
                },
                Some("description"),
            ),
            (
                CreateKeyRequest {
                    expires_at: Some(now()),
                    ..base
                },
                Some("expiresAt"),
            ),
            (
                CreateKeyRequest {
                    expires_at: Some(now() + Duration::days(366)),
                    ..base
                },
                Some("expiresAt"),
            ),
            (
                CreateKeyRequest {
                    expires_at: Some(now() + Duration::days(365)),
                    ..base
                },
                None,
            ),
        ];
        for (req, field) in cases {
            let result = validate_create(&ScopeSet::All, Plan::Scale, req, now());
            assert_eq!(result.err().and_then(|e| e.field), field, "{req:?}");
        }
    }

    #[test]
    fn forbidden_answers_name_the_missing_scope() {
        let caller = scopes(&["api_keys:write"]);
        let target = key(ApiKeyType::Scoped, scopes(&["coupons:write"]));
        let err = ensure_may_manage(&caller, &target).unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert_eq!(
            err.required_scope.map(|s| s.to_string()).as_deref(),
            Some("coupons:write")
        );
    }

    #[test]
    fn only_scoped_keys_change_scopes_or_details() {
        let list: Vec<String> = vec!["customers:read".into()];
        for key_type in [
            ApiKeyType::FullAccess,
            ApiKeyType::Publishable,
            ApiKeyType::Integration,
        ] {
            let target = key(key_type, scopes(&["customers:read"]));
            assert_eq!(
                code(validate_scope_change(
                    &ScopeSet::All,
                    &target,
                    Some(&list),
                    None,
                    now()
                )),
                Some(ErrorCode::Conflict),
                "{key_type:?}"
            );
            let rename = SettingsRequest {
                name: Some("x"),
                ..SettingsRequest::default()
            };
            assert_eq!(
                code(validate_settings_change(&ScopeSet::All, &target, rename)),
                Some(ErrorCode::Conflict)
            );
            let throttle = SettingsRequest {
                rate_limit: Some(Some(RateLimit {
                    requests: 10,
                    period_seconds: 1,
                })),
                ..SettingsRequest::default()
            };
            assert!(validate_settings_change(&ScopeSet::All, &target, throttle).is_ok());
        }
        let scoped = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        assert!(validate_scope_change(&ScopeSet::All, &scoped, Some(&list), None, now()).is_ok());
    }

    #[test]
    fn scoped_key_cannot_grant_scope_it_lacks_on_update() {
        let caller = scopes(&["api_keys:write", "customers:write"]);
        let target = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        let wider: Vec<String> = vec!["coupons:write".into()];
        let narrower: Vec<String> = vec!["customers:write".into()];
        assert_eq!(
            code(validate_scope_change(
                &caller,
                &target,
                Some(&wider),
                None,
                now()
            )),
            Some(ErrorCode::Forbidden)
        );
        assert!(validate_scope_change(&caller, &target, Some(&narrower), None, now()).is_ok());
    }

    #[test]
    fn revoked_or_expired_keys_keep_their_scopes() {
        let list: Vec<String> = vec!["customers:read".into()];
        let mut revoked = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        revoked.revoked_at = Some(now());
        let mut expired = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        expired.expires_at = Some(now() - Duration::seconds(1));
        for target in [revoked, expired] {
            assert_eq!(
                code(validate_scope_change(
                    &ScopeSet::All,
                    &target,
                    Some(&list),
                    None,
                    now()
                )),
                Some(ErrorCode::Conflict)
            );
        }
    }

    #[test]
    fn settings_change_needs_something_to_change_and_keeps_the_rest() {
        let mut target = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        target.customer_ids = Some(vec!["c1".into()]);
        let nothing = SettingsRequest::default();
        assert_eq!(
            code(validate_settings_change(&ScopeSet::All, &target, nothing)),
            Some(ErrorCode::BadUserInput)
        );
        let about = SettingsRequest {
            description: Some(Some("about")),
            ..SettingsRequest::default()
        };
        let change = validate_settings_change(&ScopeSet::All, &target, about).unwrap();
        assert_eq!(change.name, "key");
        assert_eq!(change.description.as_deref(), Some("about"));
        assert_eq!(change.customer_ids, Some(vec!["c1".to_owned()]));
        let unrestrict = SettingsRequest {
            customer_ids: Some(None),
            ..SettingsRequest::default()
        };
        let change = validate_settings_change(&ScopeSet::All, &target, unrestrict).unwrap();
        assert_eq!(change.customer_ids, None);
        let empty: Vec<String> = vec![];
        let bad = SettingsRequest {
            customer_ids: Some(Some(&empty)),
            ..SettingsRequest::default()
        };
        let err = validate_settings_change(&ScopeSet::All, &target, bad).unwrap_err();
        assert_eq!(err.field, Some("customerIds"));
    }

    #[test]
    fn revoke_rules() {
        let with_expiry = |mut k: ApiKey| {
            k.expires_at = Some(now() + Duration::hours(1));
            k
        };
        let mut already = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        already.revoked_at = Some(now());
        let cases = [
            (
                "scoped",
                ScopeSet::All,
                key(ApiKeyType::Scoped, scopes(&["customers:read"])),
                None,
            ),
            (
                "already revoked",
                ScopeSet::All,
                already,
                Some(ErrorCode::Conflict),
            ),
            (
                "full access without expiry",
                ScopeSet::All,
                key(ApiKeyType::FullAccess, ScopeSet::All),
                Some(ErrorCode::Conflict),
            ),
            (
                "full access after rotation",
                ScopeSet::All,
                with_expiry(key(ApiKeyType::FullAccess, ScopeSet::All)),
                None,
            ),
            (
                "publishable without expiry",
                ScopeSet::All,
                key(ApiKeyType::Publishable, crate::scope::publishable_scopes()),
                Some(ErrorCode::Conflict),
            ),
            (
                "integration",
                ScopeSet::All,
                key(ApiKeyType::Integration, scopes(&["customers:read"])),
                Some(ErrorCode::Conflict),
            ),
            (
                "scoped caller on full access",
                scopes(&["api_keys:write"]),
                with_expiry(key(ApiKeyType::FullAccess, ScopeSet::All)),
                Some(ErrorCode::Forbidden),
            ),
        ];
        for (label, caller, target, expected) in cases {
            assert_eq!(code(validate_revoke(&caller, &target)), expected, "{label}");
        }
    }
}
