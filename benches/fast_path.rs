//! In-process benchmarks of the fast path: `cargo bench --bench fast_path`.
//!
//! Key parse + hash; a cache hit with 1k / 100k / 1M keys cached, looked up in two orders
//! (uniform strides across all keys, and Zipf-distributed like real traffic); a rate-limit
//! check; the whole in-process verification of a cached key, alone in the cache and among 1M
//! others; and the GraphQL schema executing `verifyApiKey` with and without the parse cache.
//! Before the timings it prints the resident memory each cached key costs at 1M keys.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use keyplane::{bootstrap, key_hasher, open_store};
use keyplane_api::{RequestObservation, build_schema};
use keyplane_domain::account::Plan;
use keyplane_domain::audit::Actor;
use keyplane_domain::key::{ApiKey, ApiKeyType};
use keyplane_domain::rate_limit::RateLimit;
use keyplane_domain::scope::ScopeSet;
use keyplane_domain::seal::DataKey;
use keyplane_domain::secret::{KeyHash, KeyHasher, KeyPrefix, KeySecret};
use keyplane_service::auth::{find_key, principal_for};
use keyplane_service::key_cache::{CachedKey, KeyCache};
use keyplane_service::rate_limit::KeyRateLimiter;
use keyplane_service::verify::{VerifyRequest, verify};
use keyplane_service::{FlushIntervals, Principal, ServiceSettings, Services};

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
        recoverable: false,
        metadata: None,
        external_id: None,
        disabled: None,
        allowed_ips: None,
        quota: None,
    }
}

fn filled_cache(n: usize, hasher: &KeyHasher) -> (KeyCache, Vec<KeyHash>) {
    let cache = KeyCache::new(n + 1, Duration::from_secs(3600));
    let hashes: Vec<KeyHash> = secrets(n).iter().map(|s| hasher.hash(s)).collect();
    for (i, hash) in hashes.iter().enumerate() {
        cache.put_key(
            cache.begin_fill(),
            *hash,
            CachedKey::Found(Arc::new(sample_key(i))),
        );
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

/// Lookups in a fixed stride across every key: each one lands on a different, cold entry.
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

/// `count` key indexes drawn from a Zipf distribution (exponent 1) over `n` keys: a few keys
/// take most of the traffic, as the platform's busiest services do.
fn zipf_indexes(n: usize, count: usize) -> Vec<usize> {
    use rand::Rng;
    let mut cumulative = Vec::with_capacity(n);
    let mut total = 0.0;
    for rank in 1..=n {
        total += 1.0 / rank as f64;
        cumulative.push(total);
    }
    let mut rng = rand::rng();
    // Ranks are scattered over the table, so hot keys are not neighbours in memory.
    let mut placement: Vec<usize> = (0..n).collect();
    rand::seq::SliceRandom::shuffle(placement.as_mut_slice(), &mut rng);
    (0..count)
        .map(|_| {
            let draw = rng.random::<f64>() * total;
            placement[cumulative.partition_point(|&c| c < draw).min(n - 1)]
        })
        .collect()
}

fn cache_hit_zipf(c: &mut Criterion) {
    let hasher = KeyHasher::new(None);
    let mut group = c.benchmark_group("cache_hit_zipf");
    for n in [1_000, 100_000, 1_000_000] {
        let (cache, hashes) = filled_cache(n, &hasher);
        let order = zipf_indexes(n, 1 << 20);
        let mut i = 0;
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % order.len();
                black_box(cache.key(&hashes[order[i]]))
            })
        });
    }
    group.finish();
}

fn rate_limit_check(c: &mut Criterion) {
    let limiter = KeyRateLimiter::default();
    let limit = RateLimit::parse("rateLimit", 1_000_000, 1).unwrap();
    c.bench_function("rate_limit_check", |b| {
        b.iter(|| {
            black_box(limiter.check(black_box("01a20201-0000-7000-8000-000000000001"), limit))
        })
    });
}

/// A service with a real store: the bootstrap's keys, a full-access principal, and the
/// publishable key's secret to verify.
struct Bench {
    services: Services,
    principal: Principal,
    target: String,
    parse_cache_capacity: usize,
    _background: keyplane_service::Background,
}

