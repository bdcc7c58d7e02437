//! Webhook endpoints over REST: their whole life, listed a page at a time, deliveries and
//! replay; refused with their code; 404 for another environment's.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::call;
use super::check_list;
use crate::harness::{Receiver, TestApp};

#[tokio::test]
async fn a_webhook_endpoint_lives_its_whole_life_over_rest() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let receiver = Receiver::start().await;
    let created = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/webhook-endpoints",
        Some(json!({ "url": receiver.url(), "events": ["*"], "description": "receiver" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["endpoint"]["id"].as_str().unwrap().to_owned();
    let location = created.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/webhook-endpoints/{id}"));
    let secret = created.body["signingSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    let got = call(&app, &admin, Method::GET, &location, None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["events"], json!(["*"]));
    assert!(got.body.get("signingSecret").is_none());
    let list = call(&app, &admin, Method::GET, "/api/v1/webhook-endpoints", None).await;
    assert_eq!(list.body["data"][0]["id"], id.as_str(), "{}", list.body);
    assert_eq!(list.body["has_more"], false);

    let patched = call(
        &app,
        &admin,
        Method::PATCH,
        &location,
        Some(json!({ "description": null, "events": ["key.created"] })),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["description"], json!(null));
    assert_eq!(patched.body["events"], json!(["key.created"]));
    assert_eq!(patched.body["url"], receiver.url());
    // A PATCH naming nothing is refused and writes nothing, not even an audit event.
    let audit_before = app.snapshot().await;
    let empty = call(&app, &admin, Method::PATCH, &location, Some(json!({}))).await;
    assert_eq!(
        (empty.status, empty.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        "{}",
        empty.body
    );
    assert_eq!(app.snapshot().await, audit_before);

    // Two deliveries (its own creation, then a key's), a page at a time, newest first.
    app.create_key("billing", &["customers:read"]).await;
    receiver
        .wait_for("the key's event", |r| {
            r.iter().any(|r| r.json()["type"] == "key.created")
        })
        .await;
    let deliveries = format!("{location}/deliveries");
    let page = call(
        &app,
        &admin,
        Method::GET,
        &format!("{deliveries}?limit=1"),
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body["data"][0]["eventType"], "key.created");
    assert_eq!(page.body["data"][0]["endpointId"], id.as_str());
    assert_eq!(page.body["has_more"], true);
    let mut cursor = page.body["next_cursor"].as_str().map(str::to_owned);
    let mut older = Vec::new();
    while let Some(after) = cursor {
        let next = call(
            &app,
            &admin,
            Method::GET,
            &format!("{deliveries}?limit=1&starting_after={after}"),
            None,
        )
        .await;
        assert_eq!(next.status, StatusCode::OK, "{}", next.body);
        older.push(next.body["data"][0]["eventType"].clone());
        cursor = next.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(older.last(), Some(&json!("webhook_endpoint.created")));

    let delivery_id = page.body["data"][0]["id"].as_str().unwrap();
    let replayed = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/webhook-deliveries/{delivery_id}/replay"),
        None,
    )
    .await;
    assert_eq!(replayed.status, StatusCode::OK, "{}", replayed.body);
    assert_eq!(replayed.body["status"], "PENDING");
    assert!(replayed.body["nextAttemptAt"].is_string());

    let rotated = call(
        &app,
        &admin,
        Method::POST,
        &format!("{location}/rotate-secret"),
        None,
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    assert_ne!(rotated.body["signingSecret"], secret.as_str());

    let deleted = call(&app, &admin, Method::DELETE, &location, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, Value::Null);
    let after = call(&app, &admin, Method::GET, &location, None).await;
    assert_eq!(
        (after.status, after.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
}

#[tokio::test]
async fn webhook_endpoints_refuse_partial_access_and_bad_destinations() {
    let app = TestApp::spawn().await;
    let (_, writer) = app
        .create_key("writer", &["api_keys:write", "api_keys:read"])
        .await;
    let before = app.snapshot().await;
    let forbidden = call(
        &app,
        &writer,
        Method::POST,
        "/api/v1/webhook-endpoints",
        Some(json!({ "url": "https://example.com/hook", "events": ["*"] })),
    )
    .await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    // Authorization comes before input: a caller who may not manage endpoints learns nothing
    // about which destinations would be accepted.
    let forbidden_bad_url = call(
        &app,
        &writer,
        Method::POST,
        "/api/v1/webhook-endpoints",
        Some(json!({ "url": "ftp://127.0.0.1/hook", "events": ["*"] })),
    )
    .await;
    assert_eq!(
        (forbidden_bad_url.status, forbidden_bad_url.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "{}",
        forbidden_bad_url.body
    );
    for (body, field) in [
        (
            json!({ "url": "ftp://example.com/hook", "events": ["*"] }),
            "url",
        ),
        (
            json!({ "url": "https://example.com/hook", "events": ["key.exploded"] }),
            "events",
        ),
    ] {
        let bad = call(
            &app,
            &app.admin(),
            Method::POST,
            "/api/v1/webhook-endpoints",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (bad.status, bad.code()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{body}: {}",
            bad.body
        );
        assert_eq!(bad.body["error"]["field"], field, "{}", bad.body);
    }
    let malformed = call(
        &app,
        &app.admin(),
        Method::POST,
        "/api/v1/webhook-deliveries/not-a-number/replay",
        None,
    )
    .await;
    assert_eq!(
        (malformed.status, malformed.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert_eq!(app.snapshot().await, before);
    let list = call(
        &app,
        &writer,
        Method::GET,
        "/api/v1/webhook-endpoints",
        None,
    )
    .await;
    assert_eq!(
        list.status,
        StatusCode::OK,
        "reading needs only api_keys:read"
    );
    assert_eq!(list.body["data"], json!([]));
}

#[tokio::test]
async fn a_webhook_endpoint_of_another_environment_is_not_found() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let created = call(
        &app,
        &app.admin(),
        Method::POST,
        "/api/v1/webhook-endpoints",
        Some(json!({ "url": receiver.url(), "events": ["*"] })),
    )
    .await;
    let id = created.body["endpoint"]["id"].as_str().unwrap().to_owned();
    receiver
        .wait_for("the endpoint's own event", |r| !r.is_empty())
        .await;
    let deliveries = call(
        &app,
        &app.admin(),
        Method::GET,
        &format!("/api/v1/webhook-endpoints/{id}/deliveries"),
        None,
    )
    .await;
    let delivery_id = deliveries.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let staging = app.server_key("staging");
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/webhook-endpoints/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/webhook-endpoints/{id}"),
            Some(json!({ "enabled": false })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/webhook-endpoints/{id}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/webhook-endpoints/{id}/rotate-secret"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/webhook-endpoints/{id}/deliveries"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/webhook-deliveries/{delivery_id}/replay"),
            None,
        ),
    ] {
        let answer = call(&app, &staging, method.clone(), &path, body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{method} {path}"
        );
    }
    let still = call(
        &app,
        &app.admin(),
        Method::GET,
        &format!("/api/v1/webhook-endpoints/{id}"),
        None,
    )
    .await;
    assert_eq!(still.body["enabled"], true);
}

/// Creates an endpoint with `key` that nothing is ever sent to (no key is revoked, and
/// nothing listens on the discard port); answers its id.
async fn quiet_endpoint(app: &TestApp, key: &str) -> String {
    let created = call(
        app,
        key,
        Method::POST,
        "/api/v1/webhook-endpoints",
        Some(json!({ "url": "http://127.0.0.1:9/hooks", "events": ["key.revoked"] })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["endpoint"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn webhook_endpoints_are_listed_newest_first_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let mut made = Vec::new();
    for _ in 0..2 {
        made.push(quiet_endpoint(&app, &admin).await);
    }
    // Made in staging between production's second and third endpoints.
    let foreign = quiet_endpoint(&app, &app.server_key("staging")).await;
    for _ in 0..2 {
        made.push(quiet_endpoint(&app, &admin).await);
    }
    made.reverse();
    check_list(&app, &admin, "/api/v1/webhook-endpoints", &made, &foreign).await;
}
