//! Per-key rate limits. Without Redis each replica decides them itself ([`KeyRateLimiter`]),
//! which is exact for one replica. With Redis every replica spends one shared budget per key
//! ([`shared`]), exactly or through leases, and falls back to its own limiter while Redis does
//! not answer, so Redis being down refuses nothing the replica alone would allow.

mod local;
pub mod shared;

use keyplane_domain::rate_limit::RateLimit;
use keyplane_redis::Redis;

pub use local::KeyRateLimiter;
use shared::SharedLimits;

/// The outcome of one check, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the key could spend its whole limit again.
    pub reset_seconds: u64,
    /// Seconds until the next request would be allowed, when this one was not.
    pub retry_after_seconds: Option<u64>,
}

/// Where rate limits are decided: in this process, or in Redis with this process as fallback.
#[derive(Debug, Default)]
pub struct RateLimiter {
    local: KeyRateLimiter,
    shared: Option<SharedLimits>,
}

impl RateLimiter {
    /// Limits shared through `redis` when given, else decided in this process.
    pub fn new(redis: Option<Redis>) -> Self {
        Self {
            local: KeyRateLimiter::default(),
            shared: redis.map(SharedLimits::new),
        }
    }

    /// Spends one request of `key_id` under `limit`.
    pub async fn check(&self, key_id: &str, limit: RateLimit) -> RateDecision {
        if let Some(shared) = &self.shared
            && let Some(decision) = shared.check(key_id, limit).await
        {
            return decision;
        }
        self.local.check(key_id, limit)
    }

    /// The shared limits, when Redis is configured.
    pub fn shared(&self) -> Option<&SharedLimits> {
        self.shared.as_ref()
    }
}
