//! Rotation with a grace period, changing the grace period, and their refusals.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

const ROTATE: &str = "mutation($input: RotateApiKeyInput!) {
  rotateApiKey(input: $input) {
    secret
    apiKey { id name description type scopes status expiresAt rotatedFrom { id } replacedBy { id } }
    previousKey { id status expiresAt replacedBy { id } rotatedFrom { id } }
  }
}";
const EXPIRATION: &str = "mutation($id: ID!, $at: DateTime!) { updateApiKeyExpiration(input: {id: $id, expiresAt: $at}) { id status expiresAt } }";
const WHO: &str = "{ viewer { apiKey { id } } }";

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn rotation_issues_a_new_secret_and_the_old_one_works_through_its_grace() {
    let app = TestApp::spawn().await;
    let created = app
        .ok(
            &app.admin(),
            "mutation { createApiKey(input: {name: \"worker\", description: \"jobs\", scopes: [\"customers:write\"]}) { secret apiKey { id } } }",
            json!({}),
        )
        .await;
    let old_id = created["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_secret = created["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Utc::now();
    let data = app
        .ok(
            &app.admin(),
            ROTATE,
            json!({ "input": { "id": old_id, "gracePeriod": "ONE_HOUR" } }),
        )
        .await;
    let rotated = &data["rotateApiKey"];
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, old_secret);
    let new_key = &rotated["apiKey"];
    assert_ne!(new_key["id"], old_id.as_str());
    assert_eq!(new_key["name"], "worker");
    assert_eq!(new_key["description"], "jobs");
    assert_eq!(new_key["type"], "SCOPED");
    assert_eq!(new_key["scopes"], json!(["customers:write"]));
    assert_eq!(new_key["status"], "ACTIVE");
    assert_eq!(new_key["expiresAt"], Value::Null);
    assert_eq!(new_key["rotatedFrom"]["id"], old_id.as_str());

    let previous = &rotated["previousKey"];
    assert_eq!(previous["status"], "EXPIRING_SOON");
    assert_eq!(previous["replacedBy"]["id"], new_key["id"]);
    let expires = at(&previous["expiresAt"]);
    assert_eq!(
        expires,
        expires.trunc_subsecs(6),
        "instants are kept to the microsecond on every database"
    );
    assert!(
        expires > started + Duration::minutes(59) && expires <= Utc::now() + Duration::hours(1)
    );

    // Both secrets authenticate, each as its own key.
    assert_eq!(
        app.ok(&old_secret, WHO, json!({})).await["viewer"]["apiKey"]["id"],
        old_id.as_str()
    );
    assert_eq!(
        app.ok(new_secret, WHO, json!({})).await["viewer"]["apiKey"]["id"],
        new_key["id"]
    );

    let trail = app
        .ok(
            &app.admin(),
            "query($id: ID!) { auditEvents(filter: {apiKeyId: $id, type: [KEY_ROTATED]}) { edges { node { type relatedApiKey { id } apiKey { id } after { expiresAt } } } } }",
            json!({ "id": old_id }),
        )
        .await;
    let event = &trail["auditEvents"]["edges"][0]["node"];
    assert_eq!(event["relatedApiKey"]["id"], new_key["id"]);
    assert_eq!(event["apiKey"]["id"], old_id.as_str());
    assert_eq!(event["after"]["expiresAt"], previous["expiresAt"]);

    // Only the current key of a line rotates.
    let before = app.snapshot().await;
    let again = app
        .gql(
            Some(&app.admin()),
            ROTATE,
            json!({ "input": { "id": old_id, "gracePeriod": "ONE_DAY" } }),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn rotating_with_grace_now_expires_the_old_secret_at_once() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.create_key("short", &["customers:read"]).await;
    let data = app
        .ok(
            &app.admin(),
            ROTATE,
            json!({ "input": { "id": id, "gracePeriod": "NOW" } }),
        )
        .await;
    assert_eq!(data["rotateApiKey"]["previousKey"]["status"], "EXPIRED");
    let refused = app.gql(Some(&secret), WHO, json!({})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.code(), "UNAUTHENTICATED");
    let before = app.snapshot().await;
    let expired = app
        .gql(
            Some(&app.admin()),
            EXPIRATION,
            json!({ "id": id, "at": (Utc::now() + Duration::days(1)).to_rfc3339() }),
        )
        .await;
    assert_eq!(expired.code(), "CONFLICT");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn full_access_key_rotates_keeps_working_in_grace_then_can_be_revoked() {
    let app = TestApp::spawn().await;
    let old_secret = app.admin();
    let old_id = app.ok(&old_secret, WHO, json!({})).await["viewer"]["apiKey"]["id"].clone();
    let explicit = (Utc::now() + Duration::days(30)).to_rfc3339();
    let data = app
        .ok(
            &old_secret,
            ROTATE,
            json!({ "input": { "id": old_id, "expiresAt": explicit } }),
        )
        .await;
    let new_secret = data["rotateApiKey"]["secret"].as_str().unwrap().to_owned();
    let new_id = data["rotateApiKey"]["apiKey"]["id"].clone();
    assert_eq!(data["rotateApiKey"]["apiKey"]["type"], "FULL_ACCESS");
    assert_eq!(data["rotateApiKey"]["apiKey"]["scopes"], json!(["*"]));
    assert_eq!(
        data["rotateApiKey"]["previousKey"]["status"], "ACTIVE",
        "30 days out is not yet expiring soon"
    );
    assert!(new_secret.starts_with("server-"));

    // The old full-access key still has every permission during its grace period.
    app.ok(
        &old_secret,
        "{ apiKeys { edges { node { id } } } }",
        json!({}),
    )
    .await;
    // The current full-access key cannot be revoked; the rotated one can.
    let current = app
        .gql(
            Some(&new_secret),
            "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
            json!({ "id": new_id }),
        )
        .await;
    assert_eq!(current.code(), "CONFLICT");
    app.ok(
        &new_secret,
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { status } }",
        json!({ "id": old_id }),
    )
    .await;
    assert_eq!(
        app.gql(Some(&old_secret), WHO, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Exactly one current full-access key remains.
    let listing = app
        .ok(&new_secret, "{ apiKeys(filter: {type: [FULL_ACCESS], status: [ACTIVE, EXPIRING_SOON]}) { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(
        listing["apiKeys"]["edges"],
        json!([{ "node": { "id": new_id } }])
    );
}

#[tokio::test]
async fn publishable_key_rotates_to_a_new_client_secret() {
    let app = TestApp::spawn().await;
    let listing = app
        .ok(
            &app.admin(),
            "{ apiKeys(filter: {type: [PUBLISHABLE]}) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let id = listing["apiKeys"]["edges"][0]["node"]["id"].clone();
    let data = app
        .ok(
            &app.admin(),
            ROTATE,
            json!({ "input": { "id": id, "gracePeriod": "SEVEN_DAYS" } }),
        )
        .await;
    let secret = data["rotateApiKey"]["secret"].as_str().unwrap();
    assert!(secret.starts_with("client-"));
    assert_eq!(
        data["rotateApiKey"]["apiKey"]["scopes"],
        json!(["coupons:read", "customers:read", "subscriptions:read"])
    );
    assert_eq!(
        data["rotateApiKey"]["previousKey"]["status"],
        "EXPIRING_SOON"
    );
    app.ok(secret, WHO, json!({})).await;
}

#[tokio::test]
async fn grace_period_can_be_changed_while_it_runs() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.create_key("rolling", &["customers:read"]).await;
    app.ok(
        &app.admin(),
        ROTATE,
        json!({ "input": { "id": id, "gracePeriod": "ONE_HOUR" } }),
    )
    .await;
    let later = Utc::now() + Duration::days(20);
    let data = app
        .ok(
            &app.admin(),
            EXPIRATION,
            json!({ "id": id, "at": later.to_rfc3339() }),
        )
        .await;
    assert_eq!(data["updateApiKeyExpiration"]["status"], "ACTIVE");
    assert!(
        (at(&data["updateApiKeyExpiration"]["expiresAt"]) - later)
            .num_seconds()
            .abs()
            <= 1
    );
    app.ok(&secret, WHO, json!({})).await;

    let trail = app
        .ok(&app.admin(), "query($id: ID!) { auditEvents(filter: {apiKeyId: $id, type: [EXPIRATION_CHANGED]}) { edges { node { before { expiresAt } after { expiresAt } } } } }", json!({ "id": id }))
        .await;
    let event = &trail["auditEvents"]["edges"][0]["node"];
    assert!(event["before"]["expiresAt"].is_string() && event["after"]["expiresAt"].is_string());

    let before = app.snapshot().await;
    let (no_expiry, _) = app.create_key("forever", &["customers:read"]).await;
    let with_new = app.snapshot().await;
    assert_ne!(before, with_new);
    let cases = [
        (
            no_expiry.as_str(),
            Utc::now() + Duration::days(1),
            "CONFLICT",
        ),
        (
            id.as_str(),
            Utc::now() - Duration::hours(1),
            "BAD_USER_INPUT",
        ),
        (
            id.as_str(),
            Utc::now() + Duration::days(400),
            "BAD_USER_INPUT",
        ),
    ];
    for (key, when, code) in cases {
        let response = app
            .gql(
                Some(&app.admin()),
                EXPIRATION,
                json!({ "id": key, "at": when.to_rfc3339() }),
            )
            .await;
        assert_eq!(response.code(), code, "{key} {when}");
    }
    assert_eq!(app.snapshot().await, with_new);
}

#[tokio::test]
async fn rotation_needs_exactly_one_grace_choice_within_a_year() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("svc", &["customers:read"]).await;
    let before = app.snapshot().await;
    let cases = [
        json!({ "id": id }),
        json!({ "id": id, "gracePeriod": "NOW", "expiresAt": (Utc::now() + Duration::days(1)).to_rfc3339() }),
        json!({ "id": id, "expiresAt": (Utc::now() + Duration::days(366)).to_rfc3339() }),
        json!({ "id": id, "expiresAt": (Utc::now() - Duration::days(1)).to_rfc3339() }),
    ];
    for input in cases {
        let response = app
            .gql(Some(&app.admin()), ROTATE, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{input}");
    }
    let unknown = app
        .gql(
            Some(&app.admin()),
            ROTATE,
            json!({ "input": { "id": id, "gracePeriod": "FOREVER" } }),
        )
        .await;
    assert_eq!(unknown.code(), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn concurrent_rotations_of_one_key_succeed_exactly_once() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("contended", &["customers:read"]).await;
    let admin = app.admin();
    let attempts = (0..6).map(|_| {
        app.gql(
            Some(&admin),
            ROTATE,
            json!({ "input": { "id": id, "gracePeriod": "ONE_DAY" } }),
        )
    });
    let results = futures::future::join_all(attempts).await;
    let succeeded = results
        .iter()
        .filter(|r| r.body.get("errors").is_none())
        .count();
    let conflicts = results.iter().filter(|r| r.codes() == ["CONFLICT"]).count();
    assert_eq!((succeeded, conflicts), (1, 5), "{results:?}");
    let line = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { replacedBy { replacedBy { id } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(line["apiKey"]["replacedBy"]["replacedBy"], Value::Null);
}
