//! Webhook endpoints receive every event of the environment, so managing them takes full
//! access, for people and keys alike: an owner or the full-access key. A member could otherwise
//! make a key with `api_keys:write` and manage endpoints through it.

use serde_json::json;

use crate::harness::TestApp;
use crate::webhooks::CREATE;

fn input() -> serde_json::Value {
    json!({ "input": { "url": "https://hooks.example/keyplane", "events": ["*"] } })
}

#[tokio::test]
async fn member_cannot_manage_webhooks_through_a_key_they_made() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    // The member makes a key with every scope a member holds, api_keys:write included.
    let made = app
        .as_user(
            &people.member.token,
            "production",
            "mutation { createApiKey(input: { name: \"member's\", preset: FULL_ACCESS }) { secret } }",
            json!({}),
        )
        .await
        .data();
    let member_key = made["createApiKey"]["secret"].as_str().unwrap().to_owned();
    let before = app.snapshot().await;
    let through_key = app.gql(Some(&member_key), CREATE, input()).await;
    assert_eq!(through_key.code(), "FORBIDDEN", "{}", through_key.body);
    let directly = app
        .as_user(&people.member.token, "production", CREATE, input())
        .await;
    assert_eq!(directly.code(), "FORBIDDEN");
    assert_eq!(app.snapshot().await, before, "a refusal changes nothing");

    // Full access manages them: an owner, and the full-access key.
    let by_owner = app
        .as_user(&people.owner.token, "production", CREATE, input())
        .await
        .data();
    let id = by_owner["createWebhookEndpoint"]["endpoint"]["id"].clone();
    // The member's key may read endpoints (api_keys:read) but not delete one.
    let delete = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }";
    assert_eq!(
        app.gql(Some(&member_key), delete, json!({ "id": id }))
            .await
            .code(),
        "FORBIDDEN"
    );
    let listed = app
        .ok(
            &member_key,
            "{ webhookEndpoints { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["webhookEndpoints"]["edges"][0]["node"]["id"], id);
    app.ok(&app.admin(), delete, json!({ "id": id })).await;
}
