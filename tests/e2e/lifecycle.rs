//! Create, update and revoke: every rule and every refusal, and that a refusal changes nothing.
//! Re-scoping and what a plan allows are in `key_scopes`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, nodes_of};

pub(crate) const CREATE: &str = "mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    secret
    apiKey { id name description type kind status scopes fullAccess maskedKey expiresAt revokedAt
             createdAt createdBy { type id name } environment { slug } }
  }
}";
const UPDATE: &str =
    "mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id name description } }";
pub(crate) const SCOPES: &str = "mutation($input: UpdateApiKeyScopesInput!) { updateApiKeyScopes(input: $input) { id scopes } }";
pub(crate) const REVOKE: &str =
    "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id status revokedAt } }";
pub(crate) const KEY_EVENTS: &str = "query($id: ID!) { apiKey(id: $id) { auditEvents { edges { node {
  type actor { type id name } before { name description scopes expiresAt } after { name description scopes expiresAt } } } } } }";

pub(crate) fn events(data: &Value) -> Vec<Value> {
    nodes_of(&data["apiKey"]["auditEvents"])
}

/// The environment's full-access and publishable keys, as `{id, type}`.
pub(crate) async fn default_keys(app: &TestApp) -> Vec<Value> {
    let data = app
        .ok(
            &app.admin(),
            "{ apiKeys(filter: {kind: [DEFAULT]}) { edges { node { id type } } } }",
            json!({}),
        )
        .await;
    nodes_of(&data["apiKeys"])
}

#[tokio::test]
async fn created_key_returns_its_secret_once_and_authenticates() {
    let app = TestApp::spawn().await;
    let input = json!({ "name": "  billing service ", "description": "charges cards", "scopes": ["customers:write", "customers:read", "coupons:read"] });
    let data = app
        .ok(&app.admin(), CREATE, json!({ "input": input }))
        .await;
    let created = &data["createApiKey"];
    let key = &created["apiKey"];
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("server-") && secret.len() == 53);
    assert_eq!(key["name"], "billing service");
    assert_eq!(key["type"], "SCOPED");
    assert_eq!(key["kind"], "SCOPED");
    assert_eq!(key["status"], "ACTIVE");
    assert_eq!(key["scopes"], json!(["coupons:read", "customers:write"]));
    assert_eq!(key["fullAccess"], false);
    assert_eq!(key["environment"]["slug"], "production");
    assert_eq!(key["createdBy"]["type"], "API_KEY");
    assert_eq!(key["createdBy"]["name"], "Full access key");
    let masked = key["maskedKey"].as_str().unwrap();
    assert!(masked.starts_with("server-••••") && secret.ends_with(&masked[masked.len() - 4..]));

    let me = app
        .ok(secret, "{ viewer { apiKey { id name } } }", json!({}))
        .await;
    assert_eq!(me["viewer"]["apiKey"]["id"], key["id"]);

    // The secret is never readable again, by any field.
    let everything = app
        .gql(
            Some(&app.admin()),
            "query($id: ID!) { apiKey(id: $id) { id maskedKey } }",
            json!({ "id": key["id"] }),
        )
        .await;
    assert!(!everything.body.to_string().contains(&secret[7..]));

    let trail = events(
        &app.ok(&app.admin(), KEY_EVENTS, json!({ "id": key["id"] }))
            .await,
    );
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0]["type"], "KEY_CREATED");
    assert_eq!(trail[0]["actor"]["type"], "API_KEY");
    assert_eq!(
        trail[0]["after"]["scopes"],
        json!(["coupons:read", "customers:write"])
    );
    assert_eq!(trail[0]["after"]["description"], "charges cards");
}

