//! The key cache's sections, its id index and its fences against stale fills.

use super::*;
use keyplane_domain::secret::{KeyHasher, KeyPrefix, KeySecret};

fn hash() -> KeyHash {
    KeyHasher::new(None).hash(&KeySecret::generate(KeyPrefix::Server, &mut rand::rng()))
}

fn id(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}

fn found(n: u128) -> CachedKey {
    let key = ApiKey {
        id: id(n),
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

fn put(cache: &KeyCache, hash: KeyHash, key: CachedKey) {
    cache.put_key(cache.begin_fill(), hash, key);
}

#[test]
fn entries_expire_after_the_ttl_and_capacity_is_bounded() {
    let cache = KeyCache::new(2, Duration::from_millis(30));
    let (a, b, c) = (hash(), hash(), hash());
    put(&cache, a, found(1));
    assert!(matches!(cache.key(&a), Some(CachedKey::Found(_))));
    put(&cache, b, found(2));
    put(&cache, c, found(3));
    assert_eq!(cache.len(), 2, "never more than the capacity");
    std::thread::sleep(Duration::from_millis(40));
    assert!(cache.key(&c).is_none(), "expired");
}

#[test]
fn the_id_index_follows_the_cached_keys() {
    let cache = KeyCache::new(2, Duration::from_secs(60));
    let (a, b, c) = (hash(), hash(), hash());
    put(&cache, a, found(1));
    put(&cache, b, found(2));
    put(&cache, c, found(3));
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.hashes.len(), 2, "the dropped key's id is dropped too");
    put(&cache, c, found(3));
    assert_eq!(cache.hashes.len(), 2, "re-caching a key keeps its id");
    cache.evict(&Change::Key(id(3)));
    assert!(cache.key(&c).is_none(), "evicted by id");
    assert_eq!(cache.hashes.len(), 1);
}

#[test]
fn a_fill_that_read_before_a_revocation_is_not_installed_after_its_eviction() {
    let cache = KeyCache::new(10, Duration::from_secs(60));
    let key = hash();
    // The fill begins and reads the row; the revocation commits and evicts (nothing is
    // cached yet); then the fill installs what it read.
    let fill = cache.begin_fill();
    cache.evict(&Change::Key(id(1)));
    cache.put_key(fill, key, found(1));
    assert!(cache.key(&key).is_none(), "the stale row is not installed");
    assert!(cache.hashes.is_empty());
    // A fill that began after the eviction read the revoked row: it is installed.
    put(&cache, key, found(1));
    assert!(cache.key(&key).is_some());
}

#[test]
fn an_eviction_between_the_check_and_the_insert_takes_the_entry_back_out() {
    let cache = KeyCache::new(10, Duration::from_secs(60));
    let key = hash();
    let fill = cache.begin_fill();
    cache.install_key(fill, key, found(1), || cache.evict(&Change::Key(id(1))));
    assert!(
        cache.key(&key).is_none(),
        "the fill saw the eviction after inserting"
    );
    assert!(cache.hashes.is_empty(), "and took its index entry out too");
}

#[test]
fn an_eviction_of_another_key_does_not_drop_a_fill() {
    let cache = KeyCache::new(10, Duration::from_secs(60));
    let key = hash();
    let fill = cache.begin_fill();
    cache.evict(&Change::Key(id(2)));
    cache.evict(&Change::Environment(id(3)));
    cache.put_key(fill, key, found(1));
    assert!(cache.key(&key).is_some());
}

#[test]
fn a_clear_drops_every_fill_that_began_before_it() {
    let cache = KeyCache::new(10, Duration::from_secs(60));
    let (known, unknown) = (hash(), hash());
    let fill = cache.begin_fill();
    cache.apply(&ChangeEvent::Reconnected);
    cache.put_key(fill, known, found(1));
    cache.put_key(fill, unknown, CachedKey::Missing);
    assert!(cache.is_empty());
}

#[test]
fn environment_and_account_fills_are_fenced_by_their_changes() {
    let cache = KeyCache::new(10, Duration::from_secs(60));
    let environment = Arc::new(Environment {
        id: id(7),
        account_id: id(8),
        slug: "production".into(),
        name: "Production".into(),
        env_type: keyplane_domain::environment::EnvironmentType::Production,
        default_rate_limit: None,
        client_security: Default::default(),
        recoverable_keys: false,
        leak_policy: Default::default(),
    });
    let fill = cache.begin_fill();
    cache.evict(&Change::Environment(id(7)));
    cache.put_environment(fill, Arc::clone(&environment));
    cache.put_signing_secrets(fill, &id(7), Arc::new(Vec::new()));
    assert!(cache.environment(&id(7)).is_none());
    assert!(cache.signing_secrets(&id(7)).is_none());
    cache.put_environment(cache.begin_fill(), environment);
    assert!(cache.environment(&id(7)).is_some());
}

#[test]
fn unknown_hashes_never_push_a_known_key_out() {
    let cache = KeyCache::new(50, Duration::from_secs(60));
    let known: Vec<KeyHash> = (0..50).map(|_| hash()).collect();
    for (n, hash) in known.iter().enumerate() {
        put(&cache, *hash, found(n as u128 + 1));
    }
    for _ in 0..1_000 {
        put(&cache, hash(), CachedKey::Missing);
    }
    assert!(
        known
            .iter()
            .all(|hash| matches!(cache.key(hash), Some(CachedKey::Found(_)))),
        "every known key is still cached"
    );
    assert_eq!(
        cache.unknown.map.len(),
        5,
        "unknown hashes: a tenth of the capacity"
    );
}
