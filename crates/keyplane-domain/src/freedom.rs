//! A key is never freer than the key that made or changed it. A calling key acts under its own
//! limits (customers, IP ranges, expiry, quota, rate limit): whatever it creates, re-sets or
//! rotates must stay within them, and it cannot lift them from itself, since changing its own
//! settings is a change by a key bound by them. People are bound by their role only.

use chrono::{DateTime, Utc};

use crate::error::RuleViolation;
use crate::ip_ranges::IpRanges;
use crate::key::{ApiKey, ApiKeyType};
use crate::lifecycle::{NewScopedKey, SettingsChange};
use crate::quota::{Quota, QuotaRefill};
use crate::rate_limit::{RateLimit, RateLimitMode, effective_limit};

/// The limits a caller acts under. A person's are none ([`Freedom::unbounded`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freedom {
    pub customer_ids: Option<Vec<String>>,
    pub allowed_ips: Option<IpRanges>,
    pub expires_at: Option<DateTime<Utc>>,
    pub quota: Option<Quota>,
    /// The rate limit that applies to the key: its own, else the environment's default.
    pub rate_limit: Option<RateLimit>,
}

impl Freedom {
    /// A person's: bound by their role's scopes alone.
    pub fn unbounded() -> Self {
        Self::default()
    }

    /// A calling key's limits, as they apply to it in an environment whose default rate limit
    /// is `environment_default`.
    pub fn of_key(key: &ApiKey, environment_default: Option<RateLimit>) -> Self {
        Self {
            customer_ids: key.customer_ids.clone(),
            allowed_ips: key.allowed_ips.clone(),
            expires_at: key.expires_at,
            quota: key.quota.map(|q| q.quota),
            rate_limit: effective_limit(key, environment_default),
        }
    }

    /// A new scoped key may have no more freedom than its maker.
    pub fn ensure_new_key(
        &self,
        key: &NewScopedKey,
        environment_default: Option<RateLimit>,
    ) -> Result<(), RuleViolation> {
        self.ensure_customers(key.customer_ids.as_deref())?;
        self.ensure_allowed_ips(key.allowed_ips.as_ref())?;
        self.ensure_expiry("expiresAt", key.expires_at)?;
        self.ensure_quota(key.quota)?;
        self.ensure_rate_limit(key.rate_limit.or(environment_default))
    }

    /// An integration's key is made without limits of its own (its scopes are the provider's),
    /// so only a caller without limits beyond the environment's default may connect one.
    pub fn ensure_integration_key(
        &self,
        environment_default: Option<RateLimit>,
    ) -> Result<(), RuleViolation> {
        self.ensure_customers(None)?;
        self.ensure_allowed_ips(None)?;
        self.ensure_expiry("expiresAt", None)?;
        self.ensure_quota(None)?;
        self.ensure_rate_limit(environment_default)
    }

    /// The settings `change` makes to `target`: each limit it changes must stay within the
    /// caller's. Limits it leaves as they are are not checked, so a bound key may still rename a
    /// freer key it manages (or revoke it), but never loosen one.
    pub fn ensure_settings(
        &self,
        target: &ApiKey,
        change: &SettingsChange,
        environment_default: Option<RateLimit>,
    ) -> Result<(), RuleViolation> {
        if change.customer_ids != target.customer_ids {
            self.ensure_customers(change.customer_ids.as_deref())?;
        }
        if change.allowed_ips != target.allowed_ips {
            self.ensure_allowed_ips(change.allowed_ips.as_ref())?;
        }
        if change.quota != target.quota.map(|q| q.quota) {
            self.ensure_quota(change.quota)?;
        }
        if change.rate_limit != target.rate_limit {
            let applies = match target.key_type {
                ApiKeyType::FullAccess => change.rate_limit,
                _ => change.rate_limit.or(environment_default),
            };
            self.ensure_rate_limit(applies)?;
        }
        Ok(())
    }

    /// A key that was rotated works until its grace period ends, but manages nothing: a leaked
    /// old secret must not be able to rotate, re-scope or revoke its replacement.
    pub fn ensure_caller_not_replaced(caller: &ApiKey) -> Result<(), RuleViolation> {
        match caller.replaced_by_id {
            None => Ok(()),
            Some(_) => Err(RuleViolation::forbidden(
                "the calling key was rotated: it keeps working until its grace period ends, but only its replacement may manage keys",
                None,
            )),
        }
    }

    /// New scopes on `target` reach as far as its limits let them, so a bound key may grant
    /// scopes only to a key within all of its limits.
    pub fn ensure_scope_grant(
        &self,
        target: &ApiKey,
        environment_default: Option<RateLimit>,
    ) -> Result<(), RuleViolation> {
        self.ensure_customers(target.customer_ids.as_deref())?;
        self.ensure_allowed_ips(target.allowed_ips.as_ref())?;
        self.ensure_expiry("expiresAt", target.expires_at)?;
        self.ensure_quota(target.quota.map(|q| q.quota))?;
        self.ensure_rate_limit(effective_limit(target, environment_default))
    }

