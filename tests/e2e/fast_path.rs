//! The fast path: once a key is cached, authenticating and verifying it touch no database.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{TestApp, TestOptions};

pub async fn metric(app: &TestApp, name: &str) -> u64 {
    crate::harness::metric_at(&app.client, &app.url(""), name).await as u64
}

#[tokio::test]
async fn verifications_of_a_cached_key_issue_no_database_queries() {
    // Write-behind flushes hourly here, so only the request path could issue statements.
    let app = TestApp::spawn_with(TestOptions {
        flush: Duration::from_secs(3600),
        ..TestOptions::default()
    })
    .await;
    let (_, target) = app.create_key("hot", &["customers:read"]).await;
    let verify = |body: serde_json::Value| {
        app.client
            .post(app.url("/v1/verify"))
            .header("X-API-Key", app.admin())
            .json(&body)
            .send()
    };
    let graphql = "query($k: String!) { verifyApiKey(input: {key: $k, permission: \"customers:read\"}) { code } }";
    // Warm the cache: the caller, the target, and an unknown key.
    let unknown = {
        use keyplane_domain::secret::{KeyPrefix, KeySecret};
        KeySecret::generate(KeyPrefix::Server, &mut rand::rng())
            .expose()
            .to_owned()
    };
    verify(json!({ "key": target })).await.unwrap();
    verify(json!({ "key": unknown })).await.unwrap();
    app.ok(&app.admin(), graphql, json!({ "k": target })).await;
    // Creating the key woke the webhook sender (here, and again when PostgreSQL's notice of
    // the event comes back); it looks for due deliveries and goes back to sleep. Only then
    // is the request path alone.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let queries_before = metric(&app, "keyplane_db_queries_total").await;
    let hits_before = metric(&app, "keyplane_key_cache_hits_total").await;
    for _ in 0..25 {
        let response = verify(json!({ "key": target, "permission": "customers:read" }))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap()["code"],
            "VALID"
        );
        let answer = app.ok(&app.admin(), graphql, json!({ "k": target })).await;
        assert_eq!(answer["verifyApiKey"]["code"], "VALID");
        let missing = verify(json!({ "key": unknown })).await.unwrap();
        assert_eq!(
            missing.json::<serde_json::Value>().await.unwrap()["code"],
            "NOT_FOUND"
        );
    }
    assert_eq!(
        metric(&app, "keyplane_db_queries_total").await,
        queries_before,
        "no statement on the cached path"
    );
    // Each round: three callers authenticated and three keys verified, all from the cache.
    assert_eq!(
        metric(&app, "keyplane_key_cache_hits_total").await - hits_before,
        25 * 6
    );
    // Verifications are counted in memory, not queued as activity rows: only the mutation
    // that created the key waits for the writer.
    assert_eq!(
        metric(&app, "keyplane_write_behind_queue_depth").await,
        1,
        "verifications queue no activity rows"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome() {
    let app = TestApp::spawn().await;
    app.ok(&app.admin(), "{ viewer { apiKey { id } } }", json!({}))
        .await;
    app.gql(
        Some(&app.publishable_key("production")),
        "{ apiKeys { edges { cursor } } }",
        json!({}),
    )
    .await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"keyplane_requests_total{operation="viewer",outcome="OK"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"keyplane_requests_total{operation="apiKeys",outcome="FORBIDDEN"} 1"#));
    assert!(text.contains("keyplane_request_duration_seconds_bucket"));
    assert!(
        !text.contains(&app.admin()[7..]),
        "no key material in metrics"
    );
}
