//! The server rules of the GraphQL-over-HTTP specification, one test per rule, and the rule
//! that no error echoes what the request carried.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, captured_logs};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";
const VIEWER: &str = "{ viewer { account { name } } }";

/// A POST with the given `Accept` (or none at all), answered as status, content type and body.
async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> (StatusCode, String, Value) {
    // A client without default headers: reqwest sends no `Accept` unless told.
    let mut request = reqwest::Client::new()
        .post(app.url("/graphql"))
        .header("X-API-Key", app.admin())
        .json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    read(request.send().await.unwrap()).await
}

async fn get(app: &TestApp, accept: &str, query: &str) -> (StatusCode, String, Value) {
    let response = reqwest::Client::new()
        .get(app.url("/graphql"))
        .query(&[("query", query)])
        .header("X-API-Key", app.admin())
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    read(response).await
}

async fn read(response: reqwest::Response) -> (StatusCode, String, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.json().await.unwrap();
    (status, content_type, body)
}

#[tokio::test]
async fn no_accept_header_is_answered_as_application_json() {
    let app = TestApp::spawn().await;
    let (status, content_type, body) = post(&app, None, json!({ "query": VIEWER })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, JSON);
    assert_eq!(body["data"]["viewer"]["account"]["name"], "Acme");
}

#[tokio::test]
async fn wildcard_accept_is_answered_as_application_json() {
    let app = TestApp::spawn().await;
    for accept in ["*/*", "application/*", "text/html, */*;q=0.8"] {
        let (status, content_type, _) = post(&app, Some(accept), json!({ "query": VIEWER })).await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::OK, JSON),
            "{accept}"
        );
    }
}

#[tokio::test]
async fn accept_application_json_is_answered_as_application_json() {
    let app = TestApp::spawn().await;
    let (_, content_type, body) =
        post(&app, Some("application/json"), json!({ "query": VIEWER })).await;
    assert_eq!(content_type, JSON);
    assert_eq!(body["data"]["viewer"]["account"]["name"], "Acme");
}

#[tokio::test]
async fn accept_graphql_response_json_is_answered_in_that_media_type() {
    let app = TestApp::spawn().await;
    for accept in [
        "application/graphql-response+json",
        "application/graphql-response+json, application/json;q=0.9",
        "application/graphql-response+json, application/json, multipart/mixed",
    ] {
        let (status, content_type, _) = post(&app, Some(accept), json!({ "query": VIEWER })).await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::OK, GRAPHQL_RESPONSE),
            "{accept}"
        );
    }
    let (_, content_type, _) = post(
        &app,
        Some("application/json, application/graphql-response+json;q=0.5"),
        json!({ "query": VIEWER }),
    )
    .await;
    assert_eq!(content_type, JSON, "the client's preference wins");
}

