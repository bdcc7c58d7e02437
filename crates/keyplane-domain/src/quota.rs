//! Usage quotas: how many units a key may spend on verifications, refilled every day, every
//! month (UTC) or never. A quota's count lives with the key in the database; replicas lease
//! units from it in batches, so no two replicas ever spend the same unit.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::RuleViolation;

/// Largest quota: two billion units (it fits a GraphQL `Int`).
pub const MAX_QUOTA: i64 = 2_000_000_000;
/// Most units one verification may spend.
pub const MAX_SPEND: i64 = 1_000_000;
/// Most units a replica leases at once.
pub const MAX_LEASE: u64 = 1_000;

/// When a quota is full again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QuotaRefill {
    /// At 00:00 UTC each day.
    Daily,
    /// At 00:00 UTC on the first of each month.
    Monthly,
    /// Never: the quota is a budget for the key's whole life.
    Never,
}

impl QuotaRefill {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Monthly => "MONTHLY",
            Self::Never => "NEVER",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "DAILY" => Some(Self::Daily),
            "MONTHLY" => Some(Self::Monthly),
            "NEVER" => Some(Self::Never),
            _ => None,
        }
    }
}

/// A quota as an admin sets it: `limit` units per refill period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub limit: u64,
    pub refill: QuotaRefill,
}

impl Quota {
    pub fn parse(
        field: &'static str,
        limit: i64,
        refill: QuotaRefill,
    ) -> Result<Self, RuleViolation> {
        if !(1..=MAX_QUOTA).contains(&limit) {
            return Err(RuleViolation::bad_input(
                field,
                format!("the quota's limit must be between 1 and {MAX_QUOTA}"),
            ));
        }
        Ok(Self {
            limit: limit as u64,
            refill,
        })
    }

    /// The period `now` falls in: when it began and when it refills (`None`: never). A quota
    /// that never refills has one period, from when it was set.
    pub fn period(
        self,
        set_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        let midnight = |year, month, day| {
            Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
                .single()
                .expect("midnight UTC exists")
        };
        match self.refill {
            QuotaRefill::Daily => {
                let start = midnight(now.year(), now.month(), now.day());
                (start, Some(start + Duration::days(1)))
            }
            QuotaRefill::Monthly => {
                let start = midnight(now.year(), now.month(), 1);
                let next = if now.month() == 12 {
                    midnight(now.year() + 1, 1, 1)
                } else {
                    midnight(now.year(), now.month() + 1, 1)
                };
                (start, Some(next))
            }
            QuotaRefill::Never => (set_at, None),
        }
    }
}

/// A key's quota and its count: when the quota was set (a new quota starts a new count), the
/// period the count belongs to, and the units spent or leased in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyQuota {
    pub quota: Quota,
    pub set_at: DateTime<Utc>,
    pub period_start: DateTime<Utc>,
    pub used: u64,
}

impl KeyQuota {
    /// A fresh count for `quota`, set at `now`.
    pub fn new(quota: Quota, now: DateTime<Utc>) -> Self {
        Self {
            quota,
            set_at: now,
            period_start: quota.period(now, now).0,
            used: 0,
        }
    }

    /// What is spent at `now`: nothing once a later period has begun. That is the refill: it
    /// happens on schedule, with no request and no job needed.
    pub fn used_at(&self, now: DateTime<Utc>) -> u64 {
        if self.quota.period(self.set_at, now).0 == self.period_start {
            self.used
        } else {
            0
        }
    }

    pub fn remaining_at(&self, now: DateTime<Utc>) -> u64 {
        self.quota.limit.saturating_sub(self.used_at(now))
    }

    pub fn resets_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.quota.period(self.set_at, now).1
    }

    /// Claims up to `wanted` units, and at least `spend` or nothing: what is granted, and the
    /// count to write.
    pub fn claim(&self, spend: u64, wanted: u64, now: DateTime<Utc>) -> QuotaClaim {
        let (period_start, _) = self.quota.period(self.set_at, now);
        let used = self.used_at(now);
        let remaining = self.quota.limit.saturating_sub(used);
        let granted = if remaining < spend {
            0
        } else {
            wanted.max(spend).min(remaining)
        };
        QuotaClaim {
            granted,
            period_start,
            used: used + granted,
            remaining: remaining - granted,
        }
    }

    /// The count after `units` leased in the period that began at `period_start` come back
    /// unspent. Units of an earlier period or quota are moot: that count is gone.
    pub fn give_back(&self, period_start: DateTime<Utc>, units: u64) -> Option<u64> {
        (period_start == self.period_start).then(|| self.used.saturating_sub(units))
    }
}

