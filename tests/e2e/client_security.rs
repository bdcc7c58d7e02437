//! Client-side security: signed customer tokens and allowed origins for the publishable key.

use keyplane_domain::client_security::sign_customer_token;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Gql, TestApp};

const UPDATE: &str = "mutation($input: UpdateClientSecurityInput!) { updateClientSecurity(input: $input) { enabled allowedOrigins } }";
const ROTATE: &str = "mutation($input: RotateClientSigningSecretInput!) { rotateClientSigningSecret(input: $input) { signingSecret clientSecurity { enabled } } }";
const READ: &str = "{ viewer { apiKey { type } } }";

async fn publishable_request(app: &TestApp, headers: &[(&str, &str)]) -> Gql {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("X-API-Key", app.publishable_key("production"))
        .json(&json!({ "query": READ }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Gql::read(request.send().await.unwrap()).await
}

async fn signing_secret(app: &TestApp, grace: Value) -> String {
    let data = app
        .ok(
            &app.admin(),
            ROTATE,
            json!({ "input": { "gracePeriod": grace } }),
        )
        .await;
    data["rotateClientSigningSecret"]["signingSecret"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn publishable_requests_need_a_valid_customer_token_once_enabled() {
    let app = TestApp::spawn().await;
    let refused_early = app
        .gql(
            Some(&app.admin()),
            UPDATE,
            json!({ "input": { "enabled": true } }),
        )
        .await;
    assert_eq!(refused_early.code(), "CONFLICT", "no signing secret yet");
    let secret = signing_secret(&app, Value::Null).await;
    assert!(secret.starts_with("kpsign-"));
    assert_eq!(
        publishable_request(&app, &[]).await.status,
        StatusCode::OK,
        "still off"
    );

    let on = app
        .ok(
            &app.admin(),
            UPDATE,
            json!({ "input": { "enabled": true, "allowedOrigins": ["https://App.example.com"] } }),
        )
        .await;
    assert_eq!(
        on["updateClientSecurity"],
        json!({ "enabled": true, "allowedOrigins": ["https://app.example.com"] })
    );

    let token = sign_customer_token(&secret, "cus_1", None);
    let expiry = (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp();
    let expiring = sign_customer_token(&secret, "cus_1", Some(expiry));
    let stale = sign_customer_token(&secret, "cus_1", Some(chrono::Utc::now().timestamp() - 5));
    let ok = [
        vec![
            ("X-Customer-Id", "cus_1"),
            ("X-Customer-Token", token.as_str()),
        ],
        vec![
            ("X-Customer-Id", "cus_1"),
            ("X-Customer-Token", expiring.as_str()),
            ("Origin", "https://app.example.com"),
        ],
    ];
    for headers in ok {
        let response = publishable_request(&app, &headers).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{headers:?}: {}",
            response.body
        );
    }
    let long = "a".repeat(5000);
    let refused = [
        (vec![], StatusCode::UNAUTHORIZED, "CUSTOMER_TOKEN_REQUIRED"),
        (
            vec![("X-Customer-Id", "cus_1")],
            StatusCode::UNAUTHORIZED,
            "CUSTOMER_TOKEN_REQUIRED",
        ),
        (
            vec![
                ("X-Customer-Id", "cus_2"),
                ("X-Customer-Token", token.as_str()),
            ],
            StatusCode::UNAUTHORIZED,
            "INVALID_CUSTOMER_TOKEN",
        ),
        (
            vec![
                ("X-Customer-Id", "cus_1"),
                ("X-Customer-Token", stale.as_str()),
            ],
            StatusCode::UNAUTHORIZED,
            "INVALID_CUSTOMER_TOKEN",
        ),
        (
            vec![("X-Customer-Id", "cus_1"), ("X-Customer-Token", "not-hex")],
            StatusCode::UNAUTHORIZED,
            "INVALID_CUSTOMER_TOKEN",
        ),
        (
            vec![
                ("X-Customer-Id", "cus_1"),
                ("X-Customer-Token", long.as_str()),
            ],
            StatusCode::UNAUTHORIZED,
            "INVALID_CUSTOMER_TOKEN",
        ),
        (
            vec![
                ("X-Customer-Id", "cus_1"),
                ("X-Customer-Token", token.as_str()),
                ("Origin", "https://evil.example"),
            ],
            StatusCode::FORBIDDEN,
            "ORIGIN_NOT_ALLOWED",
        ),
    ];
    for (headers, status, reason) in refused {
        let response = publishable_request(&app, &headers).await;
        assert_eq!(response.status, status, "{headers:?}");
        assert_eq!(
            response.first_error()["extensions"]["reason"],
            reason,
            "{headers:?}"
        );
        assert!(response.body.get("data").is_none(), "nothing executed");
    }
    let non_ascii = reqwest::header::HeaderValue::from_bytes("cüs".as_bytes()).unwrap();
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("X-API-Key", app.publishable_key("production"))
        .header("X-Customer-Id", non_ascii)
        .header("X-Customer-Token", token.as_str())
        .json(&json!({ "query": READ }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        Gql::read(response).await.first_error()["extensions"]["reason"],
        "INVALID_CUSTOMER_TOKEN"
    );

    // Server keys are unaffected, and so is the staging publishable key.
    assert_eq!(
        app.gql(Some(&app.admin()), READ, json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.gql(Some(&app.publishable_key("staging")), READ, json!({}))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn rotated_signing_secret_keeps_the_old_one_valid_for_its_grace() {
    let app = TestApp::spawn().await;
    let first = signing_secret(&app, Value::Null).await;
    app.ok(
        &app.admin(),
        UPDATE,
        json!({ "input": { "enabled": true } }),
    )
    .await;
    let missing_grace = app
        .gql(Some(&app.admin()), ROTATE, json!({ "input": {} }))
        .await;
    assert_eq!(missing_grace.code(), "BAD_USER_INPUT");

    let second = signing_secret(&app, json!("ONE_HOUR")).await;
    assert_ne!(first, second);
    for secret in [&first, &second] {
        let token = sign_customer_token(secret, "cus_9", None);
        let response = publishable_request(
            &app,
            &[("X-Customer-Id", "cus_9"), ("X-Customer-Token", &token)],
        )
        .await;
        assert_eq!(response.status, StatusCode::OK);
    }
    let third = signing_secret(&app, json!("NOW")).await;
    let old = sign_customer_token(&second, "cus_9", None);
    let response = publishable_request(
        &app,
        &[("X-Customer-Id", "cus_9"), ("X-Customer-Token", &old)],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "NOW ends the previous secret at once"
    );
    let still_first = sign_customer_token(&first, "cus_9", None);
    let response = publishable_request(
        &app,
        &[
            ("X-Customer-Id", "cus_9"),
            ("X-Customer-Token", &still_first),
        ],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "the first keeps its own one-hour grace"
    );
    let current = sign_customer_token(&third, "cus_9", None);
    let response = publishable_request(
        &app,
        &[("X-Customer-Id", "cus_9"), ("X-Customer-Token", &current)],
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn verification_of_the_publishable_key_applies_client_security() {
    let app = TestApp::spawn().await;
    let secret = signing_secret(&app, Value::Null).await;
    app.ok(
        &app.admin(),
        UPDATE,
        json!({ "input": { "enabled": true, "allowedOrigins": ["https://app.example.com"] } }),
    )
    .await;
    let token = sign_customer_token(&secret, "cus_1", None);
    let publishable = app.publishable_key("production");
    let verify = "query($input: VerifyApiKeyInput!) { verifyApiKey(input: $input) { valid code customerId } }";
    let cases = [
        (
            json!({ "key": publishable, "customerId": "cus_1", "customerToken": token, "permission": "customers:read" }),
            "VALID",
        ),
        (json!({ "key": publishable }), "CUSTOMER_TOKEN_REQUIRED"),
        (
            json!({ "key": publishable, "customerId": "cus_2", "customerToken": token }),
            "INVALID_CUSTOMER_TOKEN",
        ),
        (
            json!({ "key": publishable, "customerId": "cus_1", "customerToken": token, "origin": "https://evil.example" }),
            "ORIGIN_NOT_ALLOWED",
        ),
        (
            json!({ "key": publishable, "customerId": "cus_1", "customerToken": token, "permission": "customers:write" }),
            "FORBIDDEN",
        ),
        (json!({ "key": app.admin() }), "VALID"),
    ];
    for (input, code) in cases {
        let data = app
            .ok(&app.admin(), verify, json!({ "input": input }))
            .await;
        assert_eq!(data["verifyApiKey"]["code"], code, "{input}");
    }
}

#[tokio::test]
async fn only_full_access_configures_client_security_and_bad_origins_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.create_key("manager", &["api_keys:write"]).await;
    for (query, input) in [
        (UPDATE, json!({ "enabled": false })),
        (ROTATE, json!({ "gracePeriod": "NOW" })),
    ] {
        let response = app
            .gql(Some(&manager), query, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "FORBIDDEN", "{query}");
    }
    signing_secret(&app, Value::Null).await;
    let many: Vec<String> = (0..51).map(|i| format!("https://a{i}.example")).collect();
    for origins in [
        json!(["not an origin"]),
        json!(["https://x.example/path"]),
        json!(many),
    ] {
        let response = app
            .gql(
                Some(&app.admin()),
                UPDATE,
                json!({ "input": { "enabled": true, "allowedOrigins": origins } }),
            )
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT");
        assert_eq!(
            response.first_error()["extensions"]["field"],
            "allowedOrigins"
        );
    }
    let settings = app
        .ok(
            &app.admin(),
            "{ viewer { environment { clientSecurity { enabled allowedOrigins } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        settings["viewer"]["environment"]["clientSecurity"],
        json!({ "enabled": false, "allowedOrigins": [] })
    );
}

#[tokio::test]
async fn signing_secrets_are_sealed_at_rest() {
    let app = TestApp::spawn().await;
    let secret = signing_secret(&app, Value::Null).await;
    let stored = app.db.raw_contents().await;
    assert!(
        !stored.contains(&secret[7..]),
        "the signing secret is never stored in plaintext"
    );
    let app = app.restart().await;
    app.ok(
        &app.admin(),
        UPDATE,
        json!({ "input": { "enabled": true } }),
    )
    .await;
    let token = sign_customer_token(&secret, "c", None);
    let response = publishable_request(
        &app,
        &[("X-Customer-Id", "c"), ("X-Customer-Token", &token)],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "it still opens after a restart with the same data key"
    );
}
