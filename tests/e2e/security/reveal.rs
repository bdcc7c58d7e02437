//! Revealing a recoverable key hands over everything the key may do, so it follows the rule of
//! who may manage the key: a member never reads a full-access secret.

use serde_json::json;

use crate::harness::TestApp;

const REVEAL: &str = "mutation($id: ID!) { revealApiKeySecret(input: { id: $id }) { secret } }";

#[tokio::test]
async fn member_cannot_reveal_a_rotated_full_access_secret() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    app.as_user(
        &people.owner.token,
        "production",
        "mutation { updateRecoverableKeys(input: { enabled: true }) { recoverableKeys } }",
        json!({}),
    )
    .await
    .data();
    let full_access = app
        .ok(
            &app.admin(),
            "{ apiKeys(first: 10, filter: { type: [FULL_ACCESS] }) { edges { node { id } } } }",
            json!({}),
        )
        .await["apiKeys"]["edges"][0]["node"]["id"]
        .clone();
    // The owner rotates it: the new full-access secret is kept sealed, so it is revealable.
    let rotated = app
        .as_user(
            &people.owner.token,
            "production",
            "mutation($id: ID!) { rotateApiKey(input: { id: $id, gracePeriod: ONE_HOUR }) { secret apiKey { id recoverable } } }",
            json!({ "id": full_access }),
        )
        .await
        .data();
    let new_id = rotated["rotateApiKey"]["apiKey"]["id"].clone();
    assert_eq!(rotated["rotateApiKey"]["apiKey"]["recoverable"], true);
    let before = app.snapshot().await;

    let attempt = app
        .as_user(
            &people.member.token,
            "production",
            REVEAL,
            json!({ "id": new_id }),
        )
        .await;
    assert_eq!(attempt.code(), "FORBIDDEN");
    let body = attempt.body.to_string();
    let secret = rotated["rotateApiKey"]["secret"].as_str().unwrap();
    assert!(!body.contains(secret), "the refusal carries no secret");
    // Refused before anything was written: no KEY_REVEALED on the trail.
    assert_eq!(app.snapshot().await, before);

    // The owner, who may manage it, still can.
    let revealed = app
        .as_user(
            &people.owner.token,
            "production",
            REVEAL,
            json!({ "id": new_id }),
        )
        .await
        .data();
    assert_eq!(revealed["revealApiKeySecret"]["secret"], secret);
}

/// A reveal is never answered from the Idempotency-Key store: each one runs and is on the
/// trail, and no copy of the secret is kept for replays. Beside another mutation under a key it
/// is refused, since the key could not keep its promise for the whole request.
#[tokio::test]
async fn a_reveal_under_an_idempotency_key_runs_each_time_and_is_never_replayed() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let owner = &people.owner.token;
    app.as_user(
        owner,
        "production",
        "mutation { updateRecoverableKeys(input: { enabled: true }) { recoverableKeys } }",
        json!({}),
    )
    .await
    .data();
    let created = app
        .as_user(
            owner,
            "production",
            "mutation { createApiKey(input: { name: \"kept\", preset: READ_ONLY }) { secret apiKey { id } } }",
            json!({}),
        )
        .await
        .data();
    let id = created["createApiKey"]["apiKey"]["id"].clone();
    let send = |query: &'static str, key: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(owner)
            .header("Keyplane-Environment", "production")
            .header("Idempotency-Key", key)
            .json(&json!({ "query": query, "variables": { "id": id } }))
            .send()
    };
    for _ in 0..2 {
        let response = send(REVEAL, "reveal-once").await.unwrap();
        assert!(response.headers().get("idempotent-replayed").is_none());
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body["data"]["revealApiKeySecret"]["secret"],
            created["createApiKey"]["secret"]
        );
    }
    let trail = app
        .as_user(
            owner,
            "production",
            "{ auditEvents(first: 20, filter: { type: [KEY_REVEALED] }) { edges { node { apiKey { id } } } } }",
            json!({}),
        )
        .await
        .data();
    let reveals = trail["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["apiKey"]["id"] == id)
        .count();
    assert_eq!(reveals, 2, "both reveals ran and are on the trail");

    let before = app.snapshot().await;
    let mixed = send(
        "mutation($id: ID!) { revealApiKeySecret(input: { id: $id }) { secret } rotateApiKey(input: { id: $id }) { secret } }",
        "reveal-and-rotate",
    )
    .await
    .unwrap();
    assert_eq!(mixed.status(), reqwest::StatusCode::BAD_REQUEST);
    let body: serde_json::Value = mixed.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(app.snapshot().await, before, "nothing ran");
}
