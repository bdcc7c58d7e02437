//! The environment's other resources over REST: its settings, integrations, webhook endpoints
//! and their deliveries, event-queue credentials. Each works, is refused with its code and
//! nothing changed, and answers 404 for an id of another environment.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Rest, call, read};
use crate::harness::{Receiver, TestApp};

/// The production environment as REST shows it.
async fn environment(app: &TestApp) -> Value {
    let got = call(app, &app.admin(), Method::GET, "/api/v1/environment", None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    got.body
}

/// `method path` with a person's session, acting in production.
async fn as_person(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Rest {
    read(
        app.client
            .request(method, app.url(path))
            .bearer_auth(token)
            .header("Keyplane-Environment", "production")
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn environment_settings_are_read_and_replaced_over_rest() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let before = environment(&app).await;
    assert_eq!(before["slug"], "production");
    assert_eq!(before["type"], "PRODUCTION");
    assert_eq!(before["defaultRateLimit"], json!(null));
    assert_eq!(before["leakPolicy"], "REVOKE");
    assert_eq!(
        before["clientSecurity"],
        json!({ "enabled": false, "allowedOrigins": [] })
    );

    let limited = call(
        &app,
        &admin,
        Method::PUT,
        "/api/v1/environment/default-rate-limit",
        Some(json!({ "rateLimit": { "requests": 100, "periodSeconds": 60 } })),
    )
    .await;
    assert_eq!(limited.status, StatusCode::OK, "{}", limited.body);
    assert_eq!(
        limited.body["defaultRateLimit"],
        json!({ "requests": 100, "periodSeconds": 60, "mode": "EXACT" })
    );
    // Client-side security needs a signing secret. The first needs no grace period; the next
    // one does.
    let first = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/environment/signing-secret/rotate",
        Some(json!({})),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let secret = first.body["signingSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("kpsign-"));
    assert_eq!(first.headers["cache-control"], "no-store");
    let no_grace = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/environment/signing-secret/rotate",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (no_grace.status, no_grace.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    assert_eq!(no_grace.body["error"]["field"], "gracePeriod");
    let second = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/environment/signing-secret/rotate",
        Some(json!({ "gracePeriod": "ONE_HOUR" })),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_ne!(second.body["signingSecret"], secret.as_str());

    let secured = call(
        &app,
        &admin,
        Method::PUT,
        "/api/v1/environment/client-security",
        Some(json!({ "enabled": true, "allowedOrigins": ["https://app.example.com"] })),
    )
    .await;
    assert_eq!(secured.status, StatusCode::OK, "{}", secured.body);
    assert_eq!(
        secured.body["clientSecurity"],
        json!({ "enabled": true, "allowedOrigins": ["https://app.example.com"] })
    );
    assert_eq!(secured.body["defaultRateLimit"]["requests"], 100);

    let notify = call(
        &app,
        &admin,
        Method::PUT,
        "/api/v1/environment/leak-policy",
        Some(json!({ "policy": "NOTIFY" })),
    )
    .await;
    assert_eq!(notify.status, StatusCode::OK, "{}", notify.body);
    assert_eq!(notify.body["leakPolicy"], "NOTIFY");

    // Recoverable keys are an owner's to turn on, with a session.
    let owner = app.setup_owner().await;
    let recoverable = as_person(
        &app,
        &owner.token,
        Method::PUT,
        "/api/v1/environment/recoverable-keys",
        json!({ "enabled": true }),
    )
    .await;
    assert_eq!(recoverable.status, StatusCode::OK, "{}", recoverable.body);
    assert_eq!(recoverable.body["recoverableKeys"], true);

    let cleared = call(
        &app,
        &admin,
        Method::PUT,
        "/api/v1/environment/default-rate-limit",
        Some(json!({ "rateLimit": null })),
    )
    .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
    let after = environment(&app).await;
    assert_eq!(after["defaultRateLimit"], json!(null));
    assert_eq!(after["clientSecurity"]["enabled"], true);
    assert_eq!(after["leakPolicy"], "NOTIFY");
    assert_eq!(after["recoverableKeys"], true);

    // Each change is in the environment's trail, as it is when made over GraphQL.
    let trail = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/audit-events?subject=ENVIRONMENT",
        None,
    )
    .await;
    let types: Vec<_> = trail.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "DEFAULT_RATE_LIMIT_CHANGED",
            "LEAK_POLICY_CHANGED",
            "CLIENT_SECURITY_UPDATED",
            "SIGNING_SECRET_ROTATED",
            "SIGNING_SECRET_ROTATED",
            "DEFAULT_RATE_LIMIT_CHANGED"
        ],
        "{}",
        trail.body
    );
}

#[tokio::test]
async fn environment_settings_refuse_callers_without_the_right_and_bad_input() {
    let app = TestApp::spawn().await;
    let (_, writer) = app.create_key("writer", &["api_keys:write"]).await;
    let before_env = environment(&app).await;
    let before = app.snapshot().await;

    let forbidden = call(
        &app,
        &writer,
        Method::PUT,
        "/api/v1/environment/default-rate-limit",
        Some(json!({ "rateLimit": { "requests": 1, "periodSeconds": 60 } })),
    )
    .await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    let leak = call(
        &app,
        &writer,
        Method::PUT,
        "/api/v1/environment/leak-policy",
        Some(json!({ "policy": "NOTIFY" })),
    )
    .await;
    assert_eq!(leak.status, StatusCode::FORBIDDEN, "{}", leak.body);
    // Even the full-access key is not an owner.
    let not_owner = call(
        &app,
        &app.admin(),
        Method::PUT,
        "/api/v1/environment/recoverable-keys",
        Some(json!({ "enabled": true })),
    )
    .await;
    assert_eq!(
        (not_owner.status, not_owner.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    for body in [
        // An empty body does not clear the limit by accident.
        json!({}),
        json!({ "rateLimit": { "requests": 0, "periodSeconds": 60 } }),
        json!({ "rateLimit": null, "sneaky": true }),
    ] {
        let bad = call(
            &app,
            &app.admin(),
            Method::PUT,
            "/api/v1/environment/default-rate-limit",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (bad.status, bad.code()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{body}: {}",
            bad.body
        );
    }
    let bad_origin = call(
        &app,
        &app.admin(),
        Method::PUT,
        "/api/v1/environment/client-security",
        Some(json!({ "enabled": true, "allowedOrigins": ["not an origin"] })),
    )
    .await;
    assert_eq!(bad_origin.code(), "BAD_USER_INPUT", "{}", bad_origin.body);
    assert_eq!(environment(&app).await, before_env);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn an_integration_is_connected_read_listed_and_disconnected_over_rest() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let connected = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "SALESFORCE" })),
    )
    .await;
    assert_eq!(connected.status, StatusCode::CREATED, "{}", connected.body);
    let id = connected.body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let location = connected.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/integrations/{id}"));
    assert_eq!(connected.body["apiKey"]["type"], "INTEGRATION");
    assert!(
        connected.body["secret"]
            .as_str()
            .unwrap()
            .starts_with("server-")
    );

    let got = call(&app, &admin, Method::GET, &location, None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["provider"], "SALESFORCE");
    assert_eq!(got.body["connected"], true);

    let gone = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/integrations/{id}/disconnect"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    assert_eq!(gone.body["connected"], false);
    let key_id = connected.body["apiKey"]["id"].as_str().unwrap();
    let key = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/api-keys/{key_id}"),
        None,
    )
    .await;
    assert_eq!(key.body["status"], "REVOKED");

    // Reconnected: two, newest first, in one page.
    call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "SALESFORCE" })),
    )
    .await;
    let list = call(&app, &admin, Method::GET, "/api/v1/integrations", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let connected: Vec<_> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["connected"].clone())
        .collect();
    assert_eq!(connected, [json!(true), json!(false)]);
    assert_eq!(
        (
            list.body["has_more"].clone(),
            list.body["next_cursor"].clone()
        ),
        (json!(false), json!(null))
    );
    // A list answered whole takes no page parameters, rather than ignoring them.
    let paged = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/integrations?limit=1",
        None,
    )
    .await;
    assert_eq!(
        (paged.status, paged.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
}

#[tokio::test]
async fn integrations_refuse_scopes_the_caller_lacks_and_unknown_providers() {
    let app = TestApp::spawn().await;
    let (_, narrow) = app.create_key("narrow", &["api_keys:write"]).await;
    let before = app.snapshot().await;
    let forbidden = call(
        &app,
        &narrow,
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "HUBSPOT" })),
    )
    .await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    assert_eq!(forbidden.body["error"]["requiredScope"], "customers:write");
    let unknown = call(
        &app,
        &app.admin(),
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "MYSPACE" })),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    assert_eq!(app.snapshot().await, before);
    let list = call(
        &app,
        &app.admin(),
        Method::GET,
        "/api/v1/integrations",
        None,
    )
    .await;
    assert_eq!(list.body["data"], json!([]));
}

#[tokio::test]
async fn an_integration_of_another_environment_is_not_found() {
    let app = TestApp::spawn().await;
    let connected = call(
        &app,
        &app.admin(),
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "HUBSPOT" })),
    )
    .await;
    let id = connected.body["integration"]["id"].as_str().unwrap();
    let staging = app.server_key("staging");
    for (method, path) in [
        (Method::GET, format!("/api/v1/integrations/{id}")),
        (
            Method::POST,
            format!("/api/v1/integrations/{id}/disconnect"),
        ),
    ] {
        let answer = call(&app, &staging, method, &path, None).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{path}"
        );
    }
    let still = call(
        &app,
        &app.admin(),
        Method::GET,
        &format!("/api/v1/integrations/{id}"),
        None,
    )
    .await;
    assert_eq!(still.body["connected"], true);
}

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
