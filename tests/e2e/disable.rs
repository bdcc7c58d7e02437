//! Disabling and enabling keys: a disabled key is refused like a revoked one until it is
//! enabled, the status filter finds it, both changes are audited with the reason, and an
//! environment never loses its last usable full-access key.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

const DISABLE: &str = "mutation($id: ID!, $reason: String!) { disableApiKey(input: {id: $id, reason: $reason}) { id status disabledAt disabledReason } }";
const ENABLE: &str =
    "mutation($id: ID!) { enableApiKey(input: {id: $id}) { id status disabledAt disabledReason } }";
const REVOKE: &str = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id status } }";
const VIEWER: &str = "{ viewer { apiKey { id } } }";
const VERIFY: &str =
    "query($key: String!) { verifyApiKey(input: {key: $key}) { valid code apiKey { id status } } }";

/// The ids of an `apiKeys` answer, in its order.
fn edge_ids(data: &Value) -> Vec<String> {
    data["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn ids_with_status(app: &TestApp, status: &str) -> Vec<String> {
    let data = app
        .ok(
            &app.admin(),
            "query($s: [ApiKeyStatus!]) { apiKeys(first: 100, filter: {status: $s}) { edges { node { id } } } }",
            json!({ "s": [status] }),
        )
        .await;
    edge_ids(&data)
}

#[tokio::test]
async fn a_disabled_key_is_refused_until_it_is_enabled_and_both_changes_are_audited() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.create_key("suspect", &["customers:read"]).await;
    assert_eq!(
        app.gql(Some(&secret), VIEWER, json!({})).await.status,
        StatusCode::OK
    );

    let data = app
        .ok(
            &app.admin(),
            DISABLE,
            json!({ "id": id, "reason": "  investigating incident 7  " }),
        )
        .await;
    let disabled = &data["disableApiKey"];
    assert_eq!(disabled["status"], "DISABLED");
    assert_eq!(disabled["disabledReason"], "investigating incident 7");
    assert!(disabled["disabledAt"].is_string());

    let refused = app.gql(Some(&secret), VIEWER, json!({})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.code(), "UNAUTHENTICATED");
    let verified = app.ok(&app.admin(), VERIFY, json!({ "key": secret })).await;
    assert_eq!(
        verified["verifyApiKey"],
        json!({ "valid": false, "code": "DISABLED", "apiKey": { "id": id, "status": "DISABLED" } })
    );
    assert_eq!(ids_with_status(&app, "DISABLED").await, vec![id.clone()]);
    assert!(!ids_with_status(&app, "ACTIVE").await.contains(&id));

    // Twice is a conflict, and changes nothing.
    let before = app.snapshot().await;
    let again = app
        .gql(
            Some(&app.admin()),
            DISABLE,
            json!({ "id": id, "reason": "again" }),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT");
    assert_eq!(app.snapshot().await, before);

    let data = app.ok(&app.admin(), ENABLE, json!({ "id": id })).await;
    assert_eq!(
        data["enableApiKey"],
        json!({ "id": id, "status": "ACTIVE", "disabledAt": null, "disabledReason": null })
    );
    assert_eq!(
        app.gql(Some(&secret), VIEWER, json!({})).await.status,
        StatusCode::OK
    );
    let again = app
        .gql(Some(&app.admin()), ENABLE, json!({ "id": id }))
        .await;
    assert_eq!(again.code(), "CONFLICT");

    let trail = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { auditEvents(first: 10) { edges { node { type actor { type } before { disabledReason } after { disabledReason } } } } } }",
            json!({ "id": id }),
        )
        .await;
    let events: Vec<&Value> = trail["apiKey"]["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(events[0]["type"], "KEY_ENABLED");
    assert_eq!(
        events[0]["before"]["disabledReason"],
        "investigating incident 7"
    );
    assert_eq!(events[1]["type"], "KEY_DISABLED");
    assert_eq!(
        events[1]["after"]["disabledReason"],
        "investigating incident 7"
    );
    assert_eq!(events[1]["actor"]["type"], "API_KEY");
}

