//! GraphQL over HTTP: content types, methods, limits, status codes and headers.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Gql, TestApp};

const VIEWER: &str = "{ viewer { account { name } } }";

async fn post_raw(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> Gql {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", content_type)
        .header("X-API-Key", app.admin())
        .body(body)
        .send()
        .await
        .unwrap();
    Gql::read(response).await
}

#[tokio::test]
async fn post_accepts_only_json() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": VIEWER }).to_string();
    for content_type in [
        "text/plain",
        "application/graphql",
        "application/x-www-form-urlencoded",
    ] {
        let response = post_raw(&app, content_type, body.clone()).await;
        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(response.code(), "BAD_REQUEST");
    }
    let response = post_raw(&app, "application/json; charset=utf-8", body).await;
    assert_eq!(response.data()["viewer"]["account"]["name"], "Acme");
}

#[tokio::test]
async fn malformed_bodies_and_batches_are_bad_requests() {
    let app = TestApp::spawn().await;
    for body in [
        "{",
        "\"query\"",
        "{\"variables\":{}}",
        "[{\"query\":\"{ viewer { account { name } } }\"}]",
    ] {
        let response = post_raw(&app, "application/json", body).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.code(), "BAD_REQUEST");
    }
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let padding = "#".repeat(70 * 1024);
    let body = json!({ "query": format!("{VIEWER} {padding}") }).to_string();
    let response = post_raw(&app, "application/json", body).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.code(), "BAD_REQUEST");
}

#[tokio::test]
async fn get_serves_queries_and_refuses_mutations_with_405() {
    let app = TestApp::spawn().await;
    let get = |query: &str, operation: Option<&str>| {
        let mut params = vec![("query", query.to_owned())];
        if let Some(name) = operation {
            params.push(("operationName", name.to_owned()));
        }
        app.client
            .get(app.url("/graphql"))
            .query(&params)
            .header("X-API-Key", app.admin())
            .send()
    };
    let ok = Gql::read(get(VIEWER, None).await.unwrap()).await;
    assert_eq!(ok.data()["viewer"]["account"]["name"], "Acme");

    let mutation = "mutation { revokeApiKey(input: {id: \"x\"}) { id } }";
    let refused = get(mutation, None).await.unwrap();
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(refused.headers()["allow"], "POST");
    assert_eq!(Gql::read(refused).await.code(), "BAD_REQUEST");

    let document = "query Read { viewer { account { name } } } mutation Write { revokeApiKey(input: {id: \"x\"}) { id } }";
    let read = Gql::read(get(document, Some("Read")).await.unwrap()).await;
    assert_eq!(read.data()["viewer"]["account"]["name"], "Acme");
    let write = get(document, Some("Write")).await.unwrap();
    assert_eq!(write.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn parse_and_validation_failures_are_400_with_codes_and_no_suggestions() {
    let app = TestApp::spawn().await;
    let parse = app.gql(Some(&app.admin()), "{ viewer { ", json!({})).await;
    assert_eq!(parse.status, StatusCode::BAD_REQUEST);
    assert_eq!(parse.code(), "GRAPHQL_PARSE_FAILED");

    let unknown = app
        .gql(
            Some(&app.admin()),
            "{ viewr { account { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.code(), "GRAPHQL_VALIDATION_FAILED");
    let message = unknown.first_error()["message"].as_str().unwrap();
    assert!(
        !message.contains("Did you mean"),
        "field suggestions are off: {message}"
    );
}

#[tokio::test]
async fn abusive_queries_hit_depth_complexity_and_alias_limits() {
    let app = TestApp::spawn().await;
    let deep = format!(
        "{{ viewer {{ apiKey {{ {} id {} }} }} }}",
        "replacedBy { ".repeat(16),
        "} ".repeat(16)
    );
    let nested = "{ apiKeys(first: 100) { edges { node { auditEvents(first: 100) { edges { node { id actor { name } } } } } } } }";
    let aliases: String = (0..31)
        .map(|i| format!("a{i}: viewer {{ account {{ id }} }} "))
        .collect();
    for query in [deep, nested.to_owned(), format!("{{ {aliases} }}")] {
        let response = app.gql(Some(&app.admin()), &query, json!({})).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.code(), "GRAPHQL_VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn graphiql_introspection_fits_inside_the_limits() {
    let app = TestApp::spawn().await;
    let data = app.ok(&app.admin(), INTROSPECTION_QUERY, json!({})).await;
    let types = data["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "ApiKey"));
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn every_graphql_response_is_uncacheable() {
    let app = TestApp::spawn().await;
    let created = app
        .gql(
            Some(&app.admin()),
            "mutation { createApiKey(input: {name: \"n\", preset: READ_ONLY}) { secret } }",
            json!({}),
        )
        .await;
    assert_eq!(created.headers["cache-control"], "no-store");
    let refused = app.gql(None, VIEWER, json!({})).await;
    assert_eq!(refused.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn health_readiness_and_unknown_routes() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let missing = app.client.get(app.url("/v0/nothing")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(Gql::read(missing).await.code(), "NOT_FOUND");
}

/// The query GraphiQL sends on load (graphql-js `getIntrospectionQuery`).
const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;
