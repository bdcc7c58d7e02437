//! Event-queue credentials live no longer than their issuer: revoking, disabling or rotating
//! the key that made them, or disabling or removing the person, ends them at once (an open
//! stream or waiting read too); they read only from where the issuing key may be used; and
//! open streams are bounded, one per credential and a few server-wide.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, TestOptions};

const CREDENTIALS: &str = "mutation { createEventQueueCredentials(ttlSeconds: 600) { token } }";
const REVOKE: &str = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }";
const DISABLE: &str =
    "mutation($id: ID!) { disableApiKey(input: {id: $id, reason: \"leaked\"}) { id } }";
const ROTATE: &str =
    "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: NOW}) { secret } }";
const DISABLE_USER: &str = "mutation($id: ID!) { disableUser(input: { id: $id }) { disabled } }";
const REMOVE_USER: &str = "mutation($id: ID!) { removeUser(input: { id: $id }) }";

fn token_of(data: &Value) -> String {
    data["createEventQueueCredentials"]["token"]
        .as_str()
        .expect("credentials")
        .to_owned()
}

async fn credentials(app: &TestApp, key: &str) -> String {
    token_of(&app.ok(key, CREDENTIALS, json!({})).await)
}

async fn credentials_as_user(app: &TestApp, session: &str) -> String {
    token_of(
        &app.as_user(session, "production", CREDENTIALS, json!({}))
            .await
            .data(),
    )
}

fn get(app: &TestApp, path: &str, token: &str) -> reqwest::RequestBuilder {
    app.client.get(app.url(path)).bearer_auth(token)
}

async fn read_status(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let response = get(app, "/v1/events?wait=0", token).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn open_stream(app: &TestApp, token: &str) -> reqwest::Response {
    let response = get(app, "/v1/events/stream?after=0", token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response
}

/// Reads `response` until the server ends it; panics if it is still open after `within`.
async fn ends_within(mut response: reqwest::Response, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let left = within.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, response.chunk()).await {
            Ok(Ok(Some(_))) => {}
            Ok(Ok(None) | Err(_)) => return started.elapsed(),
            Err(_) => panic!("the stream is still open after {within:?}"),
        }
    }
}

/// A long-poll that is waiting for an event that does not come; answers its status and how
/// long it took.
fn waiting_read(app: &TestApp, token: &str) -> tokio::task::JoinHandle<(StatusCode, Duration)> {
    let request = get(app, "/v1/events?after=100000&wait=30", token);
    tokio::spawn(async move {
        let started = Instant::now();
        let response = request.send().await.unwrap();
        (response.status(), started.elapsed())
    })
}

/// The issuer stops working while a stream and a long-poll are open: both end within a couple
/// of seconds, and the next read is 401.
async fn assert_credentials_die(app: &TestApp, token: &str, end_issuer: impl AsyncFnOnce()) {
    assert_eq!(read_status(app, token).await.0, StatusCode::OK);
    let stream = open_stream(app, token).await;
    let waiting = waiting_read(app, token);
    tokio::time::sleep(Duration::from_millis(300)).await;
    end_issuer().await;
    ends_within(stream, Duration::from_secs(3)).await;
    let (status, waited) = waiting.await.unwrap();
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the waiting read is refused"
    );
    assert!(
        waited < Duration::from_secs(4),
        "not held to its 30 s: {waited:?}"
    );
    let (status, body) = read_status(app, token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let response = get(app, "/v1/events/stream", token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn credentials_of_a_revoked_key_stop_reading_at_once() {
    let app = TestApp::spawn().await;
    let (id, reader) = app.create_key("queue reader", &["event_queue:read"]).await;
    let token = credentials(&app, &reader).await;
    assert_credentials_die(&app, &token, async || {
        app.ok(&app.admin(), REVOKE, json!({ "id": id })).await;
    })
    .await;
}

#[tokio::test]
async fn credentials_of_a_disabled_key_stop_reading_at_once() {
    let app = TestApp::spawn().await;
    let (id, reader) = app.create_key("queue reader", &["event_queue:read"]).await;
    let token = credentials(&app, &reader).await;
    assert_credentials_die(&app, &token, async || {
        app.ok(&app.admin(), DISABLE, json!({ "id": id })).await;
    })
    .await;
}

#[tokio::test]
async fn credentials_of_a_key_rotated_past_its_grace_stop_reading() {
    let app = TestApp::spawn().await;
    let (id, reader) = app.create_key("queue reader", &["event_queue:read"]).await;
    let token = credentials(&app, &reader).await;
    assert_credentials_die(&app, &token, async || {
        app.ok(&app.admin(), ROTATE, json!({ "id": id })).await;
    })
    .await;
}

#[tokio::test]
async fn credentials_of_a_disabled_person_stop_reading_at_once() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let token = credentials_as_user(&app, &people.member.token).await;
    assert_credentials_die(&app, &token, async || {
        app.as_user(
            &people.owner.token,
            "production",
            DISABLE_USER,
            json!({ "id": people.member.id }),
        )
        .await
        .data();
    })
    .await;
}

#[tokio::test]
async fn credentials_of_a_removed_person_stop_reading_at_once() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let token = credentials_as_user(&app, &people.read_only.token).await;
    assert_credentials_die(&app, &token, async || {
        app.as_user(
            &people.owner.token,
            "production",
            REMOVE_USER,
            json!({ "id": people.read_only.id }),
        )
        .await
        .data();
    })
    .await;
}

