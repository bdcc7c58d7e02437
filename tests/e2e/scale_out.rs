//! Three replicas on one database and one Redis: rate limits hold across them, exactly or
//! within the leased bound, and Redis going away refuses nothing a replica alone would allow.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};

use crate::harness::redis::{self, RedisProxy};
use crate::harness::{Replica, TestApp, TestOptions, metric_at};

/// One server and two replicas of it, all with `redis_url`.
struct Cluster {
    app: TestApp,
    replicas: Vec<Replica>,
}

impl Cluster {
    async fn start(redis_url: &str) -> Self {
        let app = TestApp::spawn_with(TestOptions {
            redis_url: Some(redis_url.to_owned()),
            ..TestOptions::default()
        })
        .await;
        let replicas = vec![app.replica().await, app.replica().await];
        Self { app, replicas }
    }

    /// The base URLs of the three servers.
    fn bases(&self) -> Vec<String> {
        let mut bases = vec![self.app.url("")];
        bases.extend(self.replicas.iter().map(|r| r.url("")));
        bases
    }

    /// A key of `limit` (`{requests, periodSeconds, mode}`), and its secret.
    async fn limited_key(&self, limit: Value) -> String {
        let input = json!({ "name": "limited", "scopes": ["customers:read"], "rateLimit": limit });
        self.app.create_key_from(input).await.1
    }

