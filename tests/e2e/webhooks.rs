//! Webhooks: signed deliveries from the outbox, in order per key, retried after failures and
//! outages, resumed after a restart, refused for private destinations without the flag,
//! replayable, and sent once with two replicas (private destinations: `webhook_destinations`).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Receiver, TestApp, check_connection};

pub(crate) const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { signingSecret endpoint { id url events enabled } } }";
pub(crate) const DELIVERIES: &str =
    "query($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 20) {
  nodes { id messageId eventType seq status attemptCount
          attempts { statusCode error succeeded durationMs responseExcerpt } } } } }";

const ENDPOINT_PAGE: &str = "query($first: Int, $after: String) {
  webhookEndpoints(first: $first, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";

/// Creates an endpoint for every event at `url`; answers `(id, secret)`.
pub(crate) async fn endpoint(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let data = app
        .ok(
            &app.admin(),
            CREATE,
            json!({ "input": { "url": url, "events": events, "description": "test receiver" } }),
        )
        .await;
    let created = &data["createWebhookEndpoint"];
    (
        created["endpoint"]["id"].as_str().unwrap().to_owned(),
        created["signingSecret"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn deliveries(app: &TestApp, endpoint_id: &str) -> Vec<Value> {
    let data = app
        .ok(&app.admin(), DELIVERIES, json!({ "id": endpoint_id }))
        .await;
    data["webhookEndpoint"]["deliveries"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

/// The types of the key events received, in arrival order.
fn types(received: &[crate::harness::Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .filter(|t| t.starts_with("key."))
        .collect()
}

#[tokio::test]
async fn deliveries_are_signed_in_order_and_carry_no_secret() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (endpoint_id, secret) = endpoint(&app, &receiver.url(), &["*"]).await;
    assert!(secret.starts_with("whsec_"));

    let (key_id, key_secret) = app.create_key("billing", &["customers:read"]).await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { updateApiKeyScopes(input: {id: $id, scopes: [\"customers:write\"]}) { id } }",
        json!({ "id": key_id }),
    )
    .await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
        json!({ "id": key_id }),
    )
    .await;
    let received = receiver
        .wait_for("three key events", |r| types(r).len() >= 3)
        .await;
    // The endpoint's own creation came first.
    assert_eq!(received[0].json()["type"], "webhook_endpoint.created");
    let received: Vec<_> = received
        .into_iter()
        .filter(|r| r.json()["type"] != "webhook_endpoint.created")
        .collect();
    assert_eq!(
        types(&received),
        ["key.created", "key.scopes_updated", "key.revoked"]
    );
    let mut seqs = Vec::new();
    for r in &received {
        assert!(r.signed_with(&secret), "signature of {}", r.id);
        let body = r.json();
        assert_eq!(r.id, body["id"], "webhook-id is the event id");
        assert_eq!(body["data"]["apiKeyId"], key_id);
        assert_eq!(body["data"]["actor"]["type"], "API_KEY");
        let timestamp: i64 = r.timestamp.parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains(&key_secret) && !text.contains(&key_secret[7..]));
        seqs.push(body["seq"].as_i64().unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // A rotated secret signs from then on; the old one no longer does.
    let data = app
        .ok(
            &app.admin(),
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { signingSecret } }",
            json!({ "id": endpoint_id }),
        )
        .await;
    let rotated = data["rotateWebhookSecret"]["signingSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_key("after rotation", &["customers:read"]).await;
    let received = receiver
        .wait_for("the event after rotation", |r| {
            types(r).iter().filter(|t| *t == "key.created").count() == 2
        })
        .await;
    let last = received
        .iter()
        .rfind(|r| r.json()["type"] == "key.created")
        .unwrap();
    assert!(last.signed_with(&rotated));
    assert!(!last.signed_with(&secret));

    // The endpoint's own changes are audited, and reached the receiver too.
    let audit = app
        .ok(
            &app.admin(),
            "{ auditEvents(first: 50, filter: {subject: ENVIRONMENT}) { edges { node { type after { webhook { id url secretRotated } } } } } }",
            json!({}),
        )
        .await;
    let kinds: Vec<&str> = audit["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"WEBHOOK_ENDPOINT_CREATED"), "{kinds:?}");
    assert!(kinds.contains(&"WEBHOOK_ENDPOINT_UPDATED"), "{kinds:?}");
    let all: Vec<_> = receiver
        .received()
        .iter()
        .map(|r| r.json()["type"].clone())
        .collect();
    assert!(all.contains(&json!("webhook_endpoint.updated")), "{all:?}");
}

#[tokio::test]
async fn bad_endpoints_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let before = app.snapshot().await;
    for (input, field) in [
        (
            json!({ "url": "ftp://hooks.example", "events": ["*"] }),
            "url",
        ),
        (
            json!({ "url": "https://hooks.example", "events": [] }),
            "events",
        ),
        (
            json!({ "url": "https://hooks.example", "events": ["key.nope"] }),
            "events",
        ),
        (
            json!({ "url": "https://user:pw@hooks.example", "events": ["*"] }),
            "url",
        ),
    ] {
        let response = app
            .gql(Some(&app.admin()), CREATE, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(response.first_error()["extensions"]["field"], field);
    }
    // Only full access may manage endpoints (security::webhook_management has the whole rule).
    let (_, reader) = app.create_key("reader", &["api_keys:read"]).await;
    let before_reader = app.snapshot().await;
    let response = app
        .gql(
            Some(&reader),
            CREATE,
            json!({ "input": { "url": "https://hooks.example", "events": ["*"] } }),
        )
        .await;
    assert_eq!(response.code(), "FORBIDDEN");
    assert_eq!(app.snapshot().await, before_reader);
    assert_ne!(before, before_reader, "only the reader key was added");
}

#[tokio::test]
async fn failed_deliveries_are_retried_in_order_and_recorded() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (endpoint_id, _) = endpoint(&app, &receiver.url(), &["key.created", "key.updated"]).await;
    let (key_id, _) = app.create_key("retried", &["customers:read"]).await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { updateApiKey(input: {id: $id, name: \"renamed\"}) { id } }",
        json!({ "id": key_id }),
    )
    .await;
    receiver
        .wait_for("three failed attempts", |r| r.len() >= 3)
        .await;
    // The key's second event waits behind its first while that one fails.
    assert!(
        types(&receiver.received())
            .iter()
            .all(|t| t == "key.created")
    );
    receiver.answer(200);
    let received = receiver
        .wait_for("both events delivered", |r| {
            r.iter().filter(|r| r.answered == 200).count() == 2
        })
        .await;
    let delivered: Vec<_> = received.iter().filter(|r| r.answered == 200).collect();
    assert_eq!(delivered[0].json()["type"], "key.created");
    assert_eq!(delivered[1].json()["type"], "key.updated");
    // Every attempt of one delivery carries the same message id.
    let created_ids: HashSet<_> = received
        .iter()
        .filter(|r| r.json()["type"] == "key.created")
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(created_ids.len(), 1);

    let found = deliveries(&app, &endpoint_id).await;
    let created = found
        .iter()
        .find(|d| d["eventType"] == "key.created")
        .unwrap();
    assert_eq!(created["status"], "SUCCEEDED");
    let attempts = created["attempts"].as_array().unwrap();
    assert!(attempts.len() >= 4, "{attempts:?}");
    assert!(
        attempts[..attempts.len() - 1]
            .iter()
            .all(|a| a["statusCode"] == 500 && a["succeeded"] == false)
    );
    assert_eq!(attempts.last().unwrap()["statusCode"], 200);
    assert_eq!(created["attemptCount"], attempts.len());
}

#[tokio::test]
async fn an_outage_and_a_restart_lose_nothing_and_replay_sends_again() {
    let app = TestApp::spawn().await;
    let mut receiver = Receiver::start().await;
    let (endpoint_id, secret) = endpoint(&app, &receiver.url(), &["key.created"]).await;
    receiver.go_down().await;
    app.create_key("during the outage", &["customers:read"])
        .await;
    // Attempts fail with the receiver down, and are recorded as such.
    for _ in 0..100 {
        let found = deliveries(&app, &endpoint_id).await;
        if found[0]["attemptCount"].as_u64().unwrap() >= 2 {
            let attempt = &found[0]["attempts"][0];
            assert!(attempt["statusCode"].is_null());
            assert!(
                attempt["error"].as_str().unwrap().contains("connect"),
                "{attempt}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Keyplane restarts while the receiver is still down; the delivery resumes afterwards.
    let app = app.restart().await;
    receiver.come_back().await;
    let received = receiver
        .wait_for("the event sent during the outage", |r| !r.is_empty())
        .await;
    assert!(received[0].signed_with(&secret));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.delivered().len(), 1, "delivered once");

    let found = deliveries(&app, &endpoint_id).await;
    assert_eq!(found[0]["status"], "SUCCEEDED");
    let data = app
        .ok(
            &app.admin(),
            "mutation($id: ID!) { replayWebhookDelivery(id: $id) { status messageId } }",
            json!({ "id": found[0]["id"] }),
        )
        .await;
    assert_eq!(data["replayWebhookDelivery"]["status"], "PENDING");
    let received = receiver
        .wait_for("the replay", |r| {
            r.iter().filter(|r| r.answered == 200).count() == 2
        })
        .await;
    let ids: HashSet<_> = received.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 1, "a replay keeps the message id");
    let response = app
        .gql(
            Some(&app.admin()),
            "mutation { replayWebhookDelivery(id: \"999999\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(response.code(), "NOT_FOUND");
}

#[tokio::test]
async fn two_replicas_deliver_each_event_once() {
    let app = TestApp::spawn().await;
    let replica = app.replica().await;
    let receiver = Receiver::start().await;
    endpoint(&app, &receiver.url(), &["key.created"]).await;
    let client = crate::harness::client();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = if i % 2 == 0 {
            app.url("/graphql")
        } else {
            replica.url("/graphql")
        };
        let (client, admin) = (client.clone(), app.admin());
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("X-API-Key", admin)
                .json(&json!({ "query": format!(
                    "mutation {{ createApiKey(input: {{name: \"k{i}\", scopes: [\"customers:read\"]}}) {{ apiKey {{ id }} }} }}"
                ) }))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    receiver.wait_for("20 events", |r| r.len() >= 20).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let received = receiver.received();
    let ids: HashSet<_> = received.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 20);
    assert_eq!(received.len(), 20, "no event was delivered twice");
    replica.stop().await;
}

#[tokio::test]
async fn endpoints_are_listed_newest_first_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    // Nothing is ever sent: no key is revoked, and nothing listens on the discard port.
    let url = "http://127.0.0.1:9/hooks";
    let mut made = Vec::new();
    for _ in 0..2 {
        made.push(endpoint(&app, url, &["key.revoked"]).await.0);
    }
    // Made between production's second and third endpoints, in staging.
    let staging = app
        .ok(
            &app.server_key("staging"),
            CREATE,
            json!({ "input": { "url": url, "events": ["key.revoked"] } }),
        )
        .await;
    let foreign = staging["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        made.push(endpoint(&app, url, &["key.revoked"]).await.0);
    }
    made.reverse();
    let admin = app.admin();
    check_connection(
        async |variables| app.gql(Some(&admin), ENDPOINT_PAGE, variables).await,
        |data| &data["webhookEndpoints"],
        &made,
        Some(&foreign),
    )
    .await;
}