async fn bench_services(dir: &std::path::Path, parse_cache_capacity: usize) -> Bench {
    let store = open_store(&format!("sqlite://{}", dir.join("bench.db").display()))
        .await
        .unwrap();
    let hasher = key_hasher(None);
    let keys = bootstrap(
        &store,
        &hasher,
        "Bench",
        Plan::Scale,
        "http://127.0.0.1:8080",
    )
    .await
    .unwrap();
    let settings = ServiceSettings {
        expiring_soon: chrono::Duration::days(7),
        sessions: keyplane_domain::session::SessionPolicy::default(),
        public_url: "http://127.0.0.1:8080".to_owned(),
        redis: None,
        flush: FlushIntervals {
            activity: Duration::from_secs(3600),
            last_used: Duration::from_secs(3600),
        },
        key_cache_capacity: 2_000_000,
        key_cache_ttl: Duration::from_secs(3600),
        retention: keyplane_service::Retention::default(),
        webhooks: keyplane_service::WebhookSettings::default(),
        expiry_sweep: Duration::from_secs(30),
        leak_reporter_token: None,
        legacy_customer_tokens: Default::default(),
        max_event_streams: 1_000,
        passwords: keyplane_service::passwords::PasswordSettings::default(),
    };
    let (services, background) = Services::start(
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
    Bench {
        services,
        principal,
        target,
        parse_cache_capacity,
        _background: background,
    }
}

fn verify_request(target: &str) -> VerifyRequest<'_> {
    VerifyRequest {
        key: target,
        permission: Some("customers:read"),
        customer_id: None,
        customer_token: None,
        origin: None,
        ip: None,
        spend: None,
    }
}

/// Parse, hash, cache lookups (key, environment, account), scope check, last-used note; once
/// with the verified key nearly alone in the cache, once among 1M other cached keys.
fn in_process_verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = bench_dir("verify");
    let bench = runtime.block_on(bench_services(&dir, 1_000));
    let mut group = c.benchmark_group("verify_in_process_cached");
    for others in [0, 1_000_000] {
        let hasher = KeyHasher::new(None);
        for (i, secret) in secrets(others).iter().enumerate() {
            let key = CachedKey::Found(Arc::new(sample_key(i)));
            let fill = bench.services.cache.begin_fill();
            bench.services.cache.put_key(fill, hasher.hash(secret), key);
        }
        group.bench_with_input(
            BenchmarkId::new("other_keys_cached", others),
            &others,
            |b, _| {
                b.to_async(&runtime).iter(|| async {
                    let request = verify_request(&bench.target);
                    black_box(
                        verify(&bench.services, &bench.principal, request)
                            .await
                            .unwrap(),
                    )
                })
            },
        );
    }
    group.finish();
    drop(bench);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The GraphQL schema executing `verifyApiKey` (no HTTP), with the parse cache and without.
fn graphql_verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("graphql_verify_api_key");
    let query = "query($k: String!) { verifyApiKey(input: {key: $k, permission: \"customers:read\"}) { valid code } }";
    for (name, capacity) in [("parse_cache", 1_000), ("no_parse_cache", 0)] {
        let dir = bench_dir(name);
        let bench = runtime.block_on(bench_services(&dir, capacity));
        let schema = build_schema(bench.services.clone(), bench.parse_cache_capacity);
        let variables =
            async_graphql::Variables::from_json(serde_json::json!({ "k": bench.target }));
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let request = async_graphql::Request::new(query)
                    .variables(variables.clone())
                    .data(bench.principal.clone())
                    .data(Arc::new(RequestObservation::new(None)));
                let response = schema.execute(request).await;
                assert!(response.errors.is_empty());
                black_box(response)
            })
        });
        drop(bench);
        let _ = std::fs::remove_dir_all(&dir);
    }
    group.finish();
}

fn bench_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("keyplane-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn benches(c: &mut Criterion) {
    memory_per_cached_key();
    parse_and_hash(c);
    cache_hit(c);
    cache_hit_zipf(c);
    rate_limit_check(c);
    in_process_verify(c);
    graphql_verify(c);
}

criterion_group! {
    name = fast_path;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(fast_path);
