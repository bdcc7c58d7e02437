//! Data-scale measurements: `cargo bench --bench data_scale`.
//!
//! Generates, with bulk SQL, one environment holding `KEYS` keys (default 1,000,000) and
//! `AUDIT_EVENTS` audit events (default 10,000,000; one key owns 1,000 of them), in a fresh
//! SQLite file. Then it times, over repeated calls through the store: the first page of the key
//! list and a page at depth 100,000 (keyset), the newest 50 audit events of one key, and a key
//! lookup by hash that misses every cache (the database path). Prints p50 and p99 of each.

use std::time::{Duration, Instant};

use chrono::Utc;
use keyplane::{bootstrap, key_hasher, open_store};
use keyplane_domain::account::Plan;
use keyplane_domain::secret::KeyHash;
use keyplane_store::{AuditFilter, KeyFilter, PageRequest, Store};
use sea_orm::ConnectionTrait;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Key ids sort like UUIDv7s, by their number.
fn key_id(i: u64) -> String {
    format!("00000000-0000-7000-8000-{i:012}")
}

async fn generate(store: &Store, environment_id: &str, keys: u64, events: u64) {
    let db = store.connection();
    let started = Instant::now();
    db.execute_unprepared(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {keys})
         INSERT INTO api_keys (id, environment_id, key_type, name, description, scopes, key_hash, masked_key,
                               created_at, created_by_type, created_by_name)
         SELECT printf('00000000-0000-7000-8000-%012d', i), '{environment_id}', 'SCOPED', 'key ' || i, NULL,
                'customers:read', printf('%064x', i), 'server-••••abcd',
                '2026-01-01 00:00:00+00:00', 'SYSTEM', 'Keyplane'
         FROM n"
    ))
    .await
    .expect("generate keys");
    eprintln!("generated {keys} keys in {:?}", started.elapsed());
    let started = Instant::now();
    // One key (number 1) owns 1,000 events; the rest are spread over the other keys.
    db.execute_unprepared(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {events})
         INSERT INTO audit_events (environment_id, api_key_id, event_type, actor_type, actor_id, actor_name,
                                   before_state, after_state, related_key_id, occurred_at)
         SELECT '{environment_id}',
                CASE WHEN i % ({events} / 1000) = 0 THEN printf('00000000-0000-7000-8000-%012d', 1)
                     ELSE printf('00000000-0000-7000-8000-%012d', 2 + i % ({keys} - 1)) END,
                'KEY_UPDATED', 'SYSTEM', NULL, 'Keyplane', '{{}}', '{{}}', NULL, '2026-01-01 00:00:00+00:00'
         FROM n"
    ))
    .await
    .expect("generate audit events");
    eprintln!("generated {events} audit events in {:?}", started.elapsed());
}

async fn time<F, Fut>(label: &str, runs: usize, mut call: F) -> Duration
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    for i in 0..runs / 10 {
        call(i).await;
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(runs);
    for i in 0..runs {
        let started = Instant::now();
        call(i).await;
        samples.push(started.elapsed());
    }
    samples.sort();
    let p50 = samples[runs / 2];
    let p99 = samples[runs * 99 / 100];
    println!(
        "| {label} | {:.1} | {:.1} |",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
    p50
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes harness flags; this bench takes none.
    let keys = env_number("KEYS", 1_000_000);
    let events = env_number("AUDIT_EVENTS", 10_000_000);
    let runs = env_number("RUNS", 1_000) as usize;
    let dir = std::env::temp_dir().join(format!("keyplane-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = open_store(&format!("sqlite://{}", dir.join("scale.db").display()))
        .await
        .unwrap();
    let output = bootstrap(&store, &key_hasher(None), "Scale", Plan::Scale)
        .await
        .unwrap();
    let environment = store
        .environments_of_account(&output.account_id)
        .await
        .unwrap()
        .remove(0);
    generate(&store, &environment.id, keys, events).await;
    store
        .connection()
        .execute_unprepared("ANALYZE")
        .await
        .unwrap();

    println!("| measurement ({keys} keys, {events} audit events, {runs} runs) | p50 µs | p99 µs |");
    println!("|---|---|---|");
    let window = chrono::Duration::days(7);
    let first = time("key list, first page of 20", runs, |_| {
        let store = &store;
        let env = environment.id.clone();
        async move {
            let page = PageRequest {
                first: 20,
                after: None,
            };
            store
                .list_keys(&env, &KeyFilter::default(), &page, Utc::now(), window)
                .await
                .unwrap();
        }
    })
    .await;
    let depth = 100_000.min(keys / 2);
    let deep = time(
        &format!("key list, page of 20 at depth {depth}"),
        runs,
        |_| {
            let store = &store;
            let env = environment.id.clone();
            // Newest first: that depth starts after the key numbered keys - depth.
            let cursor = key_id(keys - depth);
            async move {
                let page = PageRequest {
                    first: 20,
                    after: Some(cursor),
                };
                let listed = store
                    .list_keys(&env, &KeyFilter::default(), &page, Utc::now(), window)
                    .await
                    .unwrap();
                assert_eq!(listed.items.len(), 20);
            }
        },
    )
    .await;
    println!(
        "| page at depth {depth} / first page | {:.2}× | |",
        deep.as_secs_f64() / first.as_secs_f64()
    );
    time("newest 50 audit events of one key", runs, |_| {
        let store = &store;
        let env = environment.id.clone();
        async move {
            let filter = AuditFilter {
                api_key_id: Some(key_id(1)),
                ..AuditFilter::default()
            };
            let page = PageRequest {
                first: 50,
                after: None,
            };
            let events = store.list_audit_events(&env, &filter, &page).await.unwrap();
            assert_eq!(events.items.len(), 50);
        }
    })
    .await;
    time(
        "key lookup by hash, database path (cache miss)",
        runs,
        |i| {
            let store = &store;
            let hash =
                KeyHash::from_hex(&format!("{:064x}", 1 + (i as u64 * 7919) % keys)).unwrap();
            async move {
                assert!(store.find_key_by_hash(&hash).await.unwrap().is_some());
            }
        },
    )
    .await;
    store.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
