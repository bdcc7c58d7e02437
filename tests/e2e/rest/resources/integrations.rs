//! Integrations over REST: connected, read, listed a page at a time, disconnected; refused
//! with their code; 404 for another environment's.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::super::call;
use super::check_list;
use crate::harness::TestApp;

#[tokio::test]
async fn an_integration_is_connected_read_listed_and_disconnected_over_rest() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let connected = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "SALESFORCE" })),
    )
    .await;
    assert_eq!(connected.status, StatusCode::CREATED, "{}", connected.body);
    let id = connected.body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let location = connected.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/integrations/{id}"));
    assert_eq!(connected.body["apiKey"]["type"], "INTEGRATION");
    assert!(
        connected.body["secret"]
            .as_str()
            .unwrap()
            .starts_with("server-")
    );

    let got = call(&app, &admin, Method::GET, &location, None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["provider"], "SALESFORCE");
    assert_eq!(got.body["connected"], true);

    let gone = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/integrations/{id}/disconnect"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    assert_eq!(gone.body["connected"], false);
    let key_id = connected.body["apiKey"]["id"].as_str().unwrap();
    let key = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/api-keys/{key_id}"),
        None,
    )
    .await;
    assert_eq!(key.body["status"], "REVOKED");

    // Reconnected: two, newest first.
    call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "SALESFORCE" })),
    )
    .await;
    let list = call(&app, &admin, Method::GET, "/api/v1/integrations", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let connected: Vec<_> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["connected"].clone())
        .collect();
    assert_eq!(connected, [json!(true), json!(false)]);
    assert_eq!(
        (
            list.body["has_more"].clone(),
            list.body["next_cursor"].clone()
        ),
        (json!(false), json!(null))
    );
}

/// Connects `provider` with `key`; answers the integration's id.
async fn connect(app: &TestApp, key: &str, provider: &str) -> String {
    let connected = call(
        app,
        key,
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": provider })),
    )
    .await;
    assert_eq!(connected.status, StatusCode::CREATED, "{}", connected.body);
    connected.body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn integrations_are_listed_newest_first_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let first = connect(&app, &admin, "SALESFORCE").await;
    let gone = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/integrations/{first}/disconnect"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    // Connected in staging between production's first and second integrations.
    let foreign = connect(&app, &app.server_key("staging"), "HUBSPOT").await;
    let second = connect(&app, &admin, "SALESFORCE").await;
    let third = connect(&app, &admin, "HUBSPOT").await;
    check_list(
        &app,
        &admin,
        "/api/v1/integrations",
        &[third, second, first],
        &foreign,
    )
    .await;
}

#[tokio::test]
async fn integrations_refuse_scopes_the_caller_lacks_and_unknown_providers() {
    let app = TestApp::spawn().await;
    let (_, narrow) = app.create_key("narrow", &["api_keys:write"]).await;
    let before = app.snapshot().await;
    let forbidden = call(
        &app,
        &narrow,
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "HUBSPOT" })),
    )
    .await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    assert_eq!(forbidden.body["error"]["requiredScope"], "customers:write");
    let unknown = call(
        &app,
        &app.admin(),
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "MYSPACE" })),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    assert_eq!(app.snapshot().await, before);
    let list = call(
        &app,
        &app.admin(),
        Method::GET,
        "/api/v1/integrations",
        None,
    )
    .await;
    assert_eq!(list.body["data"], json!([]));
}

#[tokio::test]
async fn an_integration_of_another_environment_is_not_found() {
    let app = TestApp::spawn().await;
    let connected = call(
        &app,
        &app.admin(),
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "provider": "HUBSPOT" })),
    )
    .await;
    let id = connected.body["integration"]["id"].as_str().unwrap();
    let staging = app.server_key("staging");
    for (method, path) in [
        (Method::GET, format!("/api/v1/integrations/{id}")),
        (
            Method::POST,
            format!("/api/v1/integrations/{id}/disconnect"),
        ),
    ] {
        let answer = call(&app, &staging, method, &path, None).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{path}"
        );
    }
    let still = call(
        &app,
        &app.admin(),
        Method::GET,
        &format!("/api/v1/integrations/{id}"),
        None,
    )
    .await;
    assert_eq!(still.body["connected"], true);
}