#[tokio::test]
async fn credentials_cannot_read_from_outside_the_issuing_keys_allow_list() {
    let app = TestApp::spawn_with(TestOptions {
        trusted_proxies: Some("127.0.0.1"),
        ..TestOptions::default()
    })
    .await;
    let (_, reader) = app
        .create_key_from(json!({
            "name": "office reader",
            "scopes": ["event_queue:read"],
            "allowedIps": ["10.0.0.0/8"],
        }))
        .await;
    // Issued from inside the allow-list, through the trusted proxy.
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("X-API-Key", &reader)
        .header("X-Forwarded-For", "10.1.2.3")
        .json(&json!({ "query": CREDENTIALS }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let token = token_of(&body["data"]);

    let inside = get(&app, "/v1/events?wait=0", &token)
        .header("X-Forwarded-For", "10.1.2.3")
        .send()
        .await
        .unwrap();
    assert_eq!(inside.status(), StatusCode::OK);
    for path in ["/v1/events?wait=0", "/v1/events/stream"] {
        for forwarded in [Some("192.0.2.7"), None] {
            let mut request = get(&app, path, &token);
            if let Some(address) = forwarded {
                request = request.header("X-Forwarded-For", address);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} from {forwarded:?}"
            );
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
            assert_eq!(body["errors"][0]["extensions"]["reason"], "IP_NOT_ALLOWED");
        }
    }
}

#[tokio::test]
async fn one_credential_cannot_open_a_second_stream() {
    let app = TestApp::spawn().await;
    let token = credentials(&app, &app.admin()).await;
    let first = open_stream(&app, &token).await;
    let second = get(&app, "/v1/events/stream", &token).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    // Other credentials are not held back, and closing the stream frees its place.
    let other = credentials(&app, &app.admin()).await;
    drop(open_stream(&app, &other).await);
    drop(first);
    let mut reopened = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..50 {
        let response = get(&app, "/v1/events/stream", &token).send().await.unwrap();
        reopened = response.status();
        if reopened == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        reopened,
        StatusCode::OK,
        "a closed stream gives its place back"
    );
}

#[tokio::test]
async fn open_streams_are_capped_across_the_server() {
    let app = TestApp::spawn_with(TestOptions {
        max_event_streams: 2,
        ..TestOptions::default()
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let token = credentials(&app, &app.admin()).await;
        open.push(open_stream(&app, &token).await);
    }
    let token = credentials(&app, &app.admin()).await;
    let refused = get(&app, "/v1/events/stream", &token).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    // Reads that do not stream still work.
    assert_eq!(read_status(&app, &token).await.0, StatusCode::OK);
}
