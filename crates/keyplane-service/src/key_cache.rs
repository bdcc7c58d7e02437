//! The in-process cache behind authentication and verification: keys by hash (with negative
//! entries, so a flood of unknown keys never reaches the database), environments and accounts
//! by id, and each environment's opened signing secrets. Bounded, with a TTL backstop; evicted
//! by this replica's own changes before they return, and by other replicas' through PostgreSQL
//! notifications.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use keyplane_domain::account::Account;
use keyplane_domain::environment::Environment;
use keyplane_domain::key::ApiKey;
use keyplane_domain::secret::KeyHash;
use keyplane_store::{Change, ChangeEvent};

/// A signing secret, opened, with when it stops being accepted.
#[derive(Debug, Clone)]
pub struct OpenedSecret {
    pub secret: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub enum CachedKey {
    Found(Arc<ApiKey>),
    /// No key has this hash (as of when it was looked up).
    Missing,
}

#[derive(Debug)]
struct Entry<T> {
    value: T,
    /// When it was fetched, in nanoseconds after the map was made: 8 bytes where an
    /// `Instant` takes 16, which matters a million times over.
    fetched: u64,
}

/// One bounded map with a TTL.
#[derive(Debug)]
struct Bounded<K: std::hash::Hash + Eq, V> {
    map: DashMap<K, Entry<V>>,
    capacity: usize,
    epoch: Instant,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            map: DashMap::new(),
            capacity,
            epoch: Instant::now(),
        }
    }

    fn get(&self, key: &K, ttl: Duration) -> Option<V> {
        let entry = self.map.get(key)?;
        let age = self.now().saturating_sub(entry.fetched);
        (u128::from(age) < ttl.as_nanos()).then(|| entry.value.clone())
    }

    /// Nanoseconds since the map was made (584 years fit in a `u64`).
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Inserts, and returns the value dropped to stay within the capacity, if any.
    fn insert(&self, key: K, value: V) -> Option<V> {
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
}