#[tokio::test]
async fn bad_reasons_and_keys_out_of_reach_change_nothing() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("target", &["customers:write"]).await;
    let (_, weak) = app.create_key("weak", &["api_keys:write"]).await;
    let before = app.snapshot().await;
    let cases = [
        (
            app.admin(),
            json!({ "id": id, "reason": "   " }),
            "BAD_USER_INPUT",
        ),
        (
            app.admin(),
            json!({ "id": id, "reason": "r".repeat(501) }),
            "BAD_USER_INPUT",
        ),
        (
            app.admin(),
            json!({ "id": "0190a000-0000-7000-8000-000000000000", "reason": "x" }),
            "NOT_FOUND",
        ),
        // A key may not disable a key with scopes it lacks.
        (
            weak.clone(),
            json!({ "id": id, "reason": "x" }),
            "FORBIDDEN",
        ),
    ];
    for (caller, variables, code) in cases {
        let refused = app.gql(Some(&caller), DISABLE, variables).await;
        assert_eq!(refused.code(), code, "{}", refused.body);
    }
    let field = app
        .gql(
            Some(&app.admin()),
            DISABLE,
            json!({ "id": id, "reason": "" }),
        )
        .await;
    assert_eq!(field.first_error()["extensions"]["field"], "reason");
    assert_eq!(app.snapshot().await, before);
}

/// The staging environment's full-access key ids, newest first.
async fn full_access_ids(app: &TestApp, token: &str) -> Vec<String> {
    let data = app
        .as_user(
            token,
            "staging",
            "{ apiKeys(first: 10, filter: {type: [FULL_ACCESS]}) { edges { node { id } } } }",
            json!({}),
        )
        .await
        .data();
    edge_ids(&data)
}

#[tokio::test]
async fn the_last_usable_full_access_key_cannot_be_disabled_or_revoked() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let owner = &people.owner.token;
    let as_owner = |query: &'static str, variables: Value| {
        let app = &app;
        async move { app.as_user(owner, "staging", query, variables).await }
    };
    let [only] = full_access_ids(&app, owner).await.try_into().unwrap();
    let reason = json!({ "id": only, "reason": "drill" });

    // Alone, it cannot be disabled; a key (even this one) and a member may never.
    assert_eq!(as_owner(DISABLE, reason.clone()).await.code(), "CONFLICT");
    let by_key = app
        .gql(Some(&app.server_key("staging")), DISABLE, reason.clone())
        .await;
    assert_eq!(by_key.code(), "FORBIDDEN");
    let by_member = app
        .as_user(&people.member.token, "staging", DISABLE, reason.clone())
        .await;
    assert_eq!(by_member.code(), "FORBIDDEN");

    // After a rotation there are two: the old one (in its grace period) and the new one.
    let rotated = as_owner(
        "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_DAY}) { apiKey { id } } }",
        json!({ "id": only }),
    )
    .await
    .data();
    let new = rotated["rotateApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let data = as_owner(DISABLE, json!({ "id": new, "reason": "drill" }))
        .await
        .data();
    assert_eq!(data["disableApiKey"]["status"], "DISABLED");
    // Now the old one is the only usable one: it stays, whether disabled or revoked.
    assert_eq!(as_owner(DISABLE, reason.clone()).await.code(), "CONFLICT");
    assert_eq!(
        as_owner(REVOKE, json!({ "id": only })).await.code(),
        "CONFLICT"
    );
    // Enabling the new one frees the old one to go.
    as_owner(ENABLE, json!({ "id": new })).await.data();
    let revoked = as_owner(REVOKE, json!({ "id": only })).await.data();
    assert_eq!(revoked["revokeApiKey"]["status"], "REVOKED");
    assert_eq!(
        app.gql(Some(&app.server_key("staging")), VIEWER, json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn two_owners_disabling_the_two_full_access_keys_at_once_leave_one_usable() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let owner = &people.owner.token;
    let [old] = full_access_ids(&app, owner).await.try_into().unwrap();
    app.as_user(
        owner,
        "staging",
        "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_DAY}) { apiKey { id } } }",
        json!({ "id": old }),
    )
    .await
    .data();
    let ids = full_access_ids(&app, owner).await;
    assert_eq!(ids.len(), 2);
    let attempts = ids.iter().map(|id| {
        app.as_user(
            owner,
            "staging",
            DISABLE,
            json!({ "id": id, "reason": "race" }),
        )
    });
    let outcomes = futures::future::join_all(attempts).await;
    let mut codes: Vec<String> = outcomes
        .iter()
        .map(|gql| gql.codes().first().cloned().unwrap_or_else(|| "OK".into()))
        .collect();
    codes.sort();
    assert_eq!(codes, ["CONFLICT", "OK"]);
}
