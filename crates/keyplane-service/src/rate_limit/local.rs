//! Per-key rate limiting in this process (GCRA, from the governor crate): the whole story for
//! one replica, and the fallback of several when Redis does not answer. A key's limiter is
//! made on first use and rebuilt when the key's limit changes.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use keyplane_domain::rate_limit::RateLimit;

use super::RateDecision;

type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

#[derive(Debug, Default)]
pub struct KeyRateLimiter {
    limiters: DashMap<String, Arc<(RateLimit, DirectLimiter)>>,
    clock: DefaultClock,
}

impl KeyRateLimiter {
    /// Spends one request of `key_id` under `limit`.
    pub fn check(&self, key_id: &str, limit: RateLimit) -> RateDecision {
        let entry = self.limiter(key_id, limit);
        let (_, limiter) = entry.as_ref();
        let interval = f64::from(limit.period_seconds) / f64::from(limit.requests);
        let reset_for =
            |remaining: u32| (f64::from(limit.requests - remaining) * interval).ceil() as u64;
        match limiter.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                RateDecision {
                    allowed: true,
                    limit: limit.requests,
                    remaining,
                    reset_seconds: reset_for(remaining),
                    retry_after_seconds: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                RateDecision {
                    allowed: false,
                    limit: limit.requests,
                    remaining: 0,
                    reset_seconds: reset_for(0),
                    retry_after_seconds: Some(wait.as_secs_f64().ceil().max(1.0) as u64),
                }
            }
        }
    }

    fn limiter(&self, key_id: &str, limit: RateLimit) -> Arc<(RateLimit, DirectLimiter)> {
        if let Some(entry) = self.limiters.get(key_id)
            && entry.0 == limit
        {
            return Arc::clone(&entry);
        }
        let requests = NonZeroU32::new(limit.requests).unwrap_or(NonZeroU32::MIN);
        let interval =
            Duration::from_secs_f64(f64::from(limit.period_seconds) / f64::from(limit.requests));
        let quota = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(requests))
            .allow_burst(requests);
        let entry = Arc::new((
            limit,
            RateLimiter::direct_with_clock(quota, self.clock.clone())
                .with_middleware::<StateInformationMiddleware>(),
        ));
        self.limiters.insert(key_id.to_owned(), Arc::clone(&entry));
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_limit_passes_then_the_next_request_waits() {
        let limiter = KeyRateLimiter::default();
        let limit = RateLimit::parse("rateLimit", 3, 60).unwrap();
        let remaining: Vec<u32> = (0..3)
            .map(|_| limiter.check("k", limit))
            .map(|d| {
                assert!(d.allowed);
                d.remaining
            })
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        let refused = limiter.check("k", limit);
        assert!(!refused.allowed);
        assert_eq!(
            refused.retry_after_seconds.map(|s| (19..=20).contains(&s)),
            Some(true)
        );
        assert_eq!(refused.reset_seconds, 60);
        // Another key has its own budget.
        assert!(limiter.check("other", limit).allowed);
    }

    #[test]
    fn a_changed_limit_takes_effect_at_once() {
        let limiter = KeyRateLimiter::default();
        let tight = RateLimit::parse("rateLimit", 1, 3600).unwrap();
        assert!(limiter.check("k", tight).allowed);
        assert!(!limiter.check("k", tight).allowed);
        let loose = RateLimit::parse("rateLimit", 100, 1).unwrap();
        assert!(limiter.check("k", loose).allowed);
    }
}
