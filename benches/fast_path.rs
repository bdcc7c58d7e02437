//! In-process benchmarks of the fast path: `cargo bench --bench fast_path`.
//!
//! Key parse + hash, a cache hit with 1k / 100k / 1M keys cached, a rate-limit check, and the
//! whole in-process verification of a cached key. Before the timings it prints the resident
//! memory each cached key costs at 1M keys.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use keyplane::{bootstrap, key_hasher, open_store};
use keyplane_api::key_cache::{CachedKey, KeyCache};
use keyplane_api::rate_limit::KeyRateLimiter;
use keyplane_api::verify::{VerifyRequest, verify};
use keyplane_api::{ApiSettings, FlushIntervals, Services, find_key, principal_for};
use keyplane_domain::account::Plan;
use keyplane_domain::audit::Actor;
use keyplane_domain::key::{ApiKey, ApiKeyType};
use keyplane_domain::rate_limit::RateLimit;
use keyplane_domain::scope::ScopeSet;
use keyplane_domain::seal::DataKey;
use keyplane_domain::secret::{KeyHash, KeyHasher, KeyPrefix, KeySecret};

fn secrets(n: usize) -> Vec<KeySecret> {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| KeySecret::generate(KeyPrefix::Server, &mut rng))
        .collect()
}

fn sample_key(id: usize) -> ApiKey {
    ApiKey {
        id: format!("01a20201-0000-7000-8000-{id:012}"),
        environment_id: "01a20201-4ac2-7475-a56c-427daeac8e37".into(),
        key_type: ApiKeyType::Scoped,
        name: "service key".into(),
        description: None,
        scopes: ScopeSet::from_requested(&["customers:write", "coupons:read"]).unwrap(),
        masked_key: "server-••••Ab12".into(),
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
        created_at: chrono::Utc::now(),
        created_by: Actor::system(),
        rotated_from_id: None,
        replaced_by_id: None,
        customer_ids: None,
        rate_limit: None,
        integration_id: None,
    }
}

fn filled_cache(n: usize, hasher: &KeyHasher) -> (KeyCache, Vec<KeyHash>) {
    let cache = KeyCache::new(n + 1, Duration::from_secs(3600));
    let hashes: Vec<KeyHash> = secrets(n).iter().map(|s| hasher.hash(s)).collect();
    for (i, hash) in hashes.iter().enumerate() {
        cache.put_key(*hash, CachedKey::Found(Arc::new(sample_key(i))));
    }
    (cache, hashes)
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn memory_per_cached_key() {
    let hasher = KeyHasher::new(None);
    let before = resident_bytes();
    let (cache, hashes) = filled_cache(1_000_000, &hasher);
    let after = resident_bytes();
    // The hashes vector is the bench's own: subtract it.
    let own = (hashes.len() * std::mem::size_of::<KeyHash>()) as u64;
    eprintln!(
        "memory: {} bytes of RSS per cached key at 1M keys ({} keys cached)",
        (after - before - own) / 1_000_000,
        cache.len()
    );
}

fn parse_and_hash(c: &mut Criterion) {
    let hasher = KeyHasher::new(Some(b"pepper".to_vec()));
    let secret = secrets(1).remove(0).expose().to_owned();
    c.bench_function("key_parse_and_hash", |b| {
        b.iter(|| hasher.hash(&KeySecret::parse(black_box(&secret)).unwrap()))
    });
}

fn cache_hit(c: &mut Criterion) {
    let hasher = KeyHasher::new(None);
    let mut group = c.benchmark_group("cache_hit");
    for n in [1_000, 100_000, 1_000_000] {
        let (cache, hashes) = filled_cache(n, &hasher);
        let mut i = 0;
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                i = (i + 7919) % hashes.len();
                black_box(cache.key(&hashes[i]))
            })
        });
    }
    group.finish();
}

fn rate_limit_check(c: &mut Criterion) {
    let limiter = KeyRateLimiter::default();
    let limit = RateLimit {
        requests: 1_000_000,
        period_seconds: 1,
    };
    c.bench_function("rate_limit_check", |b| {
        b.iter(|| {
            black_box(limiter.check(black_box("01a20201-0000-7000-8000-000000000001"), limit))
        })
    });
}

fn in_process_verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("keyplane-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (services, principal, target) = runtime.block_on(async {
        let store = open_store(&format!("sqlite://{}", dir.join("bench.db").display()))
            .await
            .unwrap();
        let hasher = key_hasher(None);
        let keys = bootstrap(&store, &hasher, "Bench", Plan::Scale)
            .await
            .unwrap();
        let settings = ApiSettings {
            expiring_soon: chrono::Duration::days(7),
            max_body_bytes: 65_536,
            flush: FlushIntervals {
                activity: Duration::from_secs(3600),
                last_used: Duration::from_secs(3600),
            },
            key_cache_capacity: 1_000_000,
            key_cache_ttl: Duration::from_secs(3600),
            parse_cache_capacity: 1_000,
        };
        let (services, _background) = Services::start(
            store,
            hasher.clone(),
            DataKey::generate(&mut rand::rng()),
            settings,
        )
        .await
        .unwrap();
        let caller = keys.environments[0].full_access_key.clone();
        let target = keys.environments[0].publishable_key.expose().to_owned();
        let key = find_key(&services, &hasher.hash(&caller))
            .await
            .unwrap()
            .unwrap();
        let principal = principal_for(&services, key).await.unwrap();
        (services, principal, target)
    });
    c.bench_function("verify_in_process_cached", |b| {
        b.to_async(&runtime).iter(|| async {
            let request = VerifyRequest {
                key: &target,
                permission: Some("customers:read"),
                customer_id: None,
                customer_token: None,
                origin: None,
            };
            black_box(verify(&services, &principal, request).await.unwrap())
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn benches(c: &mut Criterion) {
    memory_per_cached_key();
    parse_and_hash(c);
    cache_hit(c);
    rate_limit_check(c);
    in_process_verify(c);
}

criterion_group! {
    name = fast_path;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(fast_path);
