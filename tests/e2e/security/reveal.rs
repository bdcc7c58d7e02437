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
