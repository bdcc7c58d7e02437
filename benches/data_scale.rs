//! Data-scale measurements: `cargo bench --bench data_scale`.
//!
//! Generates, with bulk SQL, one environment holding `KEYS` keys (default 1,000,000) and
//! `AUDIT_EVENTS` audit events (default 10,000,000; one key owns 1,000 of them), in a fresh
//! SQLite file. Then it times, over repeated calls through the store: the first page of the key
//! list and a page at depth 100,000 (keyset), the newest 50 audit events of one key, and a key
//! lookup by hash that misses every cache (the database path). Then it adds verification
//! counters for a busy key (14 days of minutes, 30 days of hours, three outcomes) among
//! `USAGE_KEYS` other keys (default 1,000, with 30 days of hourly counters, 100 of them with
//! minutes too) and times the usage series a console draws. Prints p50 and p99 of each.

use std::time::{Duration, Instant};

use chrono::Utc;
use keyplane::{bootstrap, key_hasher, open_store};
use keyplane_domain::account::Plan;
use keyplane_domain::secret::KeyHash;
use keyplane_domain::usage::{self, Granularity, UsageRange};
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

/// Verification counters as the server writes them, ending at `end` (an instant in the text
/// form the SQLite driver writes): key 1 is the busy key.
async fn generate_usage(store: &Store, environment_id: &str, end: &str, other_keys: u64) {
    let db = store.connection();
    let started = Instant::now();
    let minutes = 14 * 24 * 60;
    let hours = 30 * 24;
    let counters = |table: &str, unit: &str, span: u64, keys: u64, outcomes: &str| {
        format!(
            "WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < {span} - 1),
                           k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < {keys}),
                           o(outcome, n) AS (VALUES {outcomes})
             INSERT INTO {table} (environment_id, api_key_id, bucket_at, permission, outcome, count)
             SELECT '{environment_id}', printf('00000000-0000-7000-8000-%012d', j),
                    strftime('%Y-%m-%dT%H:%M:00+00:00', '{end}', '-' || (i + 1) || ' {unit}'),
                    'customers:read', outcome, n
             FROM t, k, o"
        )
    };
    let busy = "('VALID', 3000), ('FORBIDDEN', 40), ('RATE_LIMITED', 200)";
    for sql in [
        counters("usage_minutes", "minutes", minutes, 1, busy),
        counters("usage_hours", "hours", hours, 1, busy),
    ] {
        db.execute_unprepared(&sql)
            .await
            .expect("busy key's counters");
    }
    // The other keys are numbered from 2: shift the generated key numbers by one.
    for (table, unit, span, keys) in [
        ("usage_hours", "hours", hours, other_keys),
        ("usage_minutes", "minutes", minutes, other_keys.min(100)),
    ] {
        let sql = counters(table, unit, span, keys, "('VALID', 10)").replace(
            "printf('00000000-0000-7000-8000-%012d', j)",
            "printf('00000000-0000-7000-8000-%012d', j + 1)",
        );
        db.execute_unprepared(&sql)
            .await
            .expect("other keys' counters");
    }
    // The environment's totals, which the server adds up as it writes the key counters.
    for table in ["usage_minutes", "usage_hours"] {
        db.execute_unprepared(&format!(
            "INSERT INTO {table} (environment_id, api_key_id, bucket_at, permission, outcome, count)
             SELECT environment_id, '*', bucket_at, permission, outcome, SUM(count) FROM {table}
             GROUP BY environment_id, bucket_at, permission, outcome"
        ))
        .await
        .expect("environment totals");
    }
    eprintln!("generated usage counters in {:?}", started.elapsed());
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
    let output = bootstrap(
        &store,
        &key_hasher(None),
        "Scale",
        Plan::Scale,
        "http://127.0.0.1:8080",
    )
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
            let page = PageRequest::newest(20);
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
                    before: None,
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
            let page = PageRequest::newest(50);
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

    let other_keys = env_number("USAGE_KEYS", 1_000);
    let end: chrono::DateTime<Utc> = "2026-11-22T00:00:00Z".parse().unwrap();
    generate_usage(&store, &environment.id, &end.to_rfc3339(), other_keys).await;
    store
        .connection()
        .execute_unprepared("ANALYZE")
        .await
        .unwrap();
    let series = [
        (
            "busy key, 30 days by day",
            Some(key_id(1)),
            30,
            Granularity::Day,
            30,
        ),
        (
            "busy key, 30 days by hour",
            Some(key_id(1)),
            30,
            Granularity::Hour,
            720,
        ),
        (
            "busy key, last day by minute",
            Some(key_id(1)),
            1,
            Granularity::Minute,
            1440,
        ),
        (
            "environment, 30 days by day",
            None,
            30,
            Granularity::Day,
            30,
        ),
    ];
    for (label, key, days, granularity, points) in series {
        let range = UsageRange::new(end - chrono::Duration::days(days), end, granularity).unwrap();
        let label = format!("usage series: {label} ({points} points, {other_keys} other keys)");
        time(&label, runs / 10, |_| {
            let (store, env, key) = (&store, environment.id.clone(), key.clone());
            async move {
                let counts = store
                    .usage_counts(&env, key.as_deref(), None, range)
                    .await
                    .unwrap();
                let series = usage::series(range, &counts);
                assert_eq!(series.len(), points);
                assert!(series.iter().all(|p| p.total > 0));
            }
        })
        .await;
    }
    store.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