#[derive(Debug)]
pub struct KeyCache {
    keys: Bounded<KeyHash, CachedKey>,
    /// Key id (as its 128 bits) to hash, to evict a key by the id a change names. Holds an
    /// entry exactly while `keys` holds that key.
    hashes: DashMap<u128, KeyHash>,
    environments: Bounded<String, Arc<Environment>>,
    accounts: Bounded<String, Arc<Account>>,
    signing_secrets: Bounded<String, Arc<Vec<OpenedSecret>>>,
    ttl: Duration,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl KeyCache {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            keys: Bounded::new(capacity),
            hashes: DashMap::new(),
            environments: Bounded::new(capacity.min(100_000)),
            accounts: Bounded::new(capacity.min(100_000)),
            signing_secrets: Bounded::new(capacity.min(100_000)),
            ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn key(&self, hash: &KeyHash) -> Option<CachedKey> {
        let found = self.keys.get(hash, self.ttl);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn put_key(&self, hash: KeyHash, key: CachedKey) {
        if let CachedKey::Found(key) = &key
            && let Some(id) = id_bits(&key.id)
        {
            self.hashes.insert(id, hash);
        }
        if let Some(CachedKey::Found(dropped)) = self.keys.insert(hash, key)
            && let Some(id) = id_bits(&dropped.id)
        {
            self.hashes.remove_if(&id, |_, indexed| *indexed != hash);
        }
    }

    pub fn environment(&self, id: &str) -> Option<Arc<Environment>> {
        self.environments.get(&id.to_owned(), self.ttl)
    }

    pub fn put_environment(&self, environment: Arc<Environment>) {
        self.environments
            .insert(environment.id.clone(), environment);
    }

    pub fn account(&self, id: &str) -> Option<Arc<Account>> {
        self.accounts.get(&id.to_owned(), self.ttl)
    }

    pub fn put_account(&self, account: Arc<Account>) {
        self.accounts.insert(account.id.clone(), account);
    }

    pub fn signing_secrets(&self, environment_id: &str) -> Option<Arc<Vec<OpenedSecret>>> {
        self.signing_secrets
            .get(&environment_id.to_owned(), self.ttl)
    }

    pub fn put_signing_secrets(&self, environment_id: &str, secrets: Arc<Vec<OpenedSecret>>) {
        self.signing_secrets
            .insert(environment_id.to_owned(), secrets);
    }

    /// Forgets what a change made stale.
    pub fn evict(&self, change: &Change) {
        match change {
            Change::Key(id) => {
                if let Some((_, hash)) = id_bits(id).and_then(|id| self.hashes.remove(&id)) {
                    self.keys.map.remove(&hash);
                }
            }
            Change::Environment(id) => {
                self.environments.map.remove(id);
                self.signing_secrets.map.remove(id);
            }
            Change::Account(id) => {
                self.accounts.map.remove(id);
            }
            // Nothing cached reads events.
            Change::Events(_) => {}
        }
    }

    /// Forgets everything: after notifications may have been missed.
    pub fn clear(&self) {
        self.keys.map.clear();
        self.hashes.clear();
        self.environments.map.clear();
        self.accounts.map.clear();
        self.signing_secrets.map.clear();
    }

    pub fn apply(&self, event: &ChangeEvent) {
        match event {
            ChangeEvent::Changed(change) => self.evict(change),
            ChangeEvent::Reconnected => self.clear(),
        }
    }

    /// Keys and unknown hashes cached.
    pub fn len(&self) -> usize {
        self.keys.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.map.is_empty()
    }
}

/// Key ids are UUIDs: index them by their 16 bytes, not a 36-character string.
fn id_bits(id: &str) -> Option<u128> {
    uuid::Uuid::parse_str(id).ok().map(|id| id.as_u128())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyplane_domain::secret::{KeyHasher, KeyPrefix, KeySecret};

    fn hash() -> KeyHash {
        KeyHasher::new(None).hash(&KeySecret::generate(KeyPrefix::Server, &mut rand::rng()))
    }

    #[test]
    fn entries_expire_after_the_ttl_and_capacity_is_bounded() {
        let cache = KeyCache::new(2, Duration::from_millis(30));
        let (a, b, c) = (hash(), hash(), hash());
        cache.put_key(a, CachedKey::Missing);
        assert!(matches!(cache.key(&a), Some(CachedKey::Missing)));
        cache.put_key(b, CachedKey::Missing);
        cache.put_key(c, CachedKey::Missing);
        assert_eq!(cache.len(), 2, "never more than the capacity");
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.key(&c).is_none(), "expired");
    }

    fn found(id: u128) -> CachedKey {
        let key = ApiKey {
            id: uuid::Uuid::from_u128(id).to_string(),
            environment_id: "01a20201-4ac2-7475-a56c-427daeac8e37".into(),
            key_type: keyplane_domain::key::ApiKeyType::Scoped,
            name: "service key".into(),
            description: None,
            scopes: keyplane_domain::scope::ScopeSet::from_requested(&["coupons:read"]).unwrap(),
            masked_key: "server-••••Ab12".into(),
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
            created_at: Utc::now(),
            created_by: keyplane_domain::audit::Actor::system(),
            rotated_from_id: None,
            replaced_by_id: None,
            customer_ids: None,
            rate_limit: None,
            integration_id: None,
            recoverable: false,
            metadata: None,
            external_id: None,
            disabled: None,
            allowed_ips: None,
            quota: None,
        };
        CachedKey::Found(Arc::new(key))
    }

    #[test]
    fn the_id_index_follows_the_cached_keys() {
        let cache = KeyCache::new(2, Duration::from_secs(60));
        let (a, b, c) = (hash(), hash(), hash());
        cache.put_key(a, found(1));
        cache.put_key(b, found(2));
        cache.put_key(c, found(3));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.hashes.len(), 2, "the dropped key's id is dropped too");
        cache.put_key(c, found(3));
        assert_eq!(cache.hashes.len(), 2, "re-caching a key keeps its id");
        cache.evict(&Change::Key(uuid::Uuid::from_u128(3).to_string()));
        assert!(cache.key(&c).is_none(), "evicted by id");
        assert_eq!(cache.hashes.len(), 1);
    }
}
