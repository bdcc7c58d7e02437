//! The "never freer than its maker" tables.

use chrono::Duration;

use super::*;
use crate::error::ErrorCode;
use crate::lifecycle::tests::{key, now, scopes};
use crate::quota::QuotaRefill::{Daily, Monthly, Never};

fn ranges(list: &[&str]) -> IpRanges {
    IpRanges::parse("allowedIps", list, 100).unwrap()
}

fn limit(requests: u32, period_seconds: u32) -> RateLimit {
    RateLimit::parse("rateLimit", i64::from(requests), i64::from(period_seconds)).unwrap()
}

fn quota(limit: u64, refill: QuotaRefill) -> Quota {
    Quota { limit, refill }
}

fn verdict(result: Result<(), RuleViolation>) -> Result<(), &'static str> {
    result.map_err(|err| {
        assert_eq!(err.code, ErrorCode::Forbidden);
        err.field.unwrap()
    })
}

#[test]
fn a_person_is_bound_by_nothing_here() {
    let free = Freedom::unbounded();
    assert!(free.ensure_customers(None).is_ok());
    assert!(free.ensure_allowed_ips(None).is_ok());
    assert!(free.ensure_expiry("expiresAt", None).is_ok());
    assert!(free.ensure_quota(None).is_ok());
    assert!(free.ensure_rate_limit(None).is_ok());
}

