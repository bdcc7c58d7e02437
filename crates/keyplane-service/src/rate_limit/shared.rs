//! Rate limits shared by every replica through Redis.
//!
//! - `EXACT`: each decision is one atomic GCRA step in Redis.
//! - `LEASED`: a replica takes [`RateLimit::lease_size`] requests at once and spends them
//!   locally, so most decisions need no round trip; what an idle replica has not spent goes
//!   back after [`IDLE_LEASE`]. A refusal is remembered for as long (or until the next request
//!   would fit, if sooner), so a key over its limit costs Redis nothing either.
//!
//! When Redis fails or times out, the decision is made by the replica's own limiter instead
//! (counted in [`SharedLimits::fallbacks`], logged once per outage); one request a second
//! tries Redis again, and the first answer ends the fallback.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use keyplane_domain::rate_limit::{RateLimit, RateLimitMode};
use keyplane_redis::{Grant, Redis, RedisError};

use super::RateDecision;

/// How long a lease may sit unspent before its requests go back to the shared budget.
pub const IDLE_LEASE: Duration = Duration::from_millis(250);
/// How long a key's lease entry is kept after its last use.
const FORGET_LEASE: Duration = Duration::from_secs(60);
/// How often a replica in fallback tries Redis again.
const RETRY_REDIS: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct SharedLimits {
    redis: Redis,
    leases: DashMap<String, Arc<LeaseSlot>>,
    health: Health,
}

/// One key's lease on this replica, and the turn to renew it.
#[derive(Debug)]
struct LeaseSlot {
    lease: Mutex<Lease>,
    leasing: tokio::sync::Mutex<()>,
}

impl LeaseSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Lease> {
        self.lease.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Spends one leased request, if the lease holds one for `limit`, or refuses while a
    /// recent refusal stands.
    fn spend(&self, limit: RateLimit) -> Option<RateDecision> {
        let mut lease = self.lock();
        if lease.limit != limit {
            return None;
        }
        let reset_seconds = lease.reset_micros.div_ceil(1_000_000);
        if lease.units == 0 {
            let refused = lease
                .refused_until
                .is_some_and(|until| Instant::now() < until);
            return refused.then(|| RateDecision {
                allowed: false,
                limit: limit.requests,
                remaining: 0,
                reset_seconds,
                retry_after_seconds: Some(lease.retry_after_seconds),
            });
        }
        lease.units -= 1;
        lease.last_used = Instant::now();
        Some(RateDecision {
            allowed: true,
            limit: limit.requests,
            remaining: lease.shared_remaining + lease.units,
            reset_seconds,
            retry_after_seconds: None,
        })
    }
}

/// Requests a replica holds of one key's budget.
#[derive(Debug)]
struct Lease {
    limit: RateLimit,
    units: u32,
    /// What Redis said was left beyond the lease when it was granted.
    shared_remaining: u32,
    reset_micros: u64,
    last_used: Instant,
    /// Redis had nothing to lease: refuse locally until then.
    refused_until: Option<Instant>,
    retry_after_seconds: u64,
}