#[tokio::test]
async fn bad_create_input_is_refused_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let before = app.snapshot().await;
    let far = (chrono::Utc::now() + chrono::Duration::days(400)).to_rfc3339();
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let cases = vec![
        (json!({ "name": "", "scopes": ["customers:read"] }), "name"),
        (
            json!({ "name": "   ", "scopes": ["customers:read"] }),
            "name",
        ),
        (
            json!({ "name": "n".repeat(101), "scopes": ["customers:read"] }),
            "name",
        ),
        (
            json!({ "name": "ok", "description": "d".repeat(501), "scopes": ["customers:read"] }),
            "description",
        ),
        (json!({ "name": "ok", "scopes": [] }), "scopes"),
        (
            json!({ "name": "ok", "scopes": ["widgets:read"] }),
            "scopes",
        ),
        (
            json!({ "name": "ok", "scopes": ["event_queue:write"] }),
            "scopes",
        ),
        (json!({ "name": "ok", "scopes": ["*"] }), "scopes"),
        (json!({ "name": "ok" }), "scopes"),
        (
            json!({ "name": "ok", "scopes": ["customers:read"], "preset": "READ_ONLY" }),
            "scopes",
        ),
        (
            json!({ "name": "ok", "scopes": ["customers:read"], "expiresAt": far }),
            "expiresAt",
        ),
        (
            json!({ "name": "ok", "scopes": ["customers:read"], "expiresAt": past }),
            "expiresAt",
        ),
    ];
    for (input, field) in cases {
        let response = app
            .gql(Some(&app.admin()), CREATE, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(
            response.first_error()["extensions"]["field"],
            field,
            "{input}"
        );
    }
    // Values the schema's types cannot hold fail validation before anything runs; a scalar
    // whose text does not parse fails when its argument is read.
    for (input, code) in [
        (
            json!({ "name": "ok", "preset": "EVERYTHING" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({ "name": 7, "scopes": ["customers:read"] }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({ "scopes": ["customers:read"] }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({ "name": "ok", "scopes": ["customers:read"], "expiresAt": "tomorrow" }),
            "BAD_USER_INPUT",
        ),
    ] {
        let response = app
            .gql(Some(&app.admin()), CREATE, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), code, "{input}");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn name_and_description_change_with_an_audit_event() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("old name", &["customers:read"]).await;
    let renamed = app
        .ok(
            &app.admin(),
            UPDATE,
            json!({ "input": { "id": id, "name": "new name", "description": "about it" } }),
        )
        .await;
    assert_eq!(renamed["updateApiKey"]["name"], "new name");
    assert_eq!(renamed["updateApiKey"]["description"], "about it");
    let cleared = app
        .ok(
            &app.admin(),
            UPDATE,
            json!({ "input": { "id": id, "description": null } }),
        )
        .await;
    assert_eq!(
        cleared["updateApiKey"],
        json!({ "id": id, "name": "new name", "description": null })
    );

    let trail = events(&app.ok(&app.admin(), KEY_EVENTS, json!({ "id": id })).await);
    assert_eq!(trail[0]["type"], "KEY_UPDATED");
    assert_eq!(trail[0]["before"]["description"], "about it");
    assert_eq!(trail[0]["after"]["description"], Value::Null);
    assert_eq!(trail[1]["before"]["name"], "old name");
    assert_eq!(trail[1]["after"]["name"], "new name");

    let before = app.snapshot().await;
    let nothing = app
        .gql(Some(&app.admin()), UPDATE, json!({ "input": { "id": id } }))
        .await;
    assert_eq!(nothing.code(), "BAD_USER_INPUT");
    let empty = app
        .gql(
            Some(&app.admin()),
            UPDATE,
            json!({ "input": { "id": id, "name": "" } }),
        )
        .await;
    assert_eq!(empty.code(), "BAD_USER_INPUT");
    let full_access_id = app
        .ok(&app.admin(), "{ viewer { apiKey { id } } }", json!({}))
        .await["viewer"]["apiKey"]["id"]
        .clone();
    let default_key = app
        .gql(
            Some(&app.admin()),
            UPDATE,
            json!({ "input": { "id": full_access_id, "name": "mine" } }),
        )
        .await;
    assert_eq!(default_key.code(), "CONFLICT");
    let missing = app
        .gql(
            Some(&app.admin()),
            UPDATE,
            json!({ "input": { "id": "0192f3a4-0000-7000-8000-000000000000", "name": "x" } }),
        )
        .await;
    assert_eq!(missing.code(), "NOT_FOUND");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn revoked_key_is_rejected_at_once_and_stays_listed() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.create_key("leaked", &["customers:read"]).await;
    app.ok(&secret, "{ viewer { apiKey { id } } }", json!({}))
        .await;
    let revoked = app.ok(&app.admin(), REVOKE, json!({ "id": id })).await;
    assert_eq!(revoked["revokeApiKey"]["status"], "REVOKED");
    assert!(revoked["revokeApiKey"]["revokedAt"].is_string());

    let refused = app
        .gql(Some(&secret), "{ viewer { apiKey { id } } }", json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let listed = app
        .ok(
            &app.admin(),
            "{ apiKeys(filter: {status: [REVOKED]}) { edges { node { id status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["apiKeys"]["edges"],
        json!([{ "node": { "id": id, "status": "REVOKED" } }])
    );

    let before = app.snapshot().await;
    for (query, variables) in [
        (REVOKE, json!({ "id": id })),
        (
            "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: NOW}) { secret } }",
            json!({ "id": id }),
        ),
        (
            SCOPES,
            json!({ "input": { "id": id, "preset": "READ_ONLY" } }),
        ),
        (UPDATE, json!({ "input": { "id": id, "name": "renamed" } })),
    ] {
        let response = app.gql(Some(&app.admin()), query, variables).await;
        assert_eq!(response.code(), "CONFLICT", "{query}");
    }
    assert_eq!(app.snapshot().await, before, "history is never rewritten");
    let trail = events(&app.ok(&app.admin(), KEY_EVENTS, json!({ "id": id })).await);
    assert_eq!(trail[0]["type"], "KEY_REVOKED");
}

#[tokio::test]
async fn default_keys_are_revocable_only_once_they_expire() {
    let app = TestApp::spawn().await;
    let before = app.snapshot().await;
    for key in default_keys(&app).await {
        let response = app
            .gql(Some(&app.admin()), REVOKE, json!({ "id": key["id"] }))
            .await;
        assert_eq!(response.code(), "CONFLICT", "{key}");
    }
    assert_eq!(app.snapshot().await, before);
}