#[test]
fn customers_must_be_a_subset_of_the_callers_list() {
    let own = Freedom {
        customer_ids: Some(vec!["acme".into(), "globex".into()]),
        ..Freedom::default()
    };
    let list = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
    type Row = (Option<Vec<String>>, Result<(), &'static str>);
    let table: [Row; 4] = [
        (Some(list(&["acme"])), Ok(())),
        (Some(list(&["acme", "globex"])), Ok(())),
        (Some(list(&["acme", "initech"])), Err("customerIds")),
        (None, Err("customerIds")),
    ];
    for (wanted, expected) in table {
        assert_eq!(
            verdict(own.ensure_customers(wanted.as_deref())),
            expected,
            "{wanted:?}"
        );
    }
}

#[test]
fn ip_ranges_must_lie_inside_the_callers() {
    let own = Freedom {
        allowed_ips: Some(ranges(&["10.0.0.0/8", "2001:db8::/32"])),
        ..Freedom::default()
    };
    let table = [
        (Some(ranges(&["10.1.2.3"])), Ok(())),
        (Some(ranges(&["10.0.0.0/8", "2001:db8:1::/48"])), Ok(())),
        (Some(ranges(&["10.0.0.0/7"])), Err("allowedIps")),
        (
            Some(ranges(&["10.1.0.0/16", "192.0.2.1"])),
            Err("allowedIps"),
        ),
        (None, Err("allowedIps")),
    ];
    for (wanted, expected) in table {
        assert_eq!(
            verdict(own.ensure_allowed_ips(wanted.as_ref())),
            expected,
            "{wanted:?}"
        );
    }
}

#[test]
fn expiry_must_come_no_later_than_the_callers() {
    let own = Freedom {
        expires_at: Some(now() + Duration::days(1)),
        ..Freedom::default()
    };
    let table = [
        (Some(now() + Duration::hours(1)), Ok(())),
        (Some(now() + Duration::days(1)), Ok(())),
        (Some(now() + Duration::days(2)), Err("expiresAt")),
        (None, Err("expiresAt")),
    ];
    for (wanted, expected) in table {
        assert_eq!(verdict(own.ensure_expiry("expiresAt", wanted)), expected);
    }
}

#[test]
fn a_quota_must_be_no_larger_nor_refill_more_often() {
    let own = Freedom {
        quota: Some(quota(1_000, Monthly)),
        ..Freedom::default()
    };
    let table = [
        (Some(quota(1_000, Monthly)), Ok(())),
        (Some(quota(10, Never)), Ok(())),
        (Some(quota(1_001, Monthly)), Err("quota")),
        (Some(quota(10, Daily)), Err("quota")),
        (None, Err("quota")),
    ];
    for (wanted, expected) in table {
        assert_eq!(verdict(own.ensure_quota(wanted)), expected, "{wanted:?}");
    }
}

#[test]
fn a_rate_limit_must_allow_neither_a_larger_burst_nor_a_faster_rate() {
    let own = Freedom {
        rate_limit: Some(limit(100, 60)),
        ..Freedom::default()
    };
    let table = [
        (Some(limit(100, 60)), Ok(())),
        (Some(limit(10, 60)), Ok(())),
        (Some(limit(100, 3_600)), Ok(())),
        (Some(limit(101, 60)), Err("rateLimit")),
        // Two a second is 120 a minute.
        (Some(limit(2, 1)), Err("rateLimit")),
        // The same rate as a larger burst.
        (Some(limit(6_000, 3_600)), Err("rateLimit")),
        (None, Err("rateLimit")),
    ];
    for (wanted, expected) in table {
        assert_eq!(
            verdict(own.ensure_rate_limit(wanted)),
            expected,
            "{wanted:?}"
        );
    }
}

#[test]
fn a_key_cannot_loosen_its_own_settings_but_may_tighten_them() {
    let mut own = key(ApiKeyType::Scoped, scopes(&["api_keys:write"]));
    own.customer_ids = Some(vec!["acme".into()]);
    own.allowed_ips = Some(ranges(&["10.0.0.0/8"]));
    own.rate_limit = Some(limit(100, 60));
    let freedom = Freedom::of_key(&own, None);
    let as_is = SettingsChange::of(&own);
    let cases: [(&str, SettingsChange, Result<(), &str>); 6] = [
        (
            "clears its customers",
            SettingsChange {
                customer_ids: None,
                ..as_is.clone()
            },
            Err("customerIds"),
        ),
        (
            "clears its allow-list",
            SettingsChange {
                allowed_ips: None,
                ..as_is.clone()
            },
            Err("allowedIps"),
        ),
        (
            "widens its allow-list",
            SettingsChange {
                allowed_ips: Some(ranges(&["0.0.0.0/0"])),
                ..as_is.clone()
            },
            Err("allowedIps"),
        ),
        (
            "raises its rate limit",
            SettingsChange {
                rate_limit: Some(limit(1_000, 60)),
                ..as_is.clone()
            },
            Err("rateLimit"),
        ),
        (
            "renames itself",
            SettingsChange {
                name: "renamed".into(),
                ..as_is.clone()
            },
            Ok(()),
        ),
        (
            "narrows its allow-list",
            SettingsChange {
                allowed_ips: Some(ranges(&["10.1.0.0/16"])),
                ..as_is.clone()
            },
            Ok(()),
        ),
    ];
    for (what, change, expected) in cases {
        assert_eq!(
            verdict(freedom.ensure_settings(&own, &change, None)),
            expected,
            "{what}"
        );
    }
}

#[test]
fn the_environment_default_binds_a_key_without_its_own_limit() {
    let caller = key(ApiKeyType::Scoped, scopes(&["api_keys:write"]));
    let default = limit(10, 1);
    let freedom = Freedom::of_key(&caller, Some(default));
    assert_eq!(freedom.rate_limit, Some(default));
    let target = key(ApiKeyType::Scoped, scopes(&["api_keys:read"]));
    let unthrottled = SettingsChange {
        rate_limit: Some(limit(1_000, 1)),
        ..SettingsChange::of(&target)
    };
    assert_eq!(
        verdict(freedom.ensure_settings(&target, &unthrottled, Some(default))),
        Err("rateLimit")
    );
}

#[test]
fn a_rotation_by_a_key_keeps_its_horizon_and_its_limits() {
    let mut own = key(ApiKeyType::Scoped, scopes(&["api_keys:write"]));
    own.expires_at = Some(now() + Duration::days(1));
    own.customer_ids = Some(vec!["acme".into()]);
    let freedom = Freedom::of_key(&own, None);
    // Rotating itself: the new key expires when it did.
    assert_eq!(freedom.ensure_rotation(&own, None), Ok(own.expires_at));
    // A freer key would hand the caller a secret without its limits.
    let free = key(ApiKeyType::Scoped, scopes(&["api_keys:read"]));
    assert_eq!(
        freedom.ensure_rotation(&free, None).unwrap_err().field,
        Some("customerIds")
    );
    // A person's rotation gives a key without an expiry, as before.
    assert_eq!(Freedom::unbounded().ensure_rotation(&free, None), Ok(None));
}

#[test]
fn only_a_caller_without_limits_connects_an_integration() {
    let default = limit(100, 60);
    let mut caller = key(ApiKeyType::Scoped, scopes(&["api_keys:write"]));
    assert!(
        Freedom::of_key(&caller, Some(default))
            .ensure_integration_key(Some(default))
            .is_ok()
    );
    caller.allowed_ips = Some(ranges(&["10.0.0.0/8"]));
    assert_eq!(
        verdict(Freedom::of_key(&caller, Some(default)).ensure_integration_key(Some(default))),
        Err("allowedIps")
    );
}