#[tokio::test]
async fn an_accept_the_server_cannot_satisfy_is_406() {
    let app = TestApp::spawn().await;
    for accept in ["text/html", "application/xml", "application/json;q=0"] {
        let (status, _, body) = post(&app, Some(accept), json!({ "query": VIEWER })).await;
        assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{accept}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

#[tokio::test]
async fn legacy_json_request_errors_are_200() {
    let app = TestApp::spawn().await;
    for (query, code) in [
        ("{ viewer { ", "GRAPHQL_PARSE_FAILED"),
        ("{ viewr { id } }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let (status, content_type, body) =
            post(&app, Some("application/json"), json!({ "query": query })).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(content_type, JSON);
        assert_eq!(body["errors"][0]["extensions"]["code"], code);
        assert!(
            body.get("data").is_none(),
            "a request error has no data: {body}"
        );
    }
}

#[tokio::test]
async fn graphql_response_json_request_errors_are_400_without_data() {
    let app = TestApp::spawn().await;
    let accept = Some("application/graphql-response+json");
    for (query, variables, code) in [
        ("{ viewer { ", json!({}), "GRAPHQL_PARSE_FAILED"),
        ("{ viewr { id } }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        (
            "query($t: [ApiKeyType!]) { apiKeys(filter: {type: $t}) { edges { cursor } } }",
            json!({ "t": "NO_SUCH_TYPE" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ] {
        let (status, content_type, body) = post(
            &app,
            accept,
            json!({ "query": query, "variables": variables }),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(content_type, GRAPHQL_RESPONSE);
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
        assert!(body.get("data").is_none(), "no data entry at all: {body}");
    }
}

#[tokio::test]
async fn field_errors_are_200_with_data_in_both_media_types() {
    let app = TestApp::spawn().await;
    let query = "{ viewer { account { name } } apiKey(id: \"00000000-0000-7000-8000-000000000000\") { id } }";
    for accept in ["application/json", "application/graphql-response+json"] {
        let (status, _, body) = post(&app, Some(accept), json!({ "query": query })).await;
        assert_eq!(status, StatusCode::OK, "{accept}");
        assert_eq!(body["data"]["viewer"]["account"]["name"], "Acme");
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_graphql_request_is_400_in_both_media_types() {
    let app = TestApp::spawn().await;
    for accept in ["application/json", "application/graphql-response+json"] {
        let (status, content_type, body) =
            post(&app, Some(accept), json!({ "variables": {} })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{accept}");
        assert!(content_type.starts_with(accept), "{content_type}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

#[tokio::test]
async fn the_products_own_statuses_hold_in_both_media_types() {
    let app = TestApp::spawn().await;
    for accept in ["application/json", "application/graphql-response+json"] {
        let unauthenticated = reqwest::Client::new()
            .post(app.url("/graphql"))
            .header("accept", accept)
            .json(&json!({ "query": VIEWER }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            unauthenticated.status(),
            StatusCode::UNAUTHORIZED,
            "{accept}"
        );
        let wrong_type = reqwest::Client::new()
            .post(app.url("/graphql"))
            .header("accept", accept)
            .header("content-type", "text/plain")
            .header("X-API-Key", app.admin())
            .body(json!({ "query": VIEWER }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(
            wrong_type.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{accept}"
        );
    }
}

#[tokio::test]
async fn get_follows_the_same_negotiation() {
    let app = TestApp::spawn().await;
    let (status, content_type, body) = get(&app, "application/json", VIEWER).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, JSON));
    assert_eq!(body["data"]["viewer"]["account"]["name"], "Acme");
    let (status, content_type, body) = get(&app, "application/json", "{ viewer {").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, JSON));
    assert!(body.get("data").is_none());
    let (status, content_type, body) =
        get(&app, "application/graphql-response+json", "{ viewer {").await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE)
    );
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
    let (status, _, _) = get(&app, "application/xml", VIEWER).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn errors_never_echo_a_secret_the_request_carried() {
    let app = TestApp::spawn().await;
    let secret = app.server_key("staging");
    let body_of_secret = secret[7..47].to_owned();
    let requests = [
        // A syntax error right after the secret, in an argument.
        json!({ "query": format!("{{ verifyApiKey(input: {{key: \"{secret}\" permission: }}) {{ valid }} }}") }),
        // A syntax error on the secret's own line, outside any string.
        json!({ "query": format!("{{ viewer {{ {secret} }}") }),
        // Validation: the secret where a field name or an argument value does not fit.
        json!({ "query": format!("{{ viewer(x: \"{secret}\") {{ account {{ name }} }} }}") }),
        json!({ "query": format!("{{ apiKeys(filter: {{type: {}}}) {{ edges {{ cursor }} }} }}", secret.replace('-', "_")) }),
        // Variables of the wrong type.
        json!({
            "query": "query($t: [ApiKeyType!]) { apiKeys(filter: {type: $t}) { edges { cursor } } }",
            "variables": { "t": secret.replace('-', "_") },
        }),
        json!({
            "query": "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            "variables": { "input": { "name": "n", "scopes": [secret.clone()] } },
        }),
        json!({
            "query": "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            "variables": { "input": { "name": "n", "expiresAt": secret.clone() } },
        }),
        // An operation name that is not in the document.
        json!({ "query": VIEWER, "operationName": secret.clone() }),
    ];
    for accept in ["application/json", "application/graphql-response+json"] {
        for request in &requests {
            let (_, _, body) = post(&app, Some(accept), request.clone()).await;
            assert!(body.get("errors").is_some(), "{request} fails: {body}");
            assert!(
                !body.to_string().contains(&body_of_secret),
                "an error echoed the secret: {body}"
            );
        }
        let (_, _, body) = get(&app, accept, &format!("{{ viewer {{ {secret} }}")).await;
        assert!(!body.to_string().contains(&body_of_secret), "{body}");
    }
    assert!(
        !captured_logs().contains(&body_of_secret),
        "a secret from a request reached the log"
    );
}
