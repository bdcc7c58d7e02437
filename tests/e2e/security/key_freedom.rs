//! A key is never freer than the key that made or changed it: a bound key can neither lift its
//! own limits nor make, loosen or rotate a key past them. People are bound by their role only.

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::harness::TestApp;

const UPDATE: &str = "mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id } }";
const CREATE: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id expiresAt } } }";
const ROTATE: &str = "mutation($id: ID!) { rotateApiKey(input: { id: $id, gracePeriod: ONE_HOUR }) { secret apiKey { id expiresAt customerIds } } }";

fn rfc3339(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A key that may manage keys, bound in every way a key can be.
async fn bound_key(app: &TestApp, expires_at: &str) -> (String, String) {
    app.create_key_from(json!({
        "name": "bound",
        "scopes": ["api_keys:read", "api_keys:write"],
        "customerIds": ["acme", "globex"],
        "allowedIps": ["127.0.0.0/8"],
        "expiresAt": expires_at,
        "quota": { "limit": 1000, "refill": "MONTHLY" },
        "rateLimit": { "requests": 100, "periodSeconds": 60 },
    }))
    .await
}

fn refused(answer: &crate::harness::Gql, field: &str) {
    assert_eq!(answer.code(), "FORBIDDEN", "{}", answer.body);
    assert_eq!(
        answer.first_error()["extensions"]["field"],
        field,
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn customer_bound_key_cannot_lift_its_own_limits() {
    let app = TestApp::spawn().await;
    let day = rfc3339(Utc::now() + Duration::days(1));
    let (id, secret) = bound_key(&app, &day).await;
    let before = app.snapshot().await;
    let attempts: [(&str, Value); 7] = [
        ("customerIds", json!({ "id": id, "customerIds": null })),
        (
            "customerIds",
            json!({ "id": id, "customerIds": ["acme", "globex", "initech"] }),
        ),
        ("allowedIps", json!({ "id": id, "allowedIps": null })),
        (
            "allowedIps",
            json!({ "id": id, "allowedIps": ["0.0.0.0/0"] }),
        ),
        (
            "quota",
            json!({ "id": id, "quota": { "limit": 1000, "refill": "DAILY" } }),
        ),
        ("quota", json!({ "id": id, "quota": null })),
        (
            "rateLimit",
            json!({ "id": id, "rateLimit": { "requests": 1000, "periodSeconds": 60 } }),
        ),
    ];
    for (field, input) in attempts {
        let answer = app
            .gql(Some(&secret), UPDATE, json!({ "input": input }))
            .await;
        refused(&answer, field);
    }
    let later = app
        .gql(
            Some(&secret),
            "mutation($id: ID!, $at: DateTime!) { updateApiKeyExpiration(input: { id: $id, expiresAt: $at }) { id } }",
            json!({ "id": id, "at": rfc3339(Utc::now() + Duration::days(30)) }),
        )
        .await;
    refused(&later, "expiresAt");
    assert_eq!(app.snapshot().await, before, "a refusal changes nothing");

    // Tightening itself is fine.
    app.ok(
        &secret,
        UPDATE,
        json!({ "input": { "id": id, "customerIds": ["acme"], "rateLimit": { "requests": 10, "periodSeconds": 60 } } }),
    )
    .await;
}

#[tokio::test]
async fn bound_key_cannot_make_a_key_freer_than_itself() {
    let app = TestApp::spawn().await;
    let day = rfc3339(Utc::now() + Duration::days(1));
    let (_, secret) = bound_key(&app, &day).await;
    let within = json!({
        "name": "child",
        "scopes": ["api_keys:read"],
        "customerIds": ["acme"],
        "allowedIps": ["127.0.0.1"],
        "expiresAt": rfc3339(Utc::now() + Duration::hours(2)),
        "quota": { "limit": 10, "refill": "NEVER" },
        "rateLimit": { "requests": 10, "periodSeconds": 60 },
    });
    let freer = |field: &str, value: Value| {
        let mut input = within.clone();
        input[field] = value;
        input
    };
    let before = app.snapshot().await;
    let attempts = [
        ("customerIds", freer("customerIds", Value::Null)),
        ("customerIds", freer("customerIds", json!(["initech"]))),
        ("allowedIps", freer("allowedIps", Value::Null)),
        ("allowedIps", freer("allowedIps", json!(["10.0.0.0/8"]))),
        ("expiresAt", freer("expiresAt", Value::Null)),
        (
            "expiresAt",
            freer("expiresAt", json!(rfc3339(Utc::now() + Duration::days(60)))),
        ),
        ("quota", freer("quota", Value::Null)),
        (
            "quota",
            freer("quota", json!({ "limit": 5000, "refill": "MONTHLY" })),
        ),
        ("rateLimit", freer("rateLimit", Value::Null)),
        (
            "rateLimit",
            freer("rateLimit", json!({ "requests": 10, "periodSeconds": 1 })),
        ),
    ];
    for (field, input) in attempts {
        let answer = app
            .gql(Some(&secret), CREATE, json!({ "input": input }))
            .await;
        refused(&answer, field);
    }
    assert_eq!(app.snapshot().await, before, "a refusal changes nothing");
    let made = app.ok(&secret, CREATE, json!({ "input": within })).await;
    assert!(made["createApiKey"]["secret"].is_string());

    // A bound key cannot loosen another key either.
    let child = made["createApiKey"]["apiKey"]["id"].clone();
    let loosen = app
        .gql(
            Some(&secret),
            UPDATE,
            json!({ "input": { "id": child, "allowedIps": null } }),
        )
        .await;
    refused(&loosen, "allowedIps");

    // People are bound by their role only: the owner makes an unbounded key.
    let people = app.people().await;
    let unbounded = app
        .as_user(
            &people.owner.token,
            "production",
            CREATE,
            json!({ "input": { "name": "free", "scopes": ["api_keys:read"] } }),
        )
        .await
        .data();
    assert!(unbounded["createApiKey"]["apiKey"]["expiresAt"].is_null());
}

#[tokio::test]
async fn temporary_key_cannot_rotate_itself_into_a_permanent_one() {
    let app = TestApp::spawn().await;
    let day = Utc::now() + Duration::days(1);
    let (id, secret) = app
        .create_key_from(json!({
            "name": "temporary",
            "scopes": ["api_keys:read", "api_keys:write"],
            "expiresAt": rfc3339(day),
        }))
        .await;
    let rotated = app.ok(&secret, ROTATE, json!({ "id": id })).await;
    let expires = rotated["rotateApiKey"]["apiKey"]["expiresAt"]
        .as_str()
        .expect("the new key expires");
    let expires = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
    assert_eq!(
        expires.timestamp(),
        day.timestamp(),
        "the old key's horizon"
    );

    // Rotated by a person, the new key has no expiry (as docs/people.md says).
    let (other, _) = app
        .create_key_from(json!({
            "name": "temporary too",
            "scopes": ["api_keys:read"],
            "expiresAt": rfc3339(day),
        }))
        .await;
    let people = app.people().await;
    let by_owner = app
        .as_user(
            &people.owner.token,
            "production",
            ROTATE,
            json!({ "id": other }),
        )
        .await
        .data();
    assert!(by_owner["rotateApiKey"]["apiKey"]["expiresAt"].is_null());
}

#[tokio::test]
async fn bound_key_cannot_rotate_a_freer_key_to_take_its_secret() {
    let app = TestApp::spawn().await;
    let (_, secret) = app
        .create_key_from(json!({
            "name": "acme only",
            "scopes": ["api_keys:read", "api_keys:write"],
            "customerIds": ["acme"],
        }))
        .await;
    let (free, _) = app.create_key("every customer", &["api_keys:read"]).await;
    let before = app.snapshot().await;
    let answer = app.gql(Some(&secret), ROTATE, json!({ "id": free })).await;
    refused(&answer, "customerIds");
    assert_eq!(app.snapshot().await, before);
    // It may still revoke it: that frees nothing.
    app.ok(
        &secret,
        "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { id } }",
        json!({ "id": free }),
    )
    .await;
}

#[tokio::test]
async fn bound_key_cannot_connect_an_integration_for_an_unbounded_key() {
    let app = TestApp::spawn().await;
    let (_, secret) = app
        .create_key_from(json!({
            "name": "acme only",
            "preset": "FULL_ACCESS",
            "customerIds": ["acme"],
        }))
        .await;
    let before = app.snapshot().await;
    let answer = app
        .gql(
            Some(&secret),
            "mutation { connectIntegration(input: { provider: HUBSPOT }) { secret } }",
            json!({}),
        )
        .await;
    refused(&answer, "customerIds");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn bound_key_cannot_grant_scopes_to_a_freer_key() {
    let app = TestApp::spawn().await;
    let (_, secret) = app
        .create_key_from(json!({
            "name": "acme writer",
            "scopes": ["api_keys:read", "api_keys:write", "customers:write"],
            "customerIds": ["acme"],
        }))
        .await;
    let (free, _) = app.create_key("every customer", &["customers:read"]).await;
    let before = app.snapshot().await;
    let answer = app
        .gql(
            Some(&secret),
            "mutation($id: ID!) { updateApiKeyScopes(input: { id: $id, scopes: [\"customers:write\"] }) { id } }",
            json!({ "id": free }),
        )
        .await;
    refused(&answer, "customerIds");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn quota_bound_key_cannot_refill_itself_by_lowering_its_quota() {
    let app = TestApp::spawn().await;
    let (id, secret) = app
        .create_key_from(json!({
            "name": "budgeted",
            "scopes": ["api_keys:read", "api_keys:write"],
            "quota": { "limit": 1000, "refill": "NEVER" },
        }))
        .await;
    let answer = app
        .gql(
            Some(&secret),
            UPDATE,
            json!({ "input": { "id": id, "quota": { "limit": 999, "refill": "NEVER" } } }),
        )
        .await;
    refused(&answer, "quota");
}

#[tokio::test]
async fn rotated_key_cannot_manage_its_replacement() {
    let app = TestApp::spawn().await;
    let (id, old_secret) = app
        .create_key("pipeline", &["api_keys:read", "api_keys:write"])
        .await;
    let rotated = app.ok(&old_secret, ROTATE, json!({ "id": id })).await;
    let new_id = rotated["rotateApiKey"]["apiKey"]["id"].clone();
    let before = app.snapshot().await;
    let revoke = "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { id } }";
    let rotate_again =
        "mutation($id: ID!) { rotateApiKey(input: { id: $id, gracePeriod: NOW }) { secret } }";
    for document in [revoke, rotate_again] {
        let answer = app
            .gql(Some(&old_secret), document, json!({ "id": new_id }))
            .await;
        assert_eq!(answer.code(), "FORBIDDEN", "{}", answer.body);
    }
    assert_eq!(app.snapshot().await, before);
    // It still works for what it may read until its grace period ends.
    app.ok(
        &old_secret,
        "{ apiKeys(first: 1) { edges { node { id } } } }",
        json!({}),
    )
    .await;
}

#[tokio::test]
async fn rate_limited_full_access_key_cannot_lift_the_environment_default() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let full_access = app
        .ok(
            &app.admin(),
            "{ apiKeys(first: 1, filter: { type: [FULL_ACCESS] }) { edges { node { id } } } }",
            json!({}),
        )
        .await["apiKeys"]["edges"][0]["node"]["id"]
        .clone();
    app.as_user(
        &people.owner.token,
        "production",
        UPDATE,
        json!({ "input": { "id": full_access, "rateLimit": { "requests": 1000, "periodSeconds": 60 } } }),
    )
    .await
    .data();
    let set_default = "mutation($limit: RateLimitInput) { updateEnvironmentRateLimit(input: { rateLimit: $limit }) { slug } }";
    app.ok(
        &app.admin(),
        set_default,
        json!({ "limit": { "requests": 100, "periodSeconds": 60 } }),
    )
    .await;
    for looser in [
        Value::Null,
        json!({ "requests": 100_000, "periodSeconds": 60 }),
    ] {
        let answer = app
            .gql(Some(&app.admin()), set_default, json!({ "limit": looser }))
            .await;
        refused(&answer, "rateLimit");
    }
}