/// What a claim granted, and the count it leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaClaim {
    pub granted: u64,
    pub period_start: DateTime<Utc>,
    pub used: u64,
    pub remaining: u64,
}

/// The units a verification asks to spend: 1 to [`MAX_SPEND`], 1 when not said.
pub fn parse_spend(spend: Option<i64>) -> Result<u64, RuleViolation> {
    match spend {
        None => Ok(1),
        Some(n) if (1..=MAX_SPEND).contains(&n) => Ok(n as u64),
        Some(_) => Err(RuleViolation::bad_input(
            "spend",
            format!("spend must be between 1 and {MAX_SPEND}"),
        )),
    }
}

/// How many units a replica leases when its lease runs out: a sixteenth of what is left (so
/// the replicas together hold little of it near the end), 1 to [`MAX_LEASE`], and never less
/// than the spend at hand.
pub fn lease_size(remaining: u64, spend: u64) -> u64 {
    (remaining / 16).clamp(1, MAX_LEASE).max(spend)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn periods_begin_at_utc_midnight_the_first_of_the_month_or_when_set() {
        let now = at("2026-12-31T23:59:59Z");
        let set = at("2026-03-04T05:06:07Z");
        let daily = Quota::parse("quota", 5, QuotaRefill::Daily).unwrap();
        assert_eq!(
            daily.period(set, now),
            (at("2026-12-31T00:00:00Z"), Some(at("2027-01-01T00:00:00Z")))
        );
        let monthly = Quota::parse("quota", 5, QuotaRefill::Monthly).unwrap();
        assert_eq!(
            monthly.period(set, now),
            (at("2026-12-01T00:00:00Z"), Some(at("2027-01-01T00:00:00Z")))
        );
        assert_eq!(
            monthly.period(set, at("2026-02-10T00:00:00Z")).1,
            Some(at("2026-03-01T00:00:00Z"))
        );
        let never = Quota::parse("quota", 5, QuotaRefill::Never).unwrap();
        assert_eq!(never.period(set, now), (set, None));
    }

    #[test]
    fn a_count_refills_when_its_period_ends_without_being_written() {
        let quota = Quota::parse("quota", 10, QuotaRefill::Daily).unwrap();
        let mut key = KeyQuota::new(quota, at("2026-12-02T10:00:00Z"));
        let claim = key.claim(1, 4, at("2026-12-02T11:00:00Z"));
        assert_eq!((claim.granted, claim.used, claim.remaining), (4, 4, 6));
        key.used = claim.used;
        assert_eq!(key.remaining_at(at("2026-12-02T23:59:59Z")), 6);
        assert_eq!(key.remaining_at(at("2026-12-03T00:00:00Z")), 10);
        // A lease of the day before comes back to nothing.
        let next_day = key.claim(1, 3, at("2026-12-03T08:00:00Z"));
        assert_eq!(next_day.period_start, at("2026-12-03T00:00:00Z"));
        assert_eq!((next_day.granted, next_day.used), (3, 3));
        key = KeyQuota {
            period_start: next_day.period_start,
            used: next_day.used,
            ..key
        };
        assert_eq!(key.give_back(at("2026-12-02T00:00:00Z"), 4), None);
        assert_eq!(key.give_back(at("2026-12-03T00:00:00Z"), 2), Some(1));
    }

    #[test]
    fn a_claim_grants_at_least_the_spend_or_nothing() {
        let quota = Quota::parse("quota", 10, QuotaRefill::Never).unwrap();
        let now = at("2026-12-02T10:00:00Z");
        let key = KeyQuota {
            used: 7,
            ..KeyQuota::new(quota, now)
        };
        assert_eq!(key.claim(1, 8, now).granted, 3);
        assert_eq!(key.claim(3, 1, now).granted, 3);
        assert_eq!(key.claim(4, 8, now).granted, 0);
        assert_eq!(key.claim(4, 8, now).used, 7);
    }

    #[test]
    fn spends_and_limits_are_bounded() {
        assert_eq!(parse_spend(None).unwrap(), 1);
        assert_eq!(parse_spend(Some(MAX_SPEND)).unwrap(), MAX_SPEND as u64);
        assert!(parse_spend(Some(0)).is_err());
        assert!(parse_spend(Some(MAX_SPEND + 1)).is_err());
        assert!(Quota::parse("quota", 0, QuotaRefill::Daily).is_err());
        assert!(Quota::parse("quota", MAX_QUOTA + 1, QuotaRefill::Daily).is_err());
        assert_eq!(lease_size(1_000_000, 1), MAX_LEASE);
        assert_eq!(lease_size(160, 1), 10);
        assert_eq!(lease_size(3, 1), 1);
        assert_eq!(lease_size(3, 2), 2);
    }
}
