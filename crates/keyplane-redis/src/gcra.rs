//! A key's rate limit as a GCRA in Redis. The state is one integer per key and limit: the
//! theoretical arrival time (TAT) in microseconds of Redis's clock. A request fits while the
//! TAT is at most one period ahead of now; each request granted moves it on by one interval.
//!
//! One script grants up to a wanted number of requests at once (1 for an exact decision, a
//! lease's worth in leased mode), another takes back what a lease did not spend. Each runs
//! atomically in Redis, so any number of replicas share one budget.

use std::sync::LazyLock;

use keyplane_domain::rate_limit::RateLimit;
use redis::Script;

use crate::{Redis, RedisError};

/// Grants `min(wanted, available)` requests. KEYS[1]: the state. ARGV: interval (µs), burst
/// (the limit's requests), wanted. Answers granted, remaining after them, µs until one more
/// would fit (when none was granted), µs until the whole burst is back.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local window = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local available = math.floor((now + window - tat) / interval)
if available > burst then available = burst end
local granted = math.min(wanted, available)
if granted <= 0 then
  return {0, 0, tat + interval - window - now, tat - now}
end
tat = tat + granted * interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {granted, available - granted, 0, tat - now}
",
    )
});

/// Takes back `ARGV[2]` unspent requests (`ARGV[1]`: interval in µs), never moving the TAT
/// before now: a refund cannot create budget the period did not have.
static GIVE_BACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
tat = tat - tonumber(ARGV[1]) * tonumber(ARGV[2])
if tat <= now then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return 1
",
    )
});

/// What Redis granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Requests granted, 0 to the number wanted.
    pub granted: u32,
    /// Requests left in the shared budget after this grant.
    pub remaining: u32,
    /// When nothing was granted: microseconds until one request would fit.
    pub retry_after_micros: u64,
    /// Microseconds until the whole burst is available again.
    pub reset_micros: u64,
}

/// Where a key's state lives. The limit is part of the name, so a changed limit starts afresh
/// at once, and the key id is the hash tag, so a cluster keeps it on one shard.
fn state_key(key_id: &str, limit: RateLimit) -> String {
    format!(
        "keyplane:rate:{{{key_id}}}:{}:{}",
        limit.requests, limit.period_seconds
    )
}

impl Redis {
    /// Grants up to `wanted` requests of `key_id` under `limit`, atomically for every replica.
    pub async fn take(
        &self,
        key_id: &str,
        limit: RateLimit,
        wanted: u32,
    ) -> Result<Grant, RedisError> {
        let mut connection = self.connection.clone();
        let mut invocation = TAKE.key(state_key(key_id, limit));
        invocation
            .arg(limit.interval_micros())
            .arg(limit.requests)
            .arg(wanted.max(1));
        let answer: Vec<i64> = self
            .call(async move { invocation.invoke_async(&mut connection).await })
            .await?;
        let [granted, remaining, retry_after, reset] = answer[..] else {
            return Err(RedisError::Unexpected("the rate-limit script's answer"));
        };
        let clamp = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        Ok(Grant {
            granted: clamp(granted),
            remaining: clamp(remaining),
            retry_after_micros: retry_after.max(0) as u64,
            reset_micros: reset.max(0) as u64,
        })
    }

    /// Returns `unspent` requests of a lease to `key_id`'s budget under `limit`.
    pub async fn give_back(
        &self,
        key_id: &str,
        limit: RateLimit,
        unspent: u32,
    ) -> Result<(), RedisError> {
        if unspent == 0 {
            return Ok(());
        }
        let mut connection = self.connection.clone();
        let mut invocation = GIVE_BACK.key(state_key(key_id, limit));
        invocation.arg(limit.interval_micros()).arg(unspent);
        let _: i64 = self
            .call(async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The machine's Redis, or `None` (with the reason printed) when it does not answer
    /// outside CI. In CI a missing Redis fails the test.
    async fn redis() -> Option<Redis> {
        let url =
            std::env::var("KEYPLANE_TEST_REDIS_URL").unwrap_or("redis://127.0.0.1:6379".into());
        let redis = Redis::open(&url, Duration::from_secs(2)).expect("a valid URL");
        match redis.ping().await {
            Ok(()) => Some(redis),
            Err(err) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: Redis at {url} does not answer ({err})");
                None
            }
            Err(err) => panic!("Redis at {url} does not answer, and CI needs it: {err}"),
        }
    }

    fn limit(requests: i64, period: i64) -> RateLimit {
        RateLimit::parse("rateLimit", requests, period).unwrap()
    }

    fn fresh_key() -> String {
        uuid::Uuid::now_v7().to_string()
    }

    #[tokio::test]
    async fn a_burst_of_the_limit_is_granted_then_nothing_until_the_interval_passes() {
        let Some(redis) = redis().await else { return };
        let (key, limit) = (fresh_key(), limit(3, 60));
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let grant = redis.take(&key, limit, 1).await.unwrap();
            assert_eq!(grant.granted, 1);
            remaining.push(grant.remaining);
        }
        assert_eq!(remaining, [2, 1, 0]);
        let refused = redis.take(&key, limit, 1).await.unwrap();
        assert_eq!(refused.granted, 0);
        // One request comes back every 20 s.
        assert!((19_000_000..=20_000_000).contains(&refused.retry_after_micros));
        assert!((59_000_000..=60_000_000).contains(&refused.reset_micros));
        // Another key, or another limit of the same key, has its own budget.
        assert_eq!(redis.take(&fresh_key(), limit, 1).await.unwrap().granted, 1);
        assert_eq!(
            redis
                .take(&key, self::limit(4, 60), 1)
                .await
                .unwrap()
                .granted,
            1
        );
    }

    #[tokio::test]
    async fn a_lease_gets_what_is_left_and_gives_back_what_it_did_not_spend() {
        let Some(redis) = redis().await else { return };
        let (key, limit) = (fresh_key(), limit(10, 3600));
        let first = redis.take(&key, limit, 8).await.unwrap();
        assert_eq!((first.granted, first.remaining), (8, 2));
        let second = redis.take(&key, limit, 8).await.unwrap();
        assert_eq!((second.granted, second.remaining), (2, 0));
        redis.give_back(&key, limit, 5).await.unwrap();
        let third = redis.take(&key, limit, 8).await.unwrap();
        assert_eq!((third.granted, third.remaining), (5, 0));
        // Giving back more than was taken restores the full burst, never more.
        redis.give_back(&key, limit, 1_000).await.unwrap();
        let fourth = redis.take(&key, limit, 100).await.unwrap();
        assert_eq!(fourth.granted, 10);
    }

    #[tokio::test]
    async fn concurrent_takes_never_grant_more_than_the_burst() {
        let Some(redis) = redis().await else { return };
        let (key, limit) = (fresh_key(), limit(50, 3600));
        let takes = (0..200).map(|_| {
            let (redis, key) = (redis.clone(), key.clone());
            tokio::spawn(async move { redis.take(&key, limit, 1).await.unwrap().granted })
        });
        let mut granted = 0;
        for take in takes {
            granted += take.await.unwrap();
        }
        assert_eq!(granted, 50);
    }

    #[tokio::test]
    async fn a_closed_port_is_an_error_within_the_timeout() {
        let redis = Redis::open("redis://127.0.0.1:1", Duration::from_millis(200)).unwrap();
        let started = std::time::Instant::now();
        assert!(redis.take("k", limit(1, 1), 1).await.is_err());
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(Redis::open("http://nope", Duration::from_secs(1)).is_err());
    }
}
