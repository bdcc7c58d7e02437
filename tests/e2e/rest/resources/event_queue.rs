//! Event-queue credentials over REST: issued, used, refused with their code.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::super::{call, read};
use crate::harness::TestApp;

#[tokio::test]
async fn event_queue_credentials_are_issued_over_rest_and_read_events() {
    let app = TestApp::spawn().await;
    let issued = call(
        &app,
        &app.admin(),
        Method::POST,
        "/api/v1/event-queue-credentials",
        Some(json!({ "ttlSeconds": 120 })),
    )
    .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    assert_eq!(issued.headers["cache-control"], "no-store");
    let expires: chrono::DateTime<chrono::Utc> =
        issued.body["expiresAt"].as_str().unwrap().parse().unwrap();
    let lasts = expires - chrono::Utc::now();
    assert!(
        lasts <= chrono::Duration::seconds(120) && lasts > chrono::Duration::seconds(100),
        "{lasts}"
    );
    let token = issued.body["token"].as_str().unwrap();
    let path = issued.body["eventsPath"].as_str().unwrap();
    let events = read(
        app.client
            .get(app.url(&format!("{path}?wait=0")))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    assert!(events.body["events"].is_array());
}

#[tokio::test]
async fn event_queue_credentials_need_the_scope_and_a_lifetime_in_range() {
    let app = TestApp::spawn().await;
    let (_, reader) = app.create_key("reader", &["customers:read"]).await;
    let forbidden = call(
        &app,
        &reader,
        Method::POST,
        "/api/v1/event-queue-credentials",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    assert_eq!(forbidden.body["error"]["requiredScope"], "event_queue:read");
    let short = call(
        &app,
        &app.admin(),
        Method::POST,
        "/api/v1/event-queue-credentials",
        Some(json!({ "ttlSeconds": 5 })),
    )
    .await;
    assert_eq!(
        (short.status, short.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    assert_eq!(short.body["error"]["field"], "ttlSeconds");
}
