//! `revokeApiKeys`: many keys in one transaction, each decided by the single-key rule, skipped
//! keys reported with their codes, one audit event per revoked key, retries made safe by
//! Idempotency-Key.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Gql, TestApp};

const REVOKE_MANY: &str = "mutation($input: RevokeApiKeysInput!) { revokeApiKeys(input: $input) { revoked { id name status } skipped { id code message } } }";
const VIEWER: &str = "{ viewer { apiKey { id } } }";

async fn create_tagged(app: &TestApp, name: &str, external_id: &str) -> (String, String) {
    let data = app
        .ok(
            &app.admin(),
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }",
            json!({ "input": { "name": name, "preset": "READ_ONLY", "externalId": external_id, "metadata": { "tier": external_id } } }),
        )
        .await;
    (
        data["createApiKey"]["apiKey"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        data["createApiKey"]["secret"].as_str().unwrap().to_owned(),
    )
}

fn names(payload: &Value) -> Vec<String> {
    let mut names: Vec<String> = payload["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn skipped_codes(payload: &Value) -> Vec<(String, String)> {
    let mut skipped: Vec<(String, String)> = payload["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    skipped.sort();
    skipped
}

async fn full_access_id(app: &TestApp) -> String {
    let data = app
        .ok(
            &app.admin(),
            "{ apiKeys(first: 1, filter: {type: [FULL_ACCESS]}) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    data["apiKeys"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn revoking_by_ids_skips_what_the_caller_may_not_revoke_and_audits_each_key() {
    let app = TestApp::spawn().await;
    let (operator_id, operator) = app
        .create_key("operator", &["api_keys:write", "customers:write"])
        .await;
    let (a, a_secret) = app.create_key("a", &["customers:read"]).await;
    let (b, _) = app.create_key("b", &["customers:write"]).await;
    let (coupons, coupons_secret) = app.create_key("coupons", &["coupons:write"]).await;
    let full_access = full_access_id(&app).await;
    let missing = "0190a000-0000-7000-8000-000000000000".to_owned();
    let ids = [&a, &b, &b, &coupons, &full_access, &missing];

    let data = app
        .ok(&operator, REVOKE_MANY, json!({ "input": { "ids": ids } }))
        .await;
    let payload = &data["revokeApiKeys"];
    assert_eq!(names(payload), ["a", "b"]);
    assert!(
        payload["revoked"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["status"] == "REVOKED")
    );
    let mut expected = vec![
        (coupons.clone(), "FORBIDDEN".to_owned()),
        (full_access.clone(), "FORBIDDEN".to_owned()),
        (missing, "NOT_FOUND".to_owned()),
    ];
    expected.sort();
    assert_eq!(skipped_codes(payload), expected);

    assert_eq!(
        app.gql(Some(&a_secret), VIEWER, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.gql(Some(&coupons_secret), VIEWER, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let trail = app
        .ok(
            &app.admin(),
            "{ auditEvents(first: 20, filter: {type: [KEY_REVOKED]}) { edges { node { apiKey { id } actor { id } } } } }",
            json!({}),
        )
        .await;
    let mut audited: Vec<String> = trail["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["node"]["actor"]["id"], operator_id.as_str());
            e["node"]["apiKey"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    audited.sort();
    let mut revoked = vec![a, b];
    revoked.sort();
    assert_eq!(audited, revoked);

    // The full-access key itself is refused by the single-key rule: no expiration yet.
    let data = app
        .ok(
            &app.admin(),
            REVOKE_MANY,
            json!({ "input": { "ids": [full_access] } }),
        )
        .await;
    assert_eq!(
        skipped_codes(&data["revokeApiKeys"]),
        [(full_access, "CONFLICT".to_owned())]
    );
}

#[tokio::test]
async fn revoking_by_filter_takes_every_matching_key_and_nothing_else() {
    let app = TestApp::spawn().await;
    for name in ["a1", "a2", "a3"] {
        create_tagged(&app, name, "tenant_a").await;
    }
    let (_, other) = create_tagged(&app, "b1", "tenant_b").await;

    let data = app
        .ok(
            &app.admin(),
            REVOKE_MANY,
            json!({ "input": { "filter": { "externalId": "tenant_a" } } }),
        )
        .await;
    assert_eq!(names(&data["revokeApiKeys"]), ["a1", "a2", "a3"]);
    assert_eq!(data["revokeApiKeys"]["skipped"], json!([]));
    // Again: they are revoked already, so the filter matches nothing.
    let data = app
        .ok(
            &app.admin(),
            REVOKE_MANY,
            json!({ "input": { "filter": { "externalId": "tenant_a" } } }),
        )
        .await;
    assert_eq!(data["revokeApiKeys"]["revoked"], json!([]));
    assert_eq!(
        app.gql(Some(&other), VIEWER, json!({})).await.status,
        StatusCode::OK
    );

    // Metadata, type and creation time combine; the default keys are skipped by their rule.
    let later = chrono::Utc::now() + chrono::Duration::seconds(1);
    let data = app
        .ok(
            &app.admin(),
            REVOKE_MANY,
            json!({ "input": { "filter": { "metadata": { "key": "tier", "value": "tenant_b" }, "type": ["SCOPED"], "createdBefore": later } } }),
        )
        .await;
    assert_eq!(names(&data["revokeApiKeys"]), ["b1"]);
    let data = app
        .ok(
            &app.admin(),
            REVOKE_MANY,
            json!({ "input": { "filter": { "kind": ["DEFAULT"] } } }),
        )
        .await;
    let skipped = skipped_codes(&data["revokeApiKeys"]);
    assert_eq!(data["revokeApiKeys"]["revoked"], json!([]));
    assert_eq!(skipped.len(), 2, "the full-access and publishable keys");
    assert!(skipped.iter().all(|(_, code)| code == "CONFLICT"));
}

#[tokio::test]
async fn bad_selections_are_refused_whole_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("kept", &["customers:read"]).await;
    let too_many: Vec<String> = (0..1001).map(|i| format!("id-{i}")).collect();
    let before = app.snapshot().await;
    let cases = [
        (json!({}), "input"),
        (
            json!({ "ids": [id], "filter": { "externalId": "x" } }),
            "input",
        ),
        (json!({ "ids": [] }), "ids"),
        (json!({ "ids": too_many }), "ids"),
        (json!({ "filter": {} }), "filter"),
        (json!({ "filter": { "externalId": "" } }), "externalId"),
    ];
    for (input, field) in cases {
        let refused = app
            .gql(Some(&app.admin()), REVOKE_MANY, json!({ "input": input }))
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(
            refused.first_error()["extensions"]["field"],
            field,
            "{input}"
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_filter_matching_more_than_a_thousand_keys_is_refused_whole() {
    let app = TestApp::spawn().await;
    // 1,001 keys, thirty per request.
    for batch in 0..34 {
        let fields: Vec<String> = (0..30)
            .map(|i| format!("k{i}: createApiKey(input: {{name: \"bulk-{batch}-{i}\", preset: READ_ONLY, externalId: \"crowd\"}}) {{ apiKey {{ id }} }}"))
            .collect();
        app.ok(
            &app.admin(),
            &format!("mutation {{ {} }}", fields.join(" ")),
            json!({}),
        )
        .await;
    }
    let refused = app
        .gql(
            Some(&app.admin()),
            REVOKE_MANY,
            json!({ "input": { "filter": { "externalId": "crowd" } } }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.first_error()["extensions"]["field"], "filter");
    let left = app
        .ok(
            &app.admin(),
            "{ apiKeys(first: 1, filter: {externalId: \"crowd\", status: [REVOKED]}) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(left["apiKeys"]["edges"], json!([]));
}

#[tokio::test]
async fn a_retried_bulk_revocation_with_an_idempotency_key_replays_its_answer() {
    let app = TestApp::spawn().await;
    for name in ["r1", "r2"] {
        create_tagged(&app, name, "tenant_r").await;
    }
    let send = || async {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("X-API-Key", app.admin())
            .header("Idempotency-Key", "incident-42")
            .json(&json!({ "query": REVOKE_MANY, "variables": { "input": { "filter": { "externalId": "tenant_r" } } } }))
            .send()
            .await
            .unwrap();
        Gql::read(response).await
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(first.body, second.body);
    assert_eq!(names(&first.body["data"]["revokeApiKeys"]), ["r1", "r2"]);
    let trail = app
        .ok(
            &app.admin(),
            "{ auditEvents(first: 20, filter: {type: [KEY_REVOKED]}) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(trail["auditEvents"]["edges"].as_array().unwrap().len(), 2);
}

/// `name=""` (an unset shell variable) beside another criterion would otherwise leave only
/// that criterion: every active key. A listing drops an empty name; a revocation refuses it.
#[tokio::test]
async fn an_empty_name_or_external_id_never_widens_a_bulk_revocation() {
    let app = TestApp::spawn().await;
    app.create_key("bystander", &["customers:read"]).await;
    let before = app.snapshot().await;
    for (filter, field) in [
        (
            json!({ "nameContains": "", "status": ["ACTIVE"] }),
            "nameContains",
        ),
        (
            json!({ "nameContains": "  ", "status": ["ACTIVE"] }),
            "nameContains",
        ),
        (
            json!({ "externalId": "", "status": ["ACTIVE"] }),
            "externalId",
        ),
    ] {
        let refused = app
            .gql(
                Some(&app.admin()),
                REVOKE_MANY,
                json!({ "input": { "filter": filter } }),
            )
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{filter}");
        assert_eq!(refused.first_error()["extensions"]["field"], field);
    }
    for filter in [
        json!({ "name": "", "status": ["ACTIVE"] }),
        json!({ "externalId": "", "status": ["ACTIVE"] }),
    ] {
        let refused = crate::rest::call(
            &app,
            &app.admin(),
            reqwest::Method::POST,
            "/api/v1/api-keys/bulk-revoke",
            Some(json!({ "filter": filter })),
        )
        .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{filter}"
        );
    }
    assert_eq!(app.snapshot().await, before);
}
