//! The in-process cache behind authentication and verification: keys by hash, unknown hashes
//! (so a flood of unknown keys never reaches the database twice), environments and accounts
//! by id, and each environment's opened signing secrets. Bounded, with a TTL backstop; evicted
//! by this replica's own changes before they return, and by other replicas' through PostgreSQL
//! notifications. A fill takes a [`Fill`] before it reads the database, and what it read is
//! installed only if no eviction of it came in between (`fence`), so a read from before a
//! revocation cannot put the key back after the revocation evicted it.

mod bounded;
mod fence;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use keyplane_domain::account::Account;
use keyplane_domain::environment::Environment;
use keyplane_domain::key::ApiKey;
use keyplane_domain::secret::KeyHash;
use keyplane_store::{Change, ChangeEvent};

use bounded::Bounded;
use fence::Fences;
pub use fence::Fill;

/// A signing secret, opened, with when it stops being accepted.
#[derive(Clone)]
pub struct OpenedSecret {
    pub secret: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for OpenedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSecret")
            .field("secret", &"redacted")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub enum CachedKey {
    Found(Arc<ApiKey>),
    /// No key has this hash (as of when it was looked up).
    Missing,
}

#[derive(Debug)]
pub struct KeyCache {
    keys: Bounded<KeyHash, Arc<ApiKey>>,
    /// Hashes no key has, in their own, smaller section: a flood of random well-formed keys
    /// fills this one and never pushes a known key out.
    unknown: Bounded<KeyHash, ()>,
    /// Key id (as its 128 bits) to hash, to evict a key by the id a change names. Holds an
    /// entry exactly while `keys` holds that key.
    hashes: DashMap<u128, KeyHash>,
    environments: Bounded<String, Arc<Environment>>,
    accounts: Bounded<String, Arc<Account>>,
    signing_secrets: Bounded<String, Arc<Vec<OpenedSecret>>>,
    fences: Fences,
    ttl: Duration,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl KeyCache {
    /// Holds at most `capacity` keys, and a tenth as many unknown hashes besides.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            keys: Bounded::new(capacity),
            unknown: Bounded::new(capacity.div_ceil(10)),
            hashes: DashMap::new(),
            environments: Bounded::new(capacity.min(100_000)),
            accounts: Bounded::new(capacity.min(100_000)),
            signing_secrets: Bounded::new(capacity.min(100_000)),
            fences: Fences::new(),
            ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Begins a fill: take it before reading what will be put in the cache.
    pub fn begin_fill(&self) -> Fill {
        self.fences.begin()
    }

    pub fn key(&self, hash: &KeyHash) -> Option<CachedKey> {
        let found = match self.keys.get(hash, self.ttl) {
            Some(key) => Some(CachedKey::Found(key)),
            None => self
                .unknown
                .get(hash, self.ttl)
                .map(|()| CachedKey::Missing),
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Caches what a fill begun at `fill` read for `hash`, unless the key was evicted since.
    pub fn put_key(&self, fill: Fill, hash: KeyHash, key: CachedKey) {
        self.install_key(fill, hash, key, || {});
    }

    /// [`Self::put_key`], running `between` after the first fence check: tests put an eviction
    /// there.
    fn install_key(&self, fill: Fill, hash: KeyHash, key: CachedKey, between: impl FnOnce()) {
        let found = match key {
            CachedKey::Found(key) => Some(key),
            CachedKey::Missing => None,
        };
        // An unknown hash is named by no change; only a clear fences it.
        let admitted = || {
            self.fences
                .admits(fill, found.as_deref().map(|key| key.id.as_str()))
        };
        if !admitted() {
            return;
        }
        between();
        let Some(key) = &found else {
            self.unknown.insert(hash, ());
            if !admitted() {
                self.unknown.map.remove(&hash);
            }
            return;
        };
        self.unknown.map.remove(&hash);
        let id = id_bits(&key.id);
        if let Some(id) = id {
            self.hashes.insert(id, hash);
        }
        if let Some(dropped) = self.keys.insert(hash, Arc::clone(key))
            && let Some(dropped_id) = id_bits(&dropped.id)
        {
            self.hashes
                .remove_if(&dropped_id, |_, indexed| *indexed != hash);
        }
        // An eviction that ran since the first check found nothing to remove: take the entry
        // back out. One that runs after this check finds the entry and removes it itself.
        if !admitted() {
            self.keys.map.remove(&hash);
            if let Some(id) = id {
                self.hashes.remove_if(&id, |_, indexed| *indexed == hash);
            }
        }
    }

    pub fn environment(&self, id: &str) -> Option<Arc<Environment>> {
        self.environments.get(&id.to_owned(), self.ttl)
    }

    pub fn put_environment(&self, fill: Fill, environment: Arc<Environment>) {
        let id = environment.id.clone();
        self.environments
            .insert_fenced(id.clone(), environment, || {
                self.fences.admits(fill, Some(&id))
            });
    }

    pub fn account(&self, id: &str) -> Option<Arc<Account>> {
        self.accounts.get(&id.to_owned(), self.ttl)
    }

    pub fn put_account(&self, fill: Fill, account: Arc<Account>) {
        let id = account.id.clone();
        self.accounts
            .insert_fenced(id.clone(), account, || self.fences.admits(fill, Some(&id)));
    }

    pub fn signing_secrets(&self, environment_id: &str) -> Option<Arc<Vec<OpenedSecret>>> {
        self.signing_secrets
            .get(&environment_id.to_owned(), self.ttl)
    }

    pub fn put_signing_secrets(
        &self,
        fill: Fill,
        environment_id: &str,
        secrets: Arc<Vec<OpenedSecret>>,
    ) {
        self.signing_secrets
            .insert_fenced(environment_id.to_owned(), secrets, || {
                self.fences.admits(fill, Some(environment_id))
            });
    }

    /// Forgets what a change made stale. The fence is stamped first, so a fill that read
    /// before the change either sees the stamp or installs before the removal below.
    pub fn evict(&self, change: &Change) {
        match change {
            Change::Key(id) => {
                self.fences.evicting(id);
                if let Some((_, hash)) = id_bits(id).and_then(|id| self.hashes.remove(&id)) {
                    self.keys.map.remove(&hash);
                }
            }
            Change::Environment(id) => {
                self.fences.evicting(id);
                self.environments.map.remove(id);
                self.signing_secrets.map.remove(id);
            }
            Change::Account(id) => {
                self.fences.evicting(id);
                self.accounts.map.remove(id);
            }
            // Nothing cached reads events.
            Change::Events(_) => {}
        }
    }

    /// Forgets everything: after notifications may have been missed.
    pub fn clear(&self) {
        self.fences.clearing();
        self.keys.map.clear();
        self.unknown.map.clear();
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
        self.keys.map.len() + self.unknown.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Key ids are UUIDs: index them by their 16 bytes, not a 36-character string.
fn id_bits(id: &str) -> Option<u128> {
    uuid::Uuid::parse_str(id).ok().map(|id| id.as_u128())
}

#[cfg(test)]
mod tests;