    /// Verifies `secret` through the server at `base`; answers the code.
    async fn verify_at(&self, base: &str, secret: &str) -> String {
        let response = self
            .app
            .client
            .post(format!("{base}/v1/verify"))
            .header("X-API-Key", self.app.admin())
            .json(&json!({ "key": secret }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let body: Value = response.json().await.unwrap();
        body["code"].as_str().unwrap().to_owned()
    }

    /// `count` verifications of `secret`, round-robin over the three servers, `concurrency`
    /// at a time; answers how many were `VALID`, after checking the rest were `RATE_LIMITED`.
    async fn spread(&self, secret: &str, count: usize, concurrency: usize) -> usize {
        let bases = self.bases();
        let mut valid = 0;
        for chunk in (0..count).collect::<Vec<_>>().chunks(concurrency) {
            let calls = chunk
                .iter()
                .map(|i| self.verify_at(&bases[i % bases.len()], secret));
            for code in join_all(calls).await {
                match code.as_str() {
                    "VALID" => valid += 1,
                    "RATE_LIMITED" => {}
                    other => panic!("unexpected code {other}"),
                }
            }
        }
        valid
    }

    async fn stop(self) {
        for replica in self.replicas {
            replica.stop().await;
        }
    }
}

#[tokio::test]
async fn an_exact_limit_holds_to_the_request_across_three_replicas() {
    let Some(url) = redis::redis_address().await else {
        return;
    };
    let cluster = Cluster::start(&url).await;
    let secret = cluster
        .limited_key(json!({ "requests": 30, "periodSeconds": 86400, "mode": "EXACT" }))
        .await;
    assert_eq!(cluster.spread(&secret, 90, 15).await, 30);
    // Each replica alone would have let 30 through: the budget is shared.
    for base in cluster.bases() {
        assert_eq!(cluster.verify_at(&base, &secret).await, "RATE_LIMITED");
    }
    cluster.stop().await;
}

#[tokio::test]
async fn a_leased_limit_never_lets_more_through_and_gives_back_what_idle_replicas_held() {
    let Some(url) = redis::redis_address().await else {
        return;
    };
    let cluster = Cluster::start(&url).await;
    // A lease is 160 / 16 = 10 requests.
    let secret = cluster
        .limited_key(json!({ "requests": 160, "periodSeconds": 86400, "mode": "LEASED" }))
        .await;
    let calls_before = redis_calls(&cluster).await;
    let first = cluster.spread(&secret, 480, 24).await;
    let calls = redis_calls(&cluster).await - calls_before;
    eprintln!("leased: {first} of 480 let through at first, {calls} calls to Redis");
    // Never more than the limit; at most the two other replicas' leases short of it.
    assert!((160 - 2 * 10..=160).contains(&first), "{first} let through");
    // Most of the 480 decisions needed no round trip: 16 leases, and refusals remembered.
    assert!(calls < 480.0 / 10.0, "{calls} calls to Redis");
    // Idle leases go back after 250 ms; then the rest of the budget is there to spend, and
    // no more.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let bases = cluster.bases();
    let (mut rest, mut refused_in_a_row, mut i) = (0, 0, 0);
    while refused_in_a_row < 2 * bases.len() {
        match cluster
            .verify_at(&bases[i % bases.len()], &secret)
            .await
            .as_str()
        {
            "VALID" => (rest, refused_in_a_row) = (rest + 1, 0),
            _ => refused_in_a_row += 1,
        }
        i += 1;
        assert!(i < 1_000, "the budget never ran out");
    }
    assert_eq!(first + rest, 160);
    cluster.stop().await;
}

/// Calls to Redis so far, over the three servers.
async fn redis_calls(cluster: &Cluster) -> f64 {
    let mut calls = 0.0;
    for base in cluster.bases() {
        calls += metric_at(
            &cluster.app.client,
            &base,
            "keyplane_redis_duration_seconds_count",
        )
        .await;
    }
    calls
}

#[tokio::test]
async fn without_redis_each_replica_decides_alone_and_shares_again_when_it_returns() {
    let Some(url) = redis::redis_address().await else {
        return;
    };
    let proxy = RedisProxy::start(&url).await;
    let cluster = Cluster::start(&proxy.url()).await;
    let client = &cluster.app.client;
    let tight = json!({ "requests": 5, "periodSeconds": 86400, "mode": "EXACT" });
    let shared = cluster.limited_key(tight.clone()).await;
    assert_eq!(cluster.spread(&shared, 15, 3).await, 5);

    proxy.cut().await;
    // A roomy key under load: nothing is refused while Redis is gone.
    let roomy = cluster
        .limited_key(json!({ "requests": 100000, "periodSeconds": 60 }))
        .await;
    let cut_at = Instant::now();
    assert_eq!(cluster.spread(&roomy, 90, 9).await, 90);
    assert!(
        cut_at.elapsed() < Duration::from_secs(5),
        "fallback decisions wait for nothing"
    );
    // A tight key: each replica allows what its own limiter would, 5 each.
    let alone = cluster.limited_key(tight).await;
    assert_eq!(cluster.spread(&alone, 30, 3).await, 15);
    for base in cluster.bases() {
        assert_eq!(metric_at(client, &base, "keyplane_redis_up").await, 0.0);
        assert!(metric_at(client, &base, "keyplane_rate_limit_fallbacks_total").await > 0.0);
        let ready: Value = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["status"], "ready");
        assert!(ready["redis"].as_str().unwrap().starts_with("unavailable"));
    }
    assert!(crate::harness::captured_logs().contains("Redis did not answer"));

    proxy.restore();
    // Each replica tries Redis again within a second of its last try.
    let restored_at = Instant::now();
    for base in cluster.bases() {
        while metric_at(client, &base, "keyplane_redis_up").await == 0.0 {
            assert_eq!(cluster.verify_at(&base, &roomy).await, "VALID");
            assert!(restored_at.elapsed() < Duration::from_secs(5));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let again = cluster
        .limited_key(json!({ "requests": 5, "periodSeconds": 86400 }))
        .await;
    assert_eq!(cluster.spread(&again, 15, 3).await, 5);
    cluster.stop().await;
}

#[tokio::test]
async fn an_idempotent_mutation_sent_to_two_replicas_at_once_runs_once() {
    let app = TestApp::spawn().await;
    let replica = app.replica().await;
    let admin = app.admin();
    let create = json!({ "query": "mutation { createApiKey(input: {name: \"once\", preset: READ_ONLY}) { secret } }" });
    let bases = [app.url(""), replica.url("")];
    let attempts = (0..6).map(|i| {
        app.client
            .post(format!("{}/graphql", bases[i % 2]))
            .header("X-API-Key", &admin)
            .header("Idempotency-Key", "two-replicas")
            .json(&create)
            .send()
    });
    let mut secrets = std::collections::HashSet::new();
    for response in join_all(attempts).await {
        let response = response.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        match body["data"]["createApiKey"]["secret"].as_str() {
            Some(secret) => drop(secrets.insert(secret.to_owned())),
            None => {
                assert_eq!(status, reqwest::StatusCode::CONFLICT);
                assert_eq!(
                    body["errors"][0]["extensions"]["code"],
                    "IDEMPOTENCY_CONFLICT"
                );
            }
        }
    }
    assert_eq!(secrets.len(), 1, "every success carries the one secret");
    let names = app
        .ok(
            &admin,
            "{ apiKeys(first: 100) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    let created = names["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["name"] == "once")
        .count();
    assert_eq!(created, 1);
    replica.stop().await;
}
