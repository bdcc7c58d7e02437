//! Integrations: a provisioned key with fixed scopes, revoked on disconnect.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, check_connection};

const CONNECT: &str = "mutation($p: IntegrationProvider!) { connectIntegration(input: {provider: $p}) {
  secret integration { id provider displayName connected scopes } apiKey { id type kind scopes name } } }";
const DISCONNECT: &str = "mutation($id: ID!) { disconnectIntegration(input: {id: $id}) { connected disconnectedAt apiKey { status } } }";
const INTEGRATION_PAGE: &str = "query($first: Int, $after: String) {
  integrations(first: $first, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";

/// Connects `provider` with `key`; answers the integration's id.
async fn connect(app: &TestApp, key: &str, provider: &str) -> String {
    let data = app.ok(key, CONNECT, json!({ "p": provider })).await;
    data["connectIntegration"]["integration"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn connecting_provisions_an_immutable_key_and_disconnecting_revokes_it() {
    let app = TestApp::spawn().await;
    let data = app
        .ok(&app.admin(), CONNECT, json!({ "p": "SALESFORCE" }))
        .await;
    let connected = &data["connectIntegration"];
    let secret = connected["secret"].as_str().unwrap().to_owned();
    let integration_id = connected["integration"]["id"].clone();
    let key_id = connected["apiKey"]["id"].clone();
    assert_eq!(connected["integration"]["provider"], "SALESFORCE");
    assert_eq!(connected["integration"]["connected"], true);
    assert_eq!(connected["apiKey"]["type"], "INTEGRATION");
    assert_eq!(connected["apiKey"]["kind"], "DEFAULT");
    assert_eq!(
        connected["apiKey"]["scopes"],
        json!(["customers:write", "subscriptions:read"])
    );
    app.ok(&secret, "{ viewer { apiKey { type } } }", json!({}))
        .await;

    let before = app.snapshot().await;
    for (query, variables) in [
        (CONNECT, json!({ "p": "SALESFORCE" })),
        (
            "mutation($id: ID!) { updateApiKeyScopes(input: {id: $id, scopes: [\"customers:read\"]}) { id } }",
            json!({ "id": key_id }),
        ),
        (
            "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
            json!({ "id": key_id }),
        ),
    ] {
        let response = app.gql(Some(&app.admin()), query, variables).await;
        assert_eq!(response.code(), "CONFLICT", "{query}");
    }
    assert_eq!(app.snapshot().await, before);

    // A rotation's old key is revoked too when the integration goes.
    let rotated = app
        .ok(&app.admin(), "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_DAY}) { secret apiKey { id } } }", json!({ "id": key_id }))
        .await;
    let new_secret = rotated["rotateApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = app
        .ok(
            &app.admin(),
            "{ integrations { edges { node { apiKey { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["integrations"]["edges"][0]["node"]["apiKey"]["id"],
        rotated["rotateApiKey"]["apiKey"]["id"]
    );

    let gone = app
        .ok(&app.admin(), DISCONNECT, json!({ "id": integration_id }))
        .await;
    assert_eq!(gone["disconnectIntegration"]["connected"], false);
    assert_eq!(gone["disconnectIntegration"]["apiKey"]["status"], "REVOKED");
    for secret in [&secret, &new_secret] {
        assert_eq!(
            app.gql(Some(secret), "{ viewer { apiKey { id } } }", json!({}))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let again = app
        .gql(
            Some(&app.admin()),
            DISCONNECT,
            json!({ "id": integration_id }),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT");

    let default_listing = app
        .ok(
            &app.admin(),
            "{ apiKeys(filter: {type: [INTEGRATION]}) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        default_listing["apiKeys"]["edges"],
        json!([]),
        "gone from default listings"
    );
    let revoked = app.ok(&app.admin(), "{ apiKeys(filter: {type: [INTEGRATION], status: [REVOKED]}) { edges { node { id } } } }", json!({})).await;
    assert_eq!(
        revoked["apiKeys"]["edges"].as_array().unwrap().len(),
        2,
        "history is kept"
    );

    // The provider can be connected again afterwards.
    let reconnected = app
        .ok(&app.admin(), CONNECT, json!({ "p": "SALESFORCE" }))
        .await;
    assert_ne!(
        reconnected["connectIntegration"]["integration"]["id"],
        integration_id
    );
    let all = app
        .ok(
            &app.admin(),
            "{ integrations { edges { node { provider connected } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        all["integrations"]["edges"],
        json!([
            { "node": { "provider": "SALESFORCE", "connected": true } },
            { "node": { "provider": "SALESFORCE", "connected": false } }
        ])
    );
}

#[tokio::test]
async fn integrations_need_the_scopes_they_grant_and_a_known_provider() {
    let app = TestApp::spawn().await;
    let (_, narrow) = app.create_key("narrow", &["api_keys:write"]).await;
    let before = app.snapshot().await;
    let refused = app
        .gql(Some(&narrow), CONNECT, json!({ "p": "HUBSPOT" }))
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(
        refused.first_error()["extensions"]["requiredScope"],
        "customers:write"
    );
    let unknown = app
        .gql(Some(&app.admin()), CONNECT, json!({ "p": "MYSPACE" }))
        .await;
    assert_eq!(unknown.code(), "GRAPHQL_VALIDATION_FAILED");
    let missing = app
        .gql(
            Some(&app.admin()),
            DISCONNECT,
            json!({ "id": "0192f3a4-0000-7000-8000-000000000000" }),
        )
        .await;
    assert_eq!(missing.code(), "NOT_FOUND");
    assert_eq!(app.snapshot().await, before);

    let (_, capable) = app
        .create_key("capable", &["api_keys:write", "customers:write"])
        .await;
    let data = app.ok(&capable, CONNECT, json!({ "p": "HUBSPOT" })).await;
    let id = data["connectIntegration"]["integration"]["id"].clone();
    let other_env = app
        .gql(
            Some(&app.server_key("staging")),
            DISCONNECT,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(other_env.code(), "NOT_FOUND");
    let staging_list = app
        .ok(
            &app.server_key("staging"),
            "{ integrations { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(staging_list["integrations"]["edges"], Value::Array(vec![]));
}

#[tokio::test]
async fn integrations_are_listed_newest_first_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let first = connect(&app, &admin, "SALESFORCE").await;
    app.ok(&admin, DISCONNECT, json!({ "id": first })).await;
    // Connected in staging between production's first and second integrations.
    let foreign = connect(&app, &app.server_key("staging"), "HUBSPOT").await;
    let second = connect(&app, &admin, "SALESFORCE").await;
    let third = connect(&app, &admin, "HUBSPOT").await;
    check_connection(
        async |variables| app.gql(Some(&admin), INTEGRATION_PAGE, variables).await,
        |data| &data["integrations"],
        &[third, second, first],
        Some(&foreign),
    )
    .await;
}
