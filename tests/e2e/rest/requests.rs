//! How REST requests are handled: `Idempotency-Key` on every POST, the activity log, the
//! same-origin check of cookie requests, and the committed document.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{call, read};
use crate::harness::TestApp;

#[tokio::test]
async fn a_retried_create_makes_one_key_and_replays_its_secret_and_location() {
    let app = TestApp::spawn().await;
    let send = || {
        read(
            app.client
                .post(app.url("/api/v1/api-keys"))
                .header("X-API-Key", app.admin())
                .header("Idempotency-Key", "create-billing-1")
                .json(&json!({ "name": "billing", "scopes": ["customers:read"] })),
        )
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(
        (first.status, second.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(first.body, second.body);
    assert_eq!(first.headers["location"], second.headers["location"]);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    let listed = call(
        &app,
        &app.admin(),
        Method::GET,
        "/api/v1/api-keys?name=billing",
        None,
    )
    .await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    // The same key for another request is refused, and the replay is in the activity log.
    let other = read(
        app.client
            .post(app.url("/api/v1/api-keys"))
            .header("X-API-Key", app.admin())
            .header("Idempotency-Key", "create-billing-1")
            .json(&json!({ "name": "other", "scopes": ["customers:read"] })),
    )
    .await;
    assert_eq!(
        (other.status, other.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_CONFLICT")
    );
    app.eventually(
        "{ activityEvents(filter: {outcome: \"IDEMPOTENT_REPLAY\"}) { edges { node { operationName } } } }",
        json!({}),
        |data| data["activityEvents"]["edges"][0]["node"]["operationName"] == "POST /api/v1/api-keys",
    )
    .await;
}

#[tokio::test]
async fn bodiless_posts_to_different_paths_never_replay_each_other() {
    let app = TestApp::spawn().await;
    let (a, _) = app.create_key("a", &["customers:read"]).await;
    let (b, _) = app.create_key("b", &["customers:read"]).await;
    let revoke = |id: String| {
        read(
            app.client
                .post(app.url(&format!("/api/v1/api-keys/{id}/revoke")))
                .header("X-API-Key", app.admin())
                .header("Idempotency-Key", "one-key-for-two"),
        )
    };
    let first = revoke(a.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let second = revoke(b.clone()).await;
    assert_eq!(
        (second.status, second.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_CONFLICT")
    );
    let b_now = call(
        &app,
        &app.admin(),
        Method::GET,
        &format!("/api/v1/api-keys/{b}"),
        None,
    )
    .await;
    assert_eq!(
        b_now.body["status"], "ACTIVE",
        "b was neither revoked nor answered as a's replay"
    );
}

#[tokio::test]
async fn every_rest_call_is_in_the_activity_log() {
    let app = TestApp::spawn().await;
    call(&app, &app.admin(), Method::GET, "/api/v1/api-keys", None).await;
    call(
        &app,
        &app.admin(),
        Method::GET,
        "/api/v1/api-keys?limit=0",
        None,
    )
    .await;
    let data = app
        .eventually(
            "{ activityEvents(filter: {operationType: QUERY}) { edges { node { operationName outcome httpStatus } } } }",
            json!({}),
            |data| data["activityEvents"]["edges"].as_array().is_some_and(|e| e.len() >= 2),
        )
        .await;
    let rows: Vec<_> = data["activityEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["operationName"].clone(),
                e["node"]["outcome"].clone(),
                e["node"]["httpStatus"].clone(),
            )
        })
        .collect();
    assert!(
        rows.contains(&(json!("GET /api/v1/api-keys"), json!("OK"), json!(200))),
        "{rows:?}"
    );
    assert!(
        rows.contains(&(
            json!("GET /api/v1/api-keys"),
            json!("BAD_USER_INPUT"),
            json!(400)
        )),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_cookie_patch_from_another_origin_is_refused() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("target", &["customers:read"]).await;
    let owner = app.setup_owner().await;
    for method in [Method::PATCH, Method::POST] {
        let path = match method {
            Method::PATCH => format!("/api/v1/api-keys/{id}"),
            _ => format!("/api/v1/api-keys/{id}/revoke"),
        };
        let answer = read(
            app.client
                .request(method.clone(), app.url(&path))
                .header("cookie", format!("keyplane_session={}", owner.token))
                .header("Keyplane-Environment", "production")
                .header("origin", "https://evil.example")
                .json(&json!({ "name": "pwned" })),
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::FORBIDDEN, "FORBIDDEN"),
            "{method}"
        );
    }
    let still = call(
        &app,
        &app.admin(),
        Method::GET,
        &format!("/api/v1/api-keys/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (still.body["name"].as_str(), still.body["status"].as_str()),
        (Some("target"), Some("ACTIVE"))
    );
}

#[tokio::test]
async fn committed_openapi_document_matches_what_the_server_serves() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let generated = keyplane_api::openapi_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test --test e2e committed_openapi` and commit it"
    );
    let app = TestApp::spawn().await;
    let served = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.text().await.unwrap(), generated);
}
