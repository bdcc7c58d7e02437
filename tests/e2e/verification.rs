//! `verifyApiKey`, customer-restricted keys and rate limits.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

const VERIFY: &str = "query($input: VerifyApiKeyInput!) {
  verifyApiKey(input: $input) {
    valid code scopes customerId
    apiKey { id type } environment { slug }
    rateLimit { limit remaining resetSeconds retryAfterSeconds }
  }
}";

async fn verify(app: &TestApp, caller: &str, input: Value) -> Value {
    app.ok(caller, VERIFY, json!({ "input": input })).await["verifyApiKey"].clone()
}

async fn create(app: &TestApp, input: Value) -> (String, String) {
    app.create_key_from(input).await
}

#[tokio::test]
async fn every_verification_outcome_is_reachable() {
    let app = TestApp::spawn().await;
    let (_, writer) = app.create_key("writer", &["customers:write"]).await;
    let (revoked_id, revoked) = app.create_key("revoked", &["customers:read"]).await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
        json!({ "id": revoked_id }),
    )
    .await;
    let (expired_id, expired) = app.create_key("expired", &["customers:read"]).await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: NOW}) { secret } }",
        json!({ "id": expired_id }),
    )
    .await;
    let (_, restricted) = create(
        &app,
        json!({ "name": "acme only", "scopes": ["customers:read"], "customerIds": ["acme"] }),
    )
    .await;
    let (_, limited) = create(&app, json!({ "name": "limited", "scopes": ["customers:read"], "rateLimit": { "requests": 1, "periodSeconds": 3600 } })).await;
    verify(&app, &app.admin(), json!({ "key": limited })).await;
    let foreign = {
        use keyplane_domain::secret::{KeyPrefix, KeySecret};
        KeySecret::generate(KeyPrefix::Server, &mut rand::rng())
            .expose()
            .to_owned()
    };

    let cases = [
        (
            json!({ "key": writer, "permission": "customers:read" }),
            "VALID",
        ),
        (
            json!({ "key": writer, "permission": "customers:write", "customerId": "anyone" }),
            "VALID",
        ),
        (json!({ "key": "server-nonsense" }), "MALFORMED"),
        (json!({ "key": foreign }), "NOT_FOUND"),
        (
            json!({ "key": app.server_key("staging") }),
            "WRONG_ENVIRONMENT",
        ),
        (json!({ "key": revoked }), "REVOKED"),
        (json!({ "key": expired }), "EXPIRED"),
        (
            json!({ "key": writer, "permission": "coupons:read" }),
            "FORBIDDEN",
        ),
        (
            json!({ "key": restricted, "customerId": "globex" }),
            "CUSTOMER_NOT_ALLOWED",
        ),
        (json!({ "key": restricted }), "CUSTOMER_NOT_ALLOWED"),
        (json!({ "key": restricted, "customerId": "acme" }), "VALID"),
        (json!({ "key": limited }), "RATE_LIMITED"),
    ];
    for (input, code) in cases {
        let result = verify(&app, &app.admin(), input.clone()).await;
        assert_eq!(result["code"], code, "{input}");
        assert_eq!(result["valid"], code == "VALID", "{input}");
        let shown = !matches!(code, "MALFORMED" | "NOT_FOUND" | "WRONG_ENVIRONMENT");
        assert_eq!(result["apiKey"].is_object(), shown, "{input}: {result}");
        assert_eq!(result["environment"]["slug"].as_str().is_some(), shown);
    }
    let valid = verify(
        &app,
        &app.admin(),
        json!({ "key": restricted, "customerId": "acme" }),
    )
    .await;
    assert_eq!(valid["customerId"], "acme");
    assert_eq!(valid["scopes"], json!(["customers:read"]));
    let limited = verify(&app, &app.admin(), json!({ "key": limited })).await;
    assert_eq!(limited["rateLimit"]["remaining"], 0);
    assert!(limited["rateLimit"]["retryAfterSeconds"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn verification_needs_api_keys_read_and_well_formed_arguments() {
    let app = TestApp::spawn().await;
    let publishable = app.publishable_key("production");
    let refused = app
        .gql(
            Some(&publishable),
            VERIFY,
            json!({ "input": { "key": app.admin() } }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.first_error()["extensions"]["requiredScope"],
        "api_keys:read"
    );
    let (_, reader) = app.create_key("verifier", &["api_keys:read"]).await;
    assert_eq!(
        verify(&app, &reader, json!({ "key": app.admin() })).await["code"],
        "VALID"
    );
    for (input, field) in [
        (
            json!({ "key": app.admin(), "permission": "widgets:read" }),
            "permission",
        ),
        (
            json!({ "key": app.admin(), "permission": "event_queue:write" }),
            "permission",
        ),
        (
            json!({ "key": app.admin(), "customerId": "" }),
            "customerId",
        ),
        (
            json!({ "key": app.admin(), "customerId": "has space" }),
            "customerId",
        ),
        (
            json!({ "key": app.admin(), "customerId": "x".repeat(256) }),
            "customerId",
        ),
    ] {
        let response = app
            .gql(Some(&reader), VERIFY, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(response.first_error()["extensions"]["field"], field);
    }
}

#[tokio::test]
async fn customer_restrictions_are_set_changed_and_cleared() {
    let app = TestApp::spawn().await;
    let (id, secret) = create(
        &app,
        json!({ "name": "r", "scopes": ["customers:read"], "customerIds": ["b", "a", "b"] }),
    )
    .await;
    let update = "mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { customerIds rateLimit { requests periodSeconds } } }";
    let shown = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { customerIds } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(shown["apiKey"]["customerIds"], json!(["a", "b"]));
    let changed = app
        .ok(
            &app.admin(),
            update,
            json!({ "input": { "id": id, "customerIds": ["c"] } }),
        )
        .await;
    assert_eq!(changed["updateApiKey"]["customerIds"], json!(["c"]));
    assert_eq!(
        verify(
            &app,
            &app.admin(),
            json!({ "key": secret, "customerId": "a" })
        )
        .await["code"],
        "CUSTOMER_NOT_ALLOWED"
    );
    let cleared = app
        .ok(
            &app.admin(),
            update,
            json!({ "input": { "id": id, "customerIds": null } }),
        )
        .await;
    assert_eq!(cleared["updateApiKey"]["customerIds"], Value::Null);
    assert_eq!(
        verify(
            &app,
            &app.admin(),
            json!({ "key": secret, "customerId": "a" })
        )
        .await["code"],
        "VALID"
    );

    let before = app.snapshot().await;
    let many: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
    for input in [
        json!({ "id": id, "customerIds": [] }),
        json!({ "id": id, "customerIds": [""] }),
        json!({ "id": id, "customerIds": many }),
    ] {
        let response = app
            .gql(Some(&app.admin()), update, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT");
        assert_eq!(response.first_error()["extensions"]["field"], "customerIds");
    }
    let full_access_id = app
        .ok(&app.admin(), "{ viewer { apiKey { id } } }", json!({}))
        .await["viewer"]["apiKey"]["id"]
        .clone();
    let default_key = app
        .gql(
            Some(&app.admin()),
            update,
            json!({ "input": { "id": full_access_id, "customerIds": ["a"] } }),
        )
        .await;
    assert_eq!(default_key.code(), "CONFLICT");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_headers() {
    let app = TestApp::spawn().await;
    let (_, secret) = create(&app, json!({ "name": "slow", "scopes": ["customers:read"], "rateLimit": { "requests": 2, "periodSeconds": 60 } })).await;
    let viewer = "{ viewer { apiKey { rateLimit { requests periodSeconds } } } }";
    let first = app.gql(Some(&secret), viewer, json!({})).await;
    assert_eq!(first.headers["ratelimit-limit"], "2");
    assert_eq!(first.headers["ratelimit-remaining"], "1");
    assert_eq!(
        first.data()["viewer"]["apiKey"]["rateLimit"],
        json!({ "requests": 2, "periodSeconds": 60 })
    );
    app.gql(Some(&secret), viewer, json!({})).await.data();
    let refused = app.gql(Some(&secret), viewer, json!({})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.code(), "RATE_LIMITED");
    assert_eq!(refused.headers["ratelimit-remaining"], "0");
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    // Other keys are unaffected.
    assert!(
        app.gql(Some(&app.admin()), viewer, json!({}))
            .await
            .headers
            .get("ratelimit-limit")
            .is_none()
    );
}

#[tokio::test]
async fn each_aliased_verification_spends_one_request_of_the_verified_key() {
    let app = TestApp::spawn().await;
    let (_, target) = create(&app, json!({ "name": "t", "scopes": ["customers:read"], "rateLimit": { "requests": 3, "periodSeconds": 3600 } })).await;
    let aliases: String = (0..5)
        .map(|i| format!("v{i}: verifyApiKey(input: {{key: $key}}) {{ code }} "))
        .collect();
    let data = app
        .ok(
            &app.admin(),
            &format!("query($key: String!) {{ {aliases} }}"),
            json!({ "key": target }),
        )
        .await;
    let codes: Vec<&str> = (0..5)
        .map(|i| data[format!("v{i}")]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "VALID").count(),
        3,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == "RATE_LIMITED").count(),
        2,
        "{codes:?}"
    );
}

#[tokio::test]
async fn environment_default_rate_limit_is_set_by_full_access_and_applies_to_unlimited_keys() {
    let app = TestApp::spawn().await;
    let set = "mutation($limit: RateLimitInput) { updateEnvironmentRateLimit(input: {rateLimit: $limit}) { defaultRateLimit { requests periodSeconds } } }";
    let (own_id, own) = create(&app, json!({ "name": "own", "scopes": ["api_keys:write"], "rateLimit": { "requests": 50, "periodSeconds": 60 } })).await;
    let (_, plain) = app.create_key("plain", &["customers:read"]).await;
    let before = app.snapshot().await;
    let forbidden = app
        .gql(
            Some(&own),
            set,
            json!({ "limit": { "requests": 1, "periodSeconds": 60 } }),
        )
        .await;
    assert_eq!(forbidden.code(), "FORBIDDEN");
    for limit in [
        json!({ "requests": 0, "periodSeconds": 60 }),
        json!({ "requests": -1, "periodSeconds": 60 }),
        json!({ "requests": 5, "periodSeconds": 0 }),
        json!({ "requests": 2_000_000_000, "periodSeconds": 60 }),
        json!({ "requests": 5, "periodSeconds": 86_401 }),
    ] {
        let response = app
            .gql(Some(&app.admin()), set, json!({ "limit": limit }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{limit}");
        let on_key = app
            .gql(
                Some(&app.admin()),
                "mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id } }",
                json!({ "input": { "id": own_id, "rateLimit": limit } }),
            )
            .await;
        assert_eq!(on_key.code(), "BAD_USER_INPUT", "{limit}");
        let create_with = app
            .gql(
                Some(&app.admin()),
                "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
                json!({ "input": { "name": "x", "preset": "READ_ONLY", "rateLimit": limit } }),
            )
            .await;
        assert_eq!(create_with.code(), "BAD_USER_INPUT", "{limit}");
    }
    assert_eq!(app.snapshot().await, before);

    let data = app
        .ok(
            &app.admin(),
            set,
            json!({ "limit": { "requests": 1, "periodSeconds": 3600 } }),
        )
        .await;
    assert_eq!(
        data["updateEnvironmentRateLimit"]["defaultRateLimit"],
        json!({ "requests": 1, "periodSeconds": 3600 })
    );
    let viewer = "{ viewer { environment { slug } } }";
    assert_eq!(
        app.gql(Some(&plain), viewer, json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.gql(Some(&plain), viewer, json!({})).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A key with its own limit is not bound by the default.
    for _ in 0..3 {
        assert_eq!(
            app.gql(Some(&own), viewer, json!({})).await.status,
            StatusCode::OK
        );
    }
    // The default never binds the full-access key, so a default set too low cannot lock out
    // the one key that can clear it.
    for _ in 0..3 {
        assert_eq!(
            app.gql(Some(&app.admin()), viewer, json!({})).await.status,
            StatusCode::OK
        );
    }
    let cleared = app.ok(&app.admin(), set, json!({ "limit": null })).await;
    assert_eq!(
        cleared["updateEnvironmentRateLimit"]["defaultRateLimit"],
        Value::Null
    );
    assert_eq!(
        app.gql(Some(&plain), viewer, json!({})).await.status,
        StatusCode::OK
    );
}
