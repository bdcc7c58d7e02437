//! The layer's optional cache of passing answers: off unless asked for, bounded in entries and
//! to a few seconds, keyed by a salted SHA-256 of the key with the permission and address, so
//! no key is held in clear.
//!
//! The trade-off: a key revoked, disabled or re-scoped in Keyplane still passes, from this
//! process, until its cached answer expires (at most the TTL). Only passing answers of keys
//! under no rate limit and no quota are kept: a cached pass spends nothing, so a key Keyplane
//! counts is asked about every time, and every refusal is asked again.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::verify::VerifyAnswer;

/// The longest a cached answer may be trusted.
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(5);
/// The most answers a cache may hold.
pub const MAX_CACHE_ENTRIES: u64 = 1_000_000;

/// How many passing answers to keep, and for how long (1 ms to [`MAX_CACHE_TTL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    pub max_entries: u64,
    pub ttl: Duration,
}

/// Settings refused at construction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheSettingsError {
    #[error("the cache TTL must be from 1 ms to {} s: a revoked key passes for up to the TTL", MAX_CACHE_TTL.as_secs())]
    Ttl,
    #[error("the cache holds 1 to {MAX_CACHE_ENTRIES} answers")]
    Entries,
}

pub(crate) struct AnswerCache {
    entries: moka::sync::Cache<[u8; 32], Arc<VerifyAnswer>>,
    /// Random per cache: the digests mean nothing outside this process.
    salt: [u8; 32],
}

impl fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnswerCache")
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

impl AnswerCache {
    pub fn new(settings: CacheSettings) -> Result<Self, CacheSettingsError> {
        if settings.ttl < Duration::from_millis(1) || settings.ttl > MAX_CACHE_TTL {
            return Err(CacheSettingsError::Ttl);
        }
        if settings.max_entries == 0 || settings.max_entries > MAX_CACHE_ENTRIES {
            return Err(CacheSettingsError::Entries);
        }
        let mut salt = [0u8; 32];
        rand::rng().fill_bytes(&mut salt);
        Ok(Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(settings.max_entries)
                .time_to_live(settings.ttl)
                .build(),
            salt,
        })
    }

    /// The entry's name: a digest of the key, the permission and the address, each
    /// length-prefixed so no two different triples share one.
    pub fn digest(&self, key: &str, permission: Option<&str>, ip: Option<IpAddr>) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        for part in [Some(key), permission] {
            match part {
                Some(text) => {
                    hasher.update([1]);
                    hasher.update((text.len() as u64).to_be_bytes());
                    hasher.update(text.as_bytes());
                }
                None => hasher.update([0]),
            }
        }
        match ip {
            Some(IpAddr::V4(v4)) => {
                hasher.update([4]);
                hasher.update(v4.octets());
            }
            Some(IpAddr::V6(v6)) => {
                hasher.update([6]);
                hasher.update(v6.octets());
            }
            None => hasher.update([0]),
        }
        hasher.finalize().into()
    }

    pub fn get(&self, digest: &[u8; 32]) -> Option<Arc<VerifyAnswer>> {
        self.entries.get(digest)
    }

    /// Keeps `answer` if it may be kept: a pass that Keyplane does not count.
    pub fn keep(&self, digest: [u8; 32], answer: &VerifyAnswer) {
        if answer.valid && answer.rate_limit.is_none() && answer.quota.is_none() {
            self.entries.insert(digest, Arc::new(answer.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::VerificationCode;
    use crate::verify::RateLimitState;

    fn valid() -> VerifyAnswer {
        VerifyAnswer {
            valid: true,
            code: VerificationCode::Valid,
            api_key: None,
            environment: Some("production".into()),
            scopes: vec!["customers:read".into()],
            customer_id: None,
            rate_limit: None,
            quota: None,
        }
    }

    fn cache(ttl: Duration) -> AnswerCache {
        AnswerCache::new(CacheSettings {
            max_entries: 100,
            ttl,
        })
        .unwrap()
    }

    #[test]
    fn settings_past_the_bounds_are_refused() {
        let settings = |max_entries, ttl| AnswerCache::new(CacheSettings { max_entries, ttl });
        assert_eq!(
            settings(10, Duration::from_secs(6)).unwrap_err(),
            CacheSettingsError::Ttl
        );
        assert_eq!(
            settings(10, Duration::ZERO).unwrap_err(),
            CacheSettingsError::Ttl
        );
        assert_eq!(
            settings(0, Duration::from_secs(1)).unwrap_err(),
            CacheSettingsError::Entries
        );
        assert_eq!(
            settings(MAX_CACHE_ENTRIES + 1, Duration::from_secs(1)).unwrap_err(),
            CacheSettingsError::Entries
        );
        assert!(settings(10, MAX_CACHE_TTL).is_ok());
    }

    #[test]
    fn an_answer_is_kept_per_key_permission_and_address() {
        let cache = cache(Duration::from_secs(5));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let digest = cache.digest("server-abc", Some("customers:read"), Some(ip));
        cache.keep(digest, &valid());
        assert!(cache.get(&digest).is_some());
        for other in [
            cache.digest("server-abd", Some("customers:read"), Some(ip)),
            cache.digest("server-abc", Some("customers:write"), Some(ip)),
            cache.digest("server-abc", None, Some(ip)),
            cache.digest(
                "server-abc",
                Some("customers:read"),
                Some("10.0.0.2".parse().unwrap()),
            ),
            cache.digest("server-abc", Some("customers:read"), None),
        ] {
            assert!(cache.get(&other).is_none());
        }
        // Length prefixes: moving a character from the key to the permission is another entry.
        assert_ne!(
            cache.digest("ab", Some("c"), None),
            cache.digest("a", Some("bc"), None)
        );
    }

    #[test]
    fn the_digest_holds_nothing_of_the_key_and_differs_between_caches() {
        let (one, two) = (cache(Duration::from_secs(1)), cache(Duration::from_secs(1)));
        let key = "server-0123456789abcdef";
        let digest = one.digest(key, None, None);
        assert_ne!(digest, two.digest(key, None, None));
        assert_ne!(&digest[..], &Sha256::digest(key.as_bytes())[..]);
    }

    #[test]
    fn refusals_and_counted_passes_are_never_kept() {
        let cache = cache(Duration::from_secs(5));
        let refused = VerifyAnswer {
            valid: false,
            code: VerificationCode::Revoked,
            ..valid()
        };
        let limited = VerifyAnswer {
            rate_limit: Some(RateLimitState {
                limit: 10,
                remaining: 9,
                reset_seconds: 60,
                retry_after_seconds: None,
            }),
            ..valid()
        };
        for (n, answer) in [refused, limited].iter().enumerate() {
            let digest = cache.digest(&format!("key-{n}"), None, None);
            cache.keep(digest, answer);
            assert!(cache.get(&digest).is_none(), "{answer:?}");
        }
    }

    #[test]
    fn an_answer_expires_with_its_ttl() {
        let cache = cache(Duration::from_millis(50));
        let digest = cache.digest("server-abc", None, None);
        cache.keep(digest, &valid());
        assert!(cache.get(&digest).is_some());
        std::thread::sleep(Duration::from_millis(80));
        assert!(cache.get(&digest).is_none());
    }
}
