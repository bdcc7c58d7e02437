//! Authentication (401), authorization by scope (403) and environment isolation (404).

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Gql, TestApp};

const CREATE: &str =
    "mutation { createApiKey(input: {name: \"sneaky\", preset: READ_ONLY}) { secret } }";

#[tokio::test]
async fn bad_keys_are_401_and_execute_nothing() {
    let app = TestApp::spawn().await;
    let before = app.snapshot().await;
    let (id, secret) = app.create_key("to revoke", &["customers:read"]).await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
        json!({ "id": id }),
    )
    .await;
    let mut unknown = app.admin();
    // Same prefix, same length, valid alphabet, wrong checksum: malformed.
    unknown.replace_range(10..11, if &unknown[10..11] == "a" { "b" } else { "a" });
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("empty", Some(String::new())),
        ("wrong prefix", Some("sk_live_0000".into())),
        ("bad checksum", Some(unknown)),
        ("too long", Some(format!("{}x", app.admin()))),
        ("revoked", Some(secret)),
    ];
    for (label, key) in cases {
        let response = app.gql(key.as_deref(), CREATE, json!({})).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(response.code(), "UNAUTHENTICATED", "{label}");
        assert!(
            response.body.get("data").is_none(),
            "{label}: nothing executed"
        );
    }
    let after = app.snapshot().await;
    let keys = |v: &serde_json::Value| v["apiKeys"]["edges"].as_array().unwrap().len();
    assert_eq!(
        keys(&after),
        keys(&before) + 1,
        "only the revoked key was added"
    );
}

#[tokio::test]
async fn well_formed_but_unknown_and_odd_headers_are_401() {
    let app = TestApp::spawn().await;
    // A structurally valid key from another deployment: passes the checksum, unknown here.
    let foreign = {
        use keyplane_domain::secret::{KeyPrefix, KeySecret};
        KeySecret::generate(KeyPrefix::Server, &mut rand::rng())
            .expose()
            .to_owned()
    };
    let response = app
        .gql(Some(&foreign), "{ viewer { account { id } } }", json!({}))
        .await;
    assert_eq!(
        (response.status, response.code().as_str()),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );

    let send = |headers: Vec<(&'static str, reqwest::header::HeaderValue)>| {
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ viewer { account { id } } }" }));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let non_ascii = reqwest::header::HeaderValue::from_bytes("server-é".as_bytes()).unwrap();
    let twice = vec![
        ("X-API-Key", app.admin().parse().unwrap()),
        ("X-API-Key", app.admin().parse().unwrap()),
    ];
    let huge = vec![("X-API-Key", "server-".repeat(1000).parse().unwrap())];
    for headers in [vec![("X-API-Key", non_ascii)], twice, huge] {
        let response = Gql::read(send(headers).await.unwrap()).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(response.code(), "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn key_without_the_scope_gets_403_with_the_required_scope() {
    let app = TestApp::spawn().await;
    let publishable = app.publishable_key("production");
    let response = app
        .gql(
            Some(&publishable),
            "{ apiKeys { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.code(), "FORBIDDEN");
    assert_eq!(
        response.first_error()["extensions"]["requiredScope"],
        "api_keys:read"
    );

    let (_, reader) = app.create_key("reader", &["api_keys:read"]).await;
    let write = app.gql(Some(&reader), CREATE, json!({})).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    assert_eq!(
        write.first_error()["extensions"]["requiredScope"],
        "api_keys:write"
    );
}

#[tokio::test]
async fn partly_allowed_operation_is_200_with_a_forbidden_field() {
    let app = TestApp::spawn().await;
    let publishable = app.publishable_key("production");
    let response = app
        .gql(
            Some(&publishable),
            "{ viewer { apiKey { type scopes } } permissionCatalog { resource } apiKeys { edges { node { id } } } }",
            json!({}),
        )
        .await;
    // apiKeys is non-null, so its refusal nulls the whole data; the status still says 200
    // because other root fields were allowed.
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.code(), "FORBIDDEN");

    let allowed = app
        .ok(
            &publishable,
            "{ viewer { apiKey { type scopes fullAccess } } }",
            json!({}),
        )
        .await;
    assert_eq!(allowed["viewer"]["apiKey"]["type"], "PUBLISHABLE");
    assert_eq!(
        allowed["viewer"]["apiKey"]["scopes"],
        json!(["coupons:read", "customers:read", "subscriptions:read"])
    );
    assert_eq!(allowed["viewer"]["apiKey"]["fullAccess"], false);
}

#[tokio::test]
async fn a_key_never_sees_or_touches_another_environment() {
    let app = TestApp::spawn().await;
    let (production_key, _) = app.create_key("prod billing", &["customers:read"]).await;
    let staging = app.server_key("staging");
    let before = app.snapshot().await;

    let read = app
        .gql(
            Some(&staging),
            "query($id: ID!) { apiKey(id: $id) { id } }",
            json!({ "id": production_key }),
        )
        .await;
    assert_eq!(read.code(), "NOT_FOUND");
    for mutation in [
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
        "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: NOW}) { secret } }",
        "mutation($id: ID!) { updateApiKey(input: {id: $id, name: \"x\"}) { id } }",
        "mutation($id: ID!) { updateApiKeyScopes(input: {id: $id, preset: READ_ONLY}) { id } }",
    ] {
        let response = app
            .gql(Some(&staging), mutation, json!({ "id": production_key }))
            .await;
        assert_eq!(response.code(), "NOT_FOUND", "{mutation}");
    }
    let listing = app
        .ok(
            &staging,
            "{ apiKeys { edges { node { id } } } auditEvents { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let ids: Vec<&str> = listing["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "staging lists only its two default keys");
    assert!(!ids.contains(&production_key.as_str()));
    let filtered = app
        .ok(
            &staging,
            "query($id: ID!) { auditEvents(filter: {apiKeyId: $id}) { edges { node { id } } } }",
            json!({ "id": production_key }),
        )
        .await;
    assert_eq!(filtered["auditEvents"]["edges"], json!([]));
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing changed in production"
    );
}

#[tokio::test]
async fn viewer_names_the_calling_key_environment_and_account() {
    let app = TestApp::spawn().await;
    let data = app
        .ok(
            &app.server_key("development"),
            "{ viewer { apiKey { name type kind fullAccess scopes status maskedKey }
                        environment { slug name type } account { name plan } } }",
            json!({}),
        )
        .await;
    let viewer = &data["viewer"];
    assert_eq!(viewer["apiKey"]["type"], "FULL_ACCESS");
    assert_eq!(viewer["apiKey"]["kind"], "DEFAULT");
    assert_eq!(viewer["apiKey"]["scopes"], json!(["*"]));
    assert_eq!(viewer["apiKey"]["fullAccess"], true);
    assert_eq!(viewer["apiKey"]["status"], "ACTIVE");
    let secret = app.server_key("development");
    let masked = viewer["apiKey"]["maskedKey"].as_str().unwrap();
    assert!(masked.starts_with("server-") && secret.ends_with(&masked[masked.len() - 4..]));
    assert_eq!(
        viewer["environment"],
        json!({ "slug": "development", "name": "Development", "type": "DEVELOPMENT" })
    );
    assert_eq!(
        viewer["account"],
        json!({ "name": "Acme", "plan": "SCALE" })
    );
}
