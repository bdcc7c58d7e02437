//! One bounded map with a TTL, the shape of each section of the key cache.

use std::time::{Duration, Instant};

use dashmap::DashMap;

#[derive(Debug)]
pub(super) struct Entry<T> {
    value: T,
    /// When it was fetched, in nanoseconds after the map was made: 8 bytes where an
    /// `Instant` takes 16, which matters a million times over.
    fetched: u64,
}

/// One bounded map with a TTL.
#[derive(Debug)]
pub(super) struct Bounded<K: std::hash::Hash + Eq, V> {
    pub(super) map: DashMap<K, Entry<V>>,
    capacity: usize,
    epoch: Instant,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Bounded<K, V> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            map: DashMap::new(),
            capacity,
            epoch: Instant::now(),
        }
    }

    pub(super) fn get(&self, key: &K, ttl: Duration) -> Option<V> {
        let entry = self.map.get(key)?;
        let age = self.now().saturating_sub(entry.fetched);
        (u128::from(age) < ttl.as_nanos()).then(|| entry.value.clone())
    }

    /// Nanoseconds since the map was made (584 years fit in a `u64`).
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Inserts, and returns the value dropped to stay within the capacity, if any.
    pub(super) fn insert(&self, key: K, value: V) -> Option<V> {
        let mut dropped = None;
        if self.map.len() >= self.capacity && !self.map.contains_key(&key) {
            // At capacity: drop an arbitrary entry. The TTL and eviction keep the working set
            // fresh; this only bounds memory. The victim is chosen in its own statement so the
            // iterator's shard lock is released before `remove` takes it again.
            let victim = self.map.iter().next().map(|e| e.key().clone());
            if let Some(victim) = victim {
                dropped = self.map.remove(&victim).map(|(_, entry)| entry.value);
            }
        }
        self.map.insert(
            key,
            Entry {
                value,
                fetched: self.now(),
            },
        );
        dropped
    }

    /// Inserts what a fill read if `admitted` holds, before and after: an eviction that ran
    /// between the first check and the insert found nothing to remove, so the second check
    /// takes the entry back out.
    pub(super) fn insert_fenced(&self, key: K, value: V, admitted: impl Fn() -> bool) {
        if !admitted() {
            return;
        }
        self.insert(key.clone(), value);
        if !admitted() {
            self.map.remove(&key);
        }
    }
}
