//! Rate-limit settings: how many requests a key may make per period.

use serde::{Deserialize, Serialize};

use crate::error::RuleViolation;
use crate::key::{ApiKey, ApiKeyType};

/// Most requests a limit may allow per period.
pub const MAX_REQUESTS: i64 = 1_000_000;
/// Longest period a limit may span: one day.
pub const MAX_PERIOD_SECONDS: i64 = 86_400;

/// `requests` per `period_seconds`, enforced as a GCRA: a burst of up to `requests`, refilled
/// evenly over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub requests: u32,
    pub period_seconds: u32,
}

impl RateLimit {
    pub fn parse(
        field: &'static str,
        requests: i64,
        period_seconds: i64,
    ) -> Result<Self, RuleViolation> {
        if !(1..=MAX_REQUESTS).contains(&requests) {
            return Err(RuleViolation::bad_input(
                field,
                format!("requests must be between 1 and {MAX_REQUESTS}"),
            ));
        }
        if !(1..=MAX_PERIOD_SECONDS).contains(&period_seconds) {
            return Err(RuleViolation::bad_input(
                field,
                format!("periodSeconds must be between 1 and {MAX_PERIOD_SECONDS}"),
            ));
        }
        Ok(Self {
            requests: requests as u32,
            period_seconds: period_seconds as u32,
        })
    }
}

/// The limit that applies to a key: its own, else its environment's default, else none. The
/// default never binds the full-access key: it is the one key that can change the default, and
/// a default set too low must not lock it out.
pub fn effective_limit(key: &ApiKey, environment_default: Option<RateLimit>) -> Option<RateLimit> {
    match key.key_type {
        ApiKeyType::FullAccess => key.rate_limit,
        _ => key.rate_limit.or(environment_default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_limit_overrides_the_environment_default_which_spares_full_access() {
        use crate::lifecycle::tests::{key, scopes};
        use crate::scope::ScopeSet;
        let own = RateLimit {
            requests: 5,
            period_seconds: 1,
        };
        let default = RateLimit {
            requests: 100,
            period_seconds: 60,
        };
        let mut scoped = key(ApiKeyType::Scoped, scopes(&["customers:read"]));
        let mut full = key(ApiKeyType::FullAccess, ScopeSet::All);
        assert_eq!(effective_limit(&scoped, Some(default)), Some(default));
        assert_eq!(effective_limit(&scoped, None), None);
        assert_eq!(effective_limit(&full, Some(default)), None);
        scoped.rate_limit = Some(own);
        full.rate_limit = Some(own);
        assert_eq!(effective_limit(&scoped, Some(default)), Some(own));
        assert_eq!(effective_limit(&full, Some(default)), Some(own));
    }

    #[test]
    fn limits_must_be_positive_and_bounded() {
        let cases = [
            (1, 1, true),
            (100, 60, true),
            (MAX_REQUESTS, MAX_PERIOD_SECONDS, true),
            (0, 60, false),
            (-5, 60, false),
            (MAX_REQUESTS + 1, 60, false),
            (10, 0, false),
            (10, -1, false),
            (10, MAX_PERIOD_SECONDS + 1, false),
            (i64::MAX, i64::MAX, false),
        ];
        for (requests, period, ok) in cases {
            let result = RateLimit::parse("rateLimit", requests, period);
            assert_eq!(result.is_ok(), ok, "{requests}/{period}");
            if let Err(e) = result {
                assert_eq!(e.field, Some("rateLimit"));
            }
        }
    }
}
