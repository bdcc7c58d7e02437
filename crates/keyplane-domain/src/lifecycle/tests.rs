//! The lifecycle rules' tables, and the fixtures other rules' tests share.

use super::*;
use crate::audit::Actor;
use crate::error::ErrorCode;

mod revoke;

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
        metadata: None,
        external_id: None,
        disabled: None,
        allowed_ips: None,
        quota: None,
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

fn request<'a>(scopes: Option<&'a [String]>, preset: Option<ScopePreset>) -> CreateKeyRequest<'a> {
    CreateKeyRequest {
        name: "billing",
        description: None,
        scopes,
        preset,
        expires_at: None,
        customer_ids: None,
        rate_limit: None,
        metadata: None,
        external_id: None,
        allowed_ips: None,
        quota: None,
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
            rate_limit: Some(Some(RateLimit::parse("rateLimit", 10, 1).unwrap())),
            ..SettingsRequest::default()
        };
        assert!(validate_settings_change(&ScopeSet::All, &target, throttle).is_ok());
        let ips = ["2001:db8::/32".to_owned()];
        let pinned = SettingsRequest {
            allowed_ips: Some(Some(&ips)),
            ..SettingsRequest::default()
        };
        let change = validate_settings_change(&ScopeSet::All, &target, pinned).unwrap();
        assert_eq!(
            change.allowed_ips.map(|r| r.to_strings()),
            Some(vec!["2001:db8::/32".to_owned()])
        );
        let empty: [String; 0] = [];
        let nothing = SettingsRequest {
            allowed_ips: Some(Some(&empty)),
            ..SettingsRequest::default()
        };
        let err = validate_settings_change(&ScopeSet::All, &target, nothing).unwrap_err();
        assert_eq!(err.field, Some("allowedIps"));
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
