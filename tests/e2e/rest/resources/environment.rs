//! The environment's settings over REST: read, replaced, refused with their code.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::super::call;
use super::{as_person, environment_settings};
use crate::harness::TestApp;

#[tokio::test]
async fn environment_settings_are_read_and_replaced_over_rest() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let before = environment_settings(&app).await;
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
    let after = environment_settings(&app).await;
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
    let before_env = environment_settings(&app).await;
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
    assert_eq!(environment_settings(&app).await, before_env);
    assert_eq!(app.snapshot().await, before);
}
