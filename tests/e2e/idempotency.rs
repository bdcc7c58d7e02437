//! Idempotency-Key: a retried mutation runs once and gets the same response.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Gql, TestApp};

const CREATE: &str = "mutation { createApiKey(input: {name: \"once\", preset: READ_ONLY}) { secret apiKey { id } } }";

async fn post(app: &TestApp, key: &str, idempotency_key: Option<&str>, body: &Value) -> Gql {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("X-API-Key", key)
        .json(body);
    if let Some(k) = idempotency_key {
        request = request.header("Idempotency-Key", k);
    }
    Gql::read(request.send().await.unwrap()).await
}

async fn key_count(app: &TestApp) -> usize {
    let data = app
        .ok(
            &app.admin(),
            "{ apiKeys(first: 100) { edges { cursor } } }",
            json!({}),
        )
        .await;
    data["apiKeys"]["edges"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_retried_create_runs_once_and_hands_back_the_same_secret() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": CREATE });
    let first = post(&app, &app.admin(), Some("create-once-1"), &body).await;
    assert!(first.headers.get("idempotent-replayed").is_none());
    let second = post(&app, &app.admin(), Some("create-once-1"), &body).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(second.headers["cache-control"], "no-store");
    assert_eq!(
        first.body, second.body,
        "the replay is the original response, secret included"
    );
    assert_eq!(key_count(&app).await, 3, "two defaults and one created key");

    // The stored response is sealed: the secret is not in the database in plaintext.
    let secret = first.body["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap();
    assert!(!app.db.raw_contents().await.contains(&secret[7..47]));
    // A replay survives a restart.
    let app = app.restart().await;
    let third = post(&app, &app.admin(), Some("create-once-1"), &body).await;
    assert_eq!(third.body, first.body);
}

#[tokio::test]
async fn the_same_key_for_another_request_is_refused_and_another_caller_has_its_own() {
    let app = TestApp::spawn().await;
    let (_, other_caller) = app
        .create_key(
            "other",
            &[
                "api_keys:write",
                "customers:read",
                "subscriptions:read",
                "coupons:read",
                "event_queue:read",
            ],
        )
        .await;
    post(&app, &app.admin(), Some("k-1"), &json!({ "query": CREATE }))
        .await
        .data();
    let before = key_count(&app).await;
    let different_body = json!({ "query": CREATE.replace("once", "twice") });
    let changed = post(&app, &app.admin(), Some("k-1"), &different_body).await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(changed.code(), "IDEMPOTENCY_CONFLICT");
    // Another key's Idempotency-Keys are its own: it runs, and never gets this key's response.
    let other = post(
        &app,
        &other_caller,
        Some("k-1"),
        &json!({ "query": CREATE }),
    )
    .await;
    assert!(other.headers.get("idempotent-replayed").is_none());
    assert!(other.body["data"]["createApiKey"]["secret"].is_string());
    // Another environment has its own keys.
    let staging = post(
        &app,
        &app.server_key("staging"),
        Some("k-1"),
        &json!({ "query": CREATE }),
    )
    .await;
    assert!(staging.body.get("errors").is_none());
    assert_eq!(key_count(&app).await, before + 1, "the other caller's key");
}

#[tokio::test]
async fn bad_idempotency_keys_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let before = key_count(&app).await;
    let long = "k".repeat(256);
    for key in ["", "has space", long.as_str()] {
        let response = post(&app, &app.admin(), Some(key), &json!({ "query": CREATE })).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{key:?}");
        assert_eq!(response.code(), "BAD_USER_INPUT");
    }
    let twice = app
        .client
        .post(app.url("/graphql"))
        .header("X-API-Key", app.admin())
        .header("Idempotency-Key", "a")
        .header("Idempotency-Key", "b")
        .json(&json!({ "query": CREATE }))
        .send()
        .await
        .unwrap();
    assert_eq!(Gql::read(twice).await.code(), "BAD_USER_INPUT");
    assert_eq!(key_count(&app).await, before);
    // A query ignores the header: nothing is stored, and it runs each time.
    for _ in 0..2 {
        let read = post(
            &app,
            &app.admin(),
            Some("q-1"),
            &json!({ "query": "{ viewer { apiKey { id } } }" }),
        )
        .await;
        assert!(read.headers.get("idempotent-replayed").is_none());
    }
}

#[tokio::test]
async fn concurrent_duplicates_execute_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let body = json!({ "query": CREATE });
    let attempts = (0..6).map(|_| post(&app, &admin, Some("race-1"), &body));
    let results = futures::future::join_all(attempts).await;
    let secrets: std::collections::HashSet<String> = results
        .iter()
        .filter_map(|r| {
            r.body["data"]["createApiKey"]["secret"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        secrets.len(),
        1,
        "every success carries the one secret: {results:?}"
    );
    for r in &results {
        if r.body.get("errors").is_some() {
            assert_eq!(
                (r.status, r.code().as_str()),
                (StatusCode::CONFLICT, "IDEMPOTENCY_CONFLICT")
            );
        }
    }
    assert_eq!(key_count(&app).await, 3, "created exactly once");
}

/// A client that gives up on a create while it waits on a table lock, then retries under the
/// same key: the abandoned request still runs to its end and stores its answer, so the retry
/// gets that answer and one key exists, on `/graphql` and on REST alike. (PostgreSQL only: a
/// table lock holds back the create without holding back the claim, which SQLite's file-wide
/// lock would hold back too.)
#[tokio::test]
async fn a_request_abandoned_by_its_client_still_finishes_and_its_retry_replays_it() {
    use sea_orm::{ConnectionTrait, Database, TransactionTrait};
    let app = TestApp::spawn().await;
    if !app.db.is_postgres() {
        eprintln!("skipped on SQLite: this test locks one PostgreSQL table");
        return;
    }
    let graphql = || {
        app.client
            .post(app.url("/graphql"))
            .json(&json!({ "query": CREATE }))
    };
    let rest = || {
        app.client
            .post(app.url("/api/v1/api-keys"))
            .json(&json!({ "name": "once over REST", "preset": "READ_ONLY" }))
    };
    let requests: [(&str, &dyn Fn() -> reqwest::RequestBuilder); 2] =
        [("graphql", &graphql), ("rest", &rest)];
    for (front_end, request) in requests {
        let before = key_count(&app).await;
        let other = Database::connect(app.db.url()).await.unwrap();
        let lock = other.begin().await.unwrap();
        lock.execute_unprepared("LOCK TABLE api_keys IN EXCLUSIVE MODE")
            .await
            .unwrap();
        let key = format!("abandoned-{front_end}");
        let abandoned = request()
            .header("X-API-Key", app.admin())
            .header("Idempotency-Key", &key)
            .timeout(std::time::Duration::from_millis(500))
            .send()
            .await;
        assert!(
            abandoned.is_err_and(|err| err.is_timeout()),
            "{front_end}: the create waits on the lock"
        );
        // The server notices the closed connection while the create still waits.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        lock.rollback().await.unwrap();
        other.close().await.ok();

        let mut retried = None;
        for _ in 0..50 {
            let response = request()
                .header("X-API-Key", app.admin())
                .header("Idempotency-Key", &key)
                .send()
                .await
                .unwrap();
            if response.status() != StatusCode::CONFLICT {
                retried = Some(response);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let retried = retried
            .unwrap_or_else(|| panic!("{front_end}: the retry is refused as in progress for good"));
        assert!(retried.status().is_success(), "{front_end}: {retried:?}");
        assert_eq!(
            retried.headers()["idempotent-replayed"],
            "true",
            "{front_end}: the retry is the abandoned request's answer"
        );
        assert_eq!(key_count(&app).await, before + 1, "{front_end}: one key");
    }
}
