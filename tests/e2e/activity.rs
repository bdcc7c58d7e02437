//! The activity log and last-used times: written off the request path, never lost on a
//! graceful restart.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, TestOptions, nodes_of};

const ACTIVITY: &str = "query($filter: ActivityEventFilter) {
  activityEvents(first: 50, filter: $filter) {
    edges { node { operationName operationType rootFields outcome httpStatus durationMicros occurredAt apiKey { name } } }
  }
}";

fn nodes(data: &Value) -> Vec<Value> {
    nodes_of(&data["activityEvents"])
}

#[tokio::test]
async fn every_graphql_request_is_recorded_with_its_outcome() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.create_key("recorded", &["customers:read"]).await;
    app.ok(&secret, "query Me { viewer { apiKey { id } } }", json!({}))
        .await;
    let forbidden = app
        .gql(
            Some(&secret),
            "query Keys { apiKeys { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let unauthenticated = app
        .gql(None, "{ viewer { apiKey { id } } }", json!({}))
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);

    let filter = json!({ "apiKeyId": id });
    let data = app
        .eventually(ACTIVITY, json!({ "filter": filter }), |d| {
            nodes(d).len() == 2
        })
        .await;
    let events = nodes(&data);
    assert_eq!(events[0]["operationName"], "Keys");
    assert_eq!(events[0]["operationType"], "QUERY");
    assert_eq!(events[0]["rootFields"], json!(["apiKeys"]));
    assert_eq!(events[0]["outcome"], "FORBIDDEN");
    assert_eq!(events[0]["httpStatus"], 403);
    assert_eq!(events[1]["operationName"], "Me");
    assert_eq!(events[1]["outcome"], "OK");
    assert_eq!(events[1]["httpStatus"], 200);
    assert_eq!(events[1]["apiKey"]["name"], "recorded");
    assert!(events[1]["durationMicros"].as_i64().unwrap() > 0);

    // The creating mutation was recorded against the full-access key.
    let mutations = app
        .eventually(
            ACTIVITY,
            json!({ "filter": { "operationType": "MUTATION" } }),
            |d| !nodes(d).is_empty(),
        )
        .await;
    assert_eq!(nodes(&mutations)[0]["rootFields"], json!(["createApiKey"]));
    assert_eq!(nodes(&mutations)[0]["apiKey"]["name"], "Full access key");

    let forbidden_only = app
        .ok(
            &app.admin(),
            ACTIVITY,
            json!({ "filter": { "outcome": "FORBIDDEN" } }),
        )
        .await;
    assert_eq!(nodes(&forbidden_only).len(), 1);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let none = app
        .ok(
            &app.admin(),
            ACTIVITY,
            json!({ "filter": { "since": future } }),
        )
        .await;
    assert!(nodes(&none).is_empty());
    let per_key = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { activityEvents { edges { node { outcome } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        per_key["apiKey"]["activityEvents"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let bad = app
        .gql(
            Some(&app.admin()),
            ACTIVITY,
            json!({ "filter": { "outcome": "" } }),
        )
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn last_used_is_recorded_for_requests_and_valid_verifications() {
    let app = TestApp::spawn().await;
    let (used_id, used) = app.create_key("used", &["customers:read"]).await;
    let (verified_id, verified) = app.create_key("verified", &["customers:read"]).await;
    let (idle_id, _) = app.create_key("idle", &["customers:read"]).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    app.ok(&used, "{ viewer { apiKey { id } } }", json!({}))
        .await;
    app.ok(
        &app.admin(),
        "query($k: String!) { verifyApiKey(input: {key: $k}) { code } }",
        json!({ "k": verified }),
    )
    .await;
    let query = "query($a: ID!, $b: ID!, $c: ID!) { a: apiKey(id: $a) { lastUsedAt } b: apiKey(id: $b) { lastUsedAt } c: apiKey(id: $c) { lastUsedAt } }";
    let ids = json!({ "a": used_id, "b": verified_id, "c": idle_id });
    let data = app
        .eventually(query, ids, |d| {
            d["a"]["lastUsedAt"].is_string() && d["b"]["lastUsedAt"].is_string()
        })
        .await;
    for alias in ["a", "b"] {
        let at = chrono::DateTime::parse_from_rfc3339(data[alias]["lastUsedAt"].as_str().unwrap())
            .unwrap();
        assert!(at >= before && at <= chrono::Utc::now(), "{alias}: {at}");
    }
    assert_eq!(
        data["c"]["lastUsedAt"],
        Value::Null,
        "an unused key has never been used"
    );
}

#[tokio::test]
async fn a_graceful_restart_flushes_buffered_activity_and_last_used() {
    // Flushing only every hour: whatever is written, the shutdown wrote.
    let app = TestApp::spawn_with(TestOptions {
        flush: Duration::from_secs(3600),
        ..TestOptions::default()
    })
    .await;
    let (id, secret) = app.create_key("buffered", &["customers:read"]).await;
    for _ in 0..3 {
        app.ok(
            &secret,
            "query Ping { viewer { apiKey { id } } }",
            json!({}),
        )
        .await;
    }
    let app = app.restart().await;
    let data = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { lastUsedAt activityEvents { edges { node { operationName } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(data["apiKey"]["lastUsedAt"].is_string());
    let names: Vec<&str> = data["apiKey"]["activityEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["operationName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ping", "Ping", "Ping"]);
}