impl SharedLimits {
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            leases: DashMap::new(),
            health: Health::new(),
        }
    }

    pub fn redis(&self) -> &Redis {
        &self.redis
    }

    /// Decisions made by the replica's own limiter because Redis did not answer.
    pub fn fallbacks(&self) -> u64 {
        self.health.fallbacks.load(Relaxed)
    }

    /// Whether the last call to Redis succeeded.
    pub fn redis_up(&self) -> bool {
        self.health.up.load(Relaxed)
    }

    /// Spends one request of `key_id` in the shared budget; `None` when Redis cannot decide
    /// and the caller must.
    pub(super) async fn check(&self, key_id: &str, limit: RateLimit) -> Option<RateDecision> {
        match limit.mode {
            RateLimitMode::Exact => {
                let grant = self.take(key_id, limit, 1).await?;
                Some(decision(limit, grant, grant.remaining))
            }
            RateLimitMode::Leased => self.check_leased(key_id, limit).await,
        }
    }

    /// Asks Redis for up to `wanted` requests, unless it is known to be down.
    async fn take(&self, key_id: &str, limit: RateLimit, wanted: u32) -> Option<Grant> {
        if !self.health.should_try() {
            self.health.fallbacks.fetch_add(1, Relaxed);
            return None;
        }
        match self.redis.take(key_id, limit, wanted).await {
            Ok(grant) => {
                self.health.answered();
                Some(grant)
            }
            Err(err) => {
                self.health.failed(&err);
                None
            }
        }
    }

    /// Spends from this replica's lease, leasing anew when it is empty. One request per key
    /// leases at a time; the others wait for it and spend from what it got, so a replica never
    /// holds more than one lease of a key.
    async fn check_leased(&self, key_id: &str, limit: RateLimit) -> Option<RateDecision> {
        let slot = self.slot(key_id, limit);
        if let Some(decision) = slot.spend(limit) {
            return Some(decision);
        }
        let _leasing = slot.leasing.lock().await;
        if let Some(decision) = slot.spend(limit) {
            return Some(decision);
        }
        let grant = self.take(key_id, limit, limit.lease_size()).await?;
        let mut lease = slot.lock();
        if lease.limit != limit {
            // The key's limit changed: what is left of the old one goes back.
            self.give_back_later(key_id, lease.limit, std::mem::take(&mut lease.units));
            lease.limit = limit;
        }
        let now = Instant::now();
        let answer = decision(limit, grant, grant.remaining + lease.units);
        if grant.granted == 0 {
            let wait = Duration::from_micros(grant.retry_after_micros).min(IDLE_LEASE);
            lease.refused_until = Some(now + wait);
            lease.retry_after_seconds = answer.retry_after_seconds.unwrap_or(1);
        } else {
            lease.units += grant.granted - 1;
            lease.refused_until = None;
            lease.last_used = now;
        }
        lease.shared_remaining = grant.remaining;
        lease.reset_micros = grant.reset_micros;
        Some(RateDecision {
            remaining: lease.shared_remaining + lease.units,
            ..answer
        })
    }

    fn slot(&self, key_id: &str, limit: RateLimit) -> Arc<LeaseSlot> {
        if let Some(slot) = self.leases.get(key_id) {
            return Arc::clone(&slot);
        }
        let slot = self.leases.entry(key_id.to_owned()).or_insert_with(|| {
            Arc::new(LeaseSlot {
                lease: Mutex::new(Lease {
                    limit,
                    units: 0,
                    shared_remaining: 0,
                    reset_micros: 0,
                    last_used: Instant::now(),
                    refused_until: None,
                    retry_after_seconds: 0,
                }),
                leasing: tokio::sync::Mutex::new(()),
            })
        });
        Arc::clone(slot.value())
    }

    fn give_back_later(&self, key_id: &str, limit: RateLimit, units: u32) {
        if units == 0 {
            return;
        }
        let (redis, key_id) = (self.redis.clone(), key_id.to_owned());
        tokio::spawn(async move {
            if let Err(err) = redis.give_back(&key_id, limit, units).await {
                tracing::debug!(error = %err, "could not return a rate-limit lease");
            }
        });
    }

    /// Returns the leases idle for at least `idle` (all of them with `Duration::ZERO`), and
    /// forgets keys unused for a minute.
    pub async fn return_idle_leases(&self, idle: Duration) {
        let mut unspent = Vec::new();
        self.leases.retain(|key_id, slot| {
            let mut lease = slot.lock();
            let unused_for = lease.last_used.elapsed();
            if lease.units > 0 && unused_for >= idle {
                unspent.push((
                    key_id.clone(),
                    lease.limit,
                    std::mem::take(&mut lease.units),
                ));
            }
            unused_for < FORGET_LEASE
        });
        for (key_id, limit, units) in unspent {
            if let Err(err) = self.redis.give_back(&key_id, limit, units).await {
                // Lost units only make the limit stricter until the period passes.
                tracing::debug!(error = %err, "could not return a rate-limit lease");
            }
        }
    }
}

fn decision(limit: RateLimit, grant: Grant, remaining: u32) -> RateDecision {
    let allowed = grant.granted > 0;
    RateDecision {
        allowed,
        limit: limit.requests,
        remaining,
        reset_seconds: grant.reset_micros.div_ceil(1_000_000),
        retry_after_seconds: (!allowed)
            .then(|| grant.retry_after_micros.div_ceil(1_000_000).max(1)),
    }
}

/// Whether Redis is answering, and when to try it again when not.
#[derive(Debug)]
struct Health {
    up: AtomicBool,
    epoch: Instant,
    /// Milliseconds after `epoch` from which the next request may try Redis.
    retry_at: AtomicU64,
    fallbacks: AtomicU64,
}

impl Health {
    fn new() -> Self {
        Self {
            up: AtomicBool::new(true),
            epoch: Instant::now(),
            retry_at: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
        }
    }

    fn now_millis(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether this request should ask Redis: always while it answers; during an outage, one
    /// request per [`RETRY_REDIS`].
    fn should_try(&self) -> bool {
        if self.up.load(Relaxed) {
            return true;
        }
        let now = self.now_millis();
        let due = self.retry_at.load(Relaxed);
        now >= due
            && self
                .retry_at
                .compare_exchange(due, now + RETRY_REDIS.as_millis() as u64, Relaxed, Relaxed)
                .is_ok()
    }

    fn failed(&self, err: &RedisError) {
        self.fallbacks.fetch_add(1, Relaxed);
        self.retry_at
            .store(self.now_millis() + RETRY_REDIS.as_millis() as u64, Relaxed);
        if self.up.swap(false, Relaxed) {
            tracing::warn!(
                error = %err,
                "Redis did not answer: each replica decides rate limits alone until it does"
            );
        }
    }

    fn answered(&self) {
        if !self.up.swap(true, Relaxed) {
            tracing::info!("Redis answers again: rate limits are shared once more");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_an_answer_the_caller_decides_and_redis_is_tried_once_a_second() {
        let redis = Redis::open("redis://127.0.0.1:1", Duration::from_millis(100)).unwrap();
        let shared = SharedLimits::new(redis);
        let limit = RateLimit::parse("rateLimit", 5, 60).unwrap();
        assert_eq!(shared.check("k", limit).await, None);
        assert!(!shared.redis_up());
        assert_eq!(shared.fallbacks(), 1);
        // Within the second, nothing waits on Redis: the next decisions fall back at once.
        let started = Instant::now();
        for _ in 0..100 {
            let leased = limit.with_mode(RateLimitMode::Leased);
            assert_eq!(shared.check("k", leased).await, None);
        }
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(shared.fallbacks(), 101);
    }
}
