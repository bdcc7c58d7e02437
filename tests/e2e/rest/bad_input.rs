//! Bad input over REST is refused with its code and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{call, read};
use crate::harness::TestApp;

#[tokio::test]
async fn bad_list_parameters_are_refused_with_the_parameter_named() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let id = "0193a2f4-6b1c-7d2e-9f30-4a5b6c7d8e9f";
    // (query, field the error names: None when the query string itself is wrong)
    let cases: &[(&str, Option<&str>)] = &[
        ("bogus=1", Some("query")),
        ("limit=0", Some("limit")),
        ("limit=101", Some("limit")),
        ("limit=ten", Some("limit")),
        ("starting_after=not-a-cursor", Some("starting_after")),
        ("ending_before=1", Some("ending_before")),
        (
            &format!("starting_after={id}&ending_before={id}"),
            Some("ending_before"),
        ),
        ("status=ACTIVE,SLEEPING", Some("status")),
        ("type=scoped", Some("type")),
        ("createdAt[gte]=yesterday", Some("createdAt[gte]")),
        (
            "createdAt[gte]=2026-01-01T00:00:00Z&createdAt[gt]=2026-01-01T00:00:00Z",
            Some("createdAt[gt]"),
        ),
        ("metadata[a]=1&metadata[b]=2", Some("metadata")),
        ("limit=1&limit=2", None),
    ];
    for (query, field) in cases {
        let answer = call(
            &app,
            &admin,
            Method::GET,
            &format!("/api/v1/api-keys?{query}"),
            None,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            answer.body
        );
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{query}");
        assert_eq!(
            answer.body["error"]["field"].as_str(),
            *field,
            "{query}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn bad_bodies_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let before = app.snapshot().await;
    let url = app.url("/api/v1/api-keys");
    let wrong_type = read(
        app.client
            .post(&url)
            .header("X-API-Key", &admin)
            .header("content-type", "text/plain")
            .body(r#"{"name":"x","scopes":["customers:read"]}"#),
    )
    .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json!({ "name": "x", "description": "y".repeat(2 * 1024 * 1024) });
    let too_large = call(&app, &admin, Method::POST, "/api/v1/api-keys", Some(huge)).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    for body in [
        json!({ "name": "x", "scopes": ["customers:read"], "sneaky": true }),
        json!({ "name": 7, "scopes": ["customers:read"] }),
        json!({ "scopes": ["customers:read"] }),
        json!({ "name": "x", "scopes": ["customers:read"], "preset": "READ_ONLY" }),
    ] {
        let refused = call(
            &app,
            &admin,
            Method::POST,
            "/api/v1/api-keys",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            refused.body
        );
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{body}");
    }
    let not_json = read(
        app.client
            .post(&url)
            .header("X-API-Key", &admin)
            .header("content-type", "application/json")
            .body("{\"name\": \"server-leaked-secret"),
    )
    .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert!(
        !not_json.body.to_string().contains("server-leaked-secret"),
        "no echo"
    );
    let empty_patch = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/api-keys/{}", "x"),
        Some(json!({})),
    )
    .await;
    assert!(empty_patch.status.is_client_error());
    // `null` on a field that cannot be cleared is refused, not read as if it were absent.
    let existing = before["apiKeys"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("a bootstrapped key")
        .to_owned();
    for field in ["name", "scopes", "preset", "expiresAt"] {
        let mut body = json!({ "description": "changed" });
        body[field] = Value::Null;
        let refused = call(
            &app,
            &admin,
            Method::PATCH,
            &format!("/api/v1/api-keys/{existing}"),
            Some(body),
        )
        .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{field}: {}",
            refused.body
        );
    }
    for (path, body) in [
        (
            "/api/v1/api-keys/bulk-revoke".to_owned(),
            json!({ "filter": { "status": ["ACTIVE"] }, "ids": null }),
        ),
        (
            format!("/api/v1/api-keys/{existing}/rotate"),
            json!({ "gracePeriod": null }),
        ),
    ] {
        let refused = call(&app, &admin, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{path} {body}: {}",
            refused.body
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_key_of_another_environment_is_not_found_never_forbidden() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("production-only", &["customers:read"]).await;
    let staging = app.server_key("staging");
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/api-keys/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/api-keys/{id}"),
            Some(json!({ "name": "stolen" })),
        ),
        (Method::POST, format!("/api/v1/api-keys/{id}/revoke"), None),
        (
            Method::POST,
            format!("/api/v1/api-keys/{id}/rotate"),
            Some(json!({ "gracePeriod": "NOW" })),
        ),
        (
            Method::GET,
            format!("/api/v1/api-keys/{id}/audit-events"),
            None,
        ),
    ] {
        let answer = call(&app, &staging, method.clone(), &path, body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "NOT_FOUND"),
            "{method} {path}"
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
        (Some("production-only"), Some("ACTIVE"))
    );
}

#[tokio::test]
async fn no_credential_is_unauthenticated_in_the_rest_error_body() {
    let app = TestApp::spawn().await;
    let answer = read(app.client.get(app.url("/api/v1/api-keys"))).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );
    // A method a route does not take is 405 with the same body.
    let wrong = read(app.client.delete(app.url("/api/v1/api-keys"))).await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "BAD_REQUEST")
    );
    // The old routes keep their shape.
    let old = app
        .client
        .post(app.url("/v1/verify"))
        .json(&json!({ "key": "x" }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = old.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn text_no_database_can_hold_is_refused_before_it_reaches_one() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    // A NUL byte, which PostgreSQL refuses in text, and years it refuses in timestamps.
    let nul_path = call(&app, &admin, Method::GET, "/api/v1/api-keys/a%00b", None).await;
    assert_eq!(
        (nul_path.status, nul_path.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    for (query, field) in [
        ("name=a%00b", "name"),
        ("metadata[plan]=a%00b", "metadata"),
        ("createdAt[gte]=0000-01-01T00:00:00Z", "createdAt"),
    ] {
        let answer = call(
            &app,
            &admin,
            Method::GET,
            &format!("/api/v1/api-keys?{query}"),
            None,
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{query}"
        );
        assert_eq!(answer.body["error"]["field"], field, "{query}");
    }
    let activity = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/activity?outcome=OK%00",
        None,
    )
    .await;
    assert_eq!(activity.body["error"]["field"], "outcome");
    let audit = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/audit-events?apiKeyId=a%00b",
        None,
    )
    .await;
    assert_eq!(
        (audit.status, audit.body["data"].clone()),
        (StatusCode::OK, json!([]))
    );
    // A bulk revocation names a wrong id by its place, never by its text.
    let bulk = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/api-keys/bulk-revoke",
        Some(json!({ "ids": ["0193a2f4-6b1c-7d2e-9f30-4a5b6c7d8e9f", "server-pasted-secret"] })),
    )
    .await;
    assert_eq!(
        (bulk.status, bulk.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    assert!(
        !bulk.body.to_string().contains("server-pasted-secret"),
        "{}",
        bulk.body
    );
    assert!(
        bulk.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ids[1]")
    );
    // An operation that changes something takes no query parameters.
    let (id, _) = app.create_key("target", &["customers:read"]).await;
    let queried = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/api-keys/{id}/revoke?force=true"),
        None,
    )
    .await;
    assert_eq!(
        (queried.status, queried.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    let target = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/api-keys/{id}"),
        None,
    )
    .await;
    assert_eq!(target.body["status"], "ACTIVE");
    // Nor does a read of one resource: a parameter it would ignore is refused.
    for path in [
        format!("/api/v1/api-keys/{id}?expand=secret"),
        "/api/v1/environment?include=signingSecret".to_owned(),
    ] {
        let queried = call(&app, &admin, Method::GET, &path, None).await;
        assert_eq!(
            (queried.status, queried.code()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_replayed_error_keeps_the_request_id_it_was_first_given() {
    let app = TestApp::spawn().await;
    let send = || {
        read(
            app.client
                .post(app.url("/api/v1/api-keys/0193a2f4-6b1c-7d2e-9f30-4a5b6c7d8e9f/revoke"))
                .header("X-API-Key", app.admin())
                .header("Idempotency-Key", "revoke-missing")
                .json(&json!({})),
        )
    };
    let first = send().await;
    let again = send().await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    // `read` checks each body's requestId against its X-Request-Id.
    assert_eq!(first.body, again.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
}

#[tokio::test]
async fn a_request_refused_as_bad_input_may_be_corrected_under_the_same_idempotency_key() {
    // Bad input changes nothing, so its refusal is not kept for replays: the caller who fixes
    // the header or the body and retries under the same key gets the key made, once.
    let app = TestApp::spawn().await;
    let url = app.url("/api/v1/api-keys");
    let body = json!({ "name": "corrected", "scopes": ["customers:read"] });
    let post = |key: &'static str| {
        app.client
            .post(&url)
            .header("X-API-Key", app.admin())
            .header("Idempotency-Key", key)
    };
    let wrong_type = read(
        post("fix-the-header")
            .header("content-type", "text/plain")
            .body(body.to_string()),
    )
    .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let made = read(post("fix-the-header").json(&body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let replayed = read(post("fix-the-header").json(&body)).await;
    assert_eq!(replayed.headers["idempotent-replayed"], "true");
    assert_eq!(replayed.body["id"], made.body["id"]);

    let bad_scope = read(
        post("fix-the-body").json(&json!({ "name": "corrected", "scopes": ["no-such:scope"] })),
    )
    .await;
    assert_eq!(bad_scope.status, StatusCode::BAD_REQUEST);
    let made = read(post("fix-the-body").json(&body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
}

#[tokio::test]
async fn a_filter_naming_one_value_thousands_of_times_is_answered_as_naming_it_once() {
    // An attacker's list of thousands of repeats (as many as a URI holds) must not become
    // thousands of conditions and bound parameters, or a quadratic intersection of kinds and
    // types: it is one value.
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let (id, _) = app.create_key("repeated", &["customers:read"]).await;
    let repeated = |value: &str| vec![value; 60_000 / (value.len() + 1)].join(",");
    for path in [
        format!("/api/v1/api-keys?status={}", repeated("ACTIVE")),
        format!("/api/v1/api-keys?type={}", repeated("SCOPED")),
        format!("/api/v1/api-keys?kind={}", repeated("SCOPED")),
        format!("/api/v1/audit-events?type={}", repeated("KEY_CREATED")),
    ] {
        let answer = call(&app, &admin, Method::GET, &path, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let data = answer.body["data"].as_array().unwrap();
        assert!(
            data.iter()
                .any(|item| item["id"] == id || item["apiKeyId"] == id),
            "{}: {}",
            &path[..40],
            answer.body
        );
    }
}

#[tokio::test]
async fn a_metadata_filter_or_metadata_holding_nul_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let before = app.snapshot().await;
    for query in [
        "metadata[te%00nant]=acme",
        "metadata[te%0Anant]=acme",
        "metadata[tenant]=ac%00me",
    ] {
        let answer = call(
            &app,
            &admin,
            Method::GET,
            &format!("/api/v1/api-keys?{query}"),
            None,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            answer.body
        );
        assert_eq!(answer.body["error"]["field"], "metadata", "{query}");
    }
    let stored = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/api-keys",
        Some(json!({ "name": "nul", "scopes": ["customers:read"], "metadata": {"tenant": "ac\u{0}me"} })),
    )
    .await;
    assert_eq!(stored.status, StatusCode::BAD_REQUEST, "{}", stored.body);
    assert_eq!(stored.body["error"]["field"], "metadata");
    assert_eq!(app.snapshot().await, before);
}
