//! Verifications counted in memory between flushes: per environment, verified key, minute,
//! permission asked and outcome. Counting is a short lock on one of a few shards and a hash of
//! plain integers: no allocation, no database, nothing queued per verification.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use chrono::{DateTime, TimeZone, Utc};
use keyplane_domain::scope::Scope;
use keyplane_domain::verification::VerificationCode;
use keyplane_store::UsageIncrement;
use uuid::Uuid;

/// Independent locks, so verifications on several cores rarely wait for each other.
const SHARDS: usize = 16;

/// One counter. Ids are UUIDs, kept as their 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CounterKey {
    environment: u128,
    /// `None` when the verified key was not found in the environment.
    key: Option<u128>,
    /// Minutes since the Unix epoch.
    minute: i64,
    permission: Option<Scope>,
    outcome: VerificationCode,
}

#[derive(Debug)]
pub struct UsageCounters {
    shards: [Mutex<HashMap<CounterKey, u64>>; SHARDS],
    hasher: RandomState,
}

impl Default for UsageCounters {
    fn default() -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
            hasher: RandomState::new(),
        }
    }
}

impl UsageCounters {
    /// Counts one verification answered at `at`.
    pub fn count(
        &self,
        environment_id: &str,
        key_id: Option<&str>,
        permission: Option<Scope>,
        outcome: VerificationCode,
        at: DateTime<Utc>,
    ) {
        let (Ok(environment), Ok(key)) = (
            Uuid::parse_str(environment_id),
            key_id.map(Uuid::parse_str).transpose(),
        ) else {
            // Keyplane makes every id a UUID; anything else is a bug, not a reason to fail.
            tracing::warn!("a verification with a non-UUID id was not counted");
            return;
        };
        let counter = CounterKey {
            environment: environment.as_u128(),
            key: key.map(|k| k.as_u128()),
            minute: at.timestamp().div_euclid(60),
            permission,
            outcome,
        };
        self.add(counter, 1);
    }

    fn add(&self, counter: CounterKey, count: u64) {
        let shard = &self.shards[(self.hasher.hash_one(counter) as usize) % SHARDS];
        // A poisoned shard still holds valid counts: a panic cannot leave a u64 half-written.
        let mut counters = shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counters.entry(counter).or_default() += count;
    }

    /// Takes every count so far, leaving the counters empty.
    pub fn drain(&self) -> Drained {
        let mut counts = Vec::new();
        for shard in &self.shards {
            let mut counters = shard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            counts.extend(std::mem::take(&mut *counters));
        }
        Drained(counts)
    }

    /// Puts back counts a flush could not write, so the next flush writes them.
    pub fn restore(&self, drained: Drained) {
        for (counter, count) in drained.0 {
            self.add(counter, count);
        }
    }
}

/// Counts taken out of the counters, to write or to put back.
#[derive(Debug, Default)]
pub struct Drained(Vec<(CounterKey, u64)>);

impl Drained {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The counts as the store writes them.
    pub fn increments(&self) -> Vec<UsageIncrement> {
        self.0
            .iter()
            .map(|(counter, count)| UsageIncrement {
                environment_id: Uuid::from_u128(counter.environment).to_string(),
                api_key_id: counter.key.map(|k| Uuid::from_u128(k).to_string()),
                minute: Utc
                    .timestamp_opt(counter.minute * 60, 0)
                    .single()
                    .unwrap_or_default(),
                permission: counter.permission.map(|p| p.to_string()),
                outcome: counter.outcome.as_str(),
                count: *count,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "01937a3e-0000-7000-8000-000000000001";
    const KEY: &str = "01937a3e-0000-7000-8000-0000000000aa";

    #[test]
    fn counts_group_by_minute_key_permission_and_outcome() {
        let counters = UsageCounters::default();
        let at: DateTime<Utc> = "2026-11-22T10:15:30Z".parse().unwrap();
        let read = Some(Scope::API_KEYS_READ);
        for _ in 0..3 {
            counters.count(ENV, Some(KEY), read, VerificationCode::Valid, at);
        }
        counters.count(
            ENV,
            Some(KEY),
            read,
            VerificationCode::Valid,
            at + chrono::Duration::seconds(29),
        );
        counters.count(
            ENV,
            Some(KEY),
            read,
            VerificationCode::Valid,
            at + chrono::Duration::seconds(30),
        );
        counters.count(ENV, None, None, VerificationCode::NotFound, at);
        let taken = counters.drain();
        let mut drained = taken.increments();
        drained.sort();
        assert_eq!(drained.len(), 3);
        let minute: DateTime<Utc> = "2026-11-22T10:15:00Z".parse().unwrap();
        let valid = drained
            .iter()
            .find(|i| i.outcome == "VALID" && i.minute == minute)
            .unwrap();
        assert_eq!(valid.count, 4);
        assert_eq!(valid.api_key_id.as_deref(), Some(KEY));
        assert_eq!(valid.permission.as_deref(), Some("api_keys:read"));
        let not_found = drained.iter().find(|i| i.outcome == "NOT_FOUND").unwrap();
        assert_eq!(
            (not_found.api_key_id.as_deref(), not_found.count),
            (None, 1)
        );
        assert!(counters.drain().is_empty(), "a drain empties the counters");

        counters.restore(taken);
        let mut again = counters.drain().increments();
        again.sort();
        assert_eq!(again, drained, "restored counts come back whole");
    }
}