    /// A new count is a full one, so a key bound by a quota cannot set its own quota again
    /// (lowering it would refill it).
    pub fn ensure_own_quota_kept(
        &self,
        target: &ApiKey,
        change: &SettingsChange,
    ) -> Result<(), RuleViolation> {
        if self.quota.is_some() && change.quota != target.quota.map(|q| q.quota) {
            return Err(bounded(
                "quota",
                "a key with a quota cannot change its own quota: a new quota starts a new count",
            ));
        }
        Ok(())
    }

    /// A rotation copies `target`'s limits into the new key, so a bound key may rotate only a
    /// key within its own limits; the new key expires when the caller does (never, for a caller
    /// without an expiry), which keeps a key rotating itself at its own horizon.
    pub fn ensure_rotation(
        &self,
        target: &ApiKey,
        environment_default: Option<RateLimit>,
    ) -> Result<Option<DateTime<Utc>>, RuleViolation> {
        self.ensure_customers(target.customer_ids.as_deref())?;
        self.ensure_allowed_ips(target.allowed_ips.as_ref())?;
        self.ensure_quota(target.quota.map(|q| q.quota))?;
        self.ensure_rate_limit(effective_limit(target, environment_default))?;
        Ok(self.expires_at)
    }

    /// Customers within the caller's list, when it has one.
    pub fn ensure_customers(&self, customers: Option<&[String]>) -> Result<(), RuleViolation> {
        let Some(own) = &self.customer_ids else {
            return Ok(());
        };
        match customers {
            Some(wanted) if wanted.iter().all(|id| own.contains(id)) => Ok(()),
            _ => Err(bounded(
                "customerIds",
                "the calling key is limited to some customers: a key it makes or changes must be limited to some of them too",
            )),
        }
    }

    /// IP ranges inside the caller's, when it has an allow-list.
    pub fn ensure_allowed_ips(&self, ranges: Option<&IpRanges>) -> Result<(), RuleViolation> {
        let Some(own) = &self.allowed_ips else {
            return Ok(());
        };
        match ranges {
            Some(wanted) if wanted.is_within(own) => Ok(()),
            _ => Err(bounded(
                "allowedIps",
                "the calling key has an IP allow-list: a key it makes or changes must allow only ranges inside it",
            )),
        }
    }

    /// An expiry no later than the caller's, when it has one.
    pub fn ensure_expiry(
        &self,
        field: &'static str,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), RuleViolation> {
        let Some(own) = self.expires_at else {
            return Ok(());
        };
        match at {
            Some(at) if at <= own => Ok(()),
            _ => Err(bounded(
                field,
                "the calling key expires: a key it makes or changes must expire no later than it does",
            )),
        }
    }

    /// A quota no larger than the caller's, when it has one: at most its limit, refilled no
    /// more often.
    pub fn ensure_quota(&self, quota: Option<Quota>) -> Result<(), RuleViolation> {
        let Some(own) = self.quota else {
            return Ok(());
        };
        match quota {
            Some(wanted)
                if wanted.limit <= own.limit
                    && refill_rank(wanted.refill) >= refill_rank(own.refill) =>
            {
                Ok(())
            }
            _ => Err(bounded(
                "quota",
                "the calling key has a quota: a key it makes or changes must have one no larger (limit and refill)",
            )),
        }
    }

    /// A rate limit (the one that will apply) no larger than the caller's, when one applies to
    /// it: neither a larger burst nor a faster sustained rate.
    pub fn ensure_rate_limit(&self, applies: Option<RateLimit>) -> Result<(), RuleViolation> {
        let Some(own) = self.rate_limit else {
            return Ok(());
        };
        match applies {
            Some(wanted) if within_rate(wanted, own) => Ok(()),
            _ => Err(bounded(
                "rateLimit",
                "the calling key has a rate limit: a key it makes or changes must have one no larger (requests and rate)",
            )),
        }
    }
}

/// Refills from most to least generous: a daily quota gives its limit every day.
fn refill_rank(refill: QuotaRefill) -> u8 {
    match refill {
        QuotaRefill::Daily => 0,
        QuotaRefill::Monthly => 1,
        QuotaRefill::Never => 2,
    }
}

/// Neither a larger burst, nor a faster rate, nor a looser mode (`LEASED` lets each replica's
/// lease through on top of an exact count).
fn within_rate(wanted: RateLimit, own: RateLimit) -> bool {
    let rate_within = u64::from(wanted.requests) * u64::from(own.period_seconds)
        <= u64::from(own.requests) * u64::from(wanted.period_seconds);
    let mode_within = !(own.mode == RateLimitMode::Exact && wanted.mode == RateLimitMode::Leased);
    wanted.requests <= own.requests && rate_within && mode_within
}

fn bounded(field: &'static str, message: &str) -> RuleViolation {
    RuleViolation {
        field: Some(field),
        ..RuleViolation::forbidden(message, None)
    }
}

#[cfg(test)]
mod tests;
