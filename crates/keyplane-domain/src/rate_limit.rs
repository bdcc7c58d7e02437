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
    /// How replicas sharing Redis agree on the limit. Audit rows written before modes existed
    /// read as `Exact`.
    #[serde(default)]
    pub mode: RateLimitMode,
}

/// How a limit is shared when several replicas decide it through Redis. One process without
/// Redis decides every limit itself, exactly, whatever the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RateLimitMode {
    /// Every decision is one atomic step in Redis: the limit holds to the request.
    #[default]
    Exact,
    /// Each replica leases a share of the budget from Redis and spends it locally, so most
    /// decisions need no round trip; see [`RateLimit::lease_size`].
    Leased,
}

impl RateLimitMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "EXACT",
            Self::Leased => "LEASED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "EXACT" => Some(Self::Exact),
            "LEASED" => Some(Self::Leased),
            _ => None,
        }
    }
}

/// Most requests one replica leases at a time in [`RateLimitMode::Leased`].
pub const MAX_LEASE: u32 = 64;

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
            mode: RateLimitMode::Exact,
        })
    }

    pub fn with_mode(self, mode: RateLimitMode) -> Self {
        Self { mode, ..self }
    }

    /// How many requests a replica leases at once in [`RateLimitMode::Leased`]: a sixteenth of
    /// the limit, at least 1 and at most [`MAX_LEASE`]. Leased requests are spent from the
    /// shared budget when leased, so N replicas never let more through than the limit allows
    /// over its whole period; a lease spent after it was taken can move up to N × this many
    /// requests into a later window, and unspent leases held by idle replicas can refuse up to
    /// (N − 1) × this many early.
    pub fn lease_size(self) -> u32 {
        (self.requests / 16).clamp(1, MAX_LEASE)
    }

    /// Microseconds between two requests at the steady rate.
    pub fn interval_micros(self) -> u64 {
        (u64::from(self.period_seconds) * 1_000_000).div_ceil(u64::from(self.requests))
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
        let own = RateLimit::parse("rateLimit", 5, 1).unwrap();
        let default = RateLimit::parse("rateLimit", 100, 60).unwrap();
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
    fn a_lease_is_a_sixteenth_of_the_limit_within_bounds() {
        let lease = |requests| {
            RateLimit::parse("rateLimit", requests, 60)
                .unwrap()
                .lease_size()
        };
        assert_eq!(lease(1), 1);
        assert_eq!(lease(31), 1);
        assert_eq!(lease(160), 10);
        assert_eq!(lease(1_000_000), MAX_LEASE);
    }

    #[test]
    fn a_mode_is_exact_unless_said_and_reads_from_old_audit_rows() {
        let old: RateLimit = serde_json::from_str(r#"{"requests":5,"periodSeconds":1}"#).unwrap();
        assert_eq!(old.mode, RateLimitMode::Exact);
        let leased = old.with_mode(RateLimitMode::Leased);
        let text = serde_json::to_string(&leased).unwrap();
        assert_eq!(text, r#"{"requests":5,"periodSeconds":1,"mode":"LEASED"}"#);
        assert_eq!(RateLimitMode::parse("LEASED"), Some(RateLimitMode::Leased));
        assert_eq!(RateLimitMode::parse("leased"), None);
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
