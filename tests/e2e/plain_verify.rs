//! `POST /v1/verify`: the same answers as `verifyApiKey`, as plain JSON.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Gql, TestApp};

async fn plain(app: &TestApp, caller: &str, body: &Value) -> Gql {
    let response = app
        .client
        .post(app.url("/v1/verify"))
        .header("X-API-Key", caller)
        .json(body)
        .send()
        .await
        .unwrap();
    Gql::read(response).await
}

#[tokio::test]
async fn plain_verification_answers_exactly_as_graphql_does() {
    let app = TestApp::spawn().await;
    let (_, writer) = app.create_key("writer", &["customers:write"]).await;
    let (revoked_id, revoked) = app.create_key("revoked", &["customers:read"]).await;
    let tagged = app
        .ok(
            &app.admin(),
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            json!({ "input": {
                "name": "tagged", "preset": "READ_ONLY", "externalId": "tenant_7",
                "metadata": { "tenant": "acme", "plan": "pro", "seats": 12, "flags": ["beta"] },
            } }),
        )
        .await["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let pinned = app
        .ok(
            &app.admin(),
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            json!({ "input": { "name": "pinned", "preset": "READ_ONLY", "allowedIps": ["2001:db8::/32", "192.0.2.0/24"] } }),
        )
        .await["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (disabled_id, disabled) = app.create_key("disabled", &["customers:read"]).await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
        json!({ "id": revoked_id }),
    )
    .await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { disableApiKey(input: {id: $id, reason: \"audit\"}) { id } }",
        json!({ "id": disabled_id }),
    )
    .await;
    let cases = [
        json!({ "key": pinned, "ip": "2001:db8::1" }),
        json!({ "key": pinned, "ip": "192.0.2.200", "permission": "coupons:read" }),
        json!({ "key": pinned, "ip": "198.51.100.1" }),
        json!({ "key": pinned }),
        json!({ "key": disabled }),
        json!({ "key": writer, "permission": "customers:read", "customerId": "c1" }),
        json!({ "key": writer, "permission": "coupons:read" }),
        json!({ "key": "server-garbage" }),
        json!({ "key": revoked }),
        json!({ "key": app.server_key("staging") }),
        json!({ "key": tagged, "permission": "coupons:read" }),
    ];
    let graphql = "query($input: VerifyApiKeyInput!) { verifyApiKey(input: $input) { valid code scopes customerId apiKey { id name type metadata externalId } environment { slug } } }";
    for input in cases {
        let over_graphql = app
            .ok(&app.admin(), graphql, json!({ "input": input }))
            .await["verifyApiKey"]
            .clone();
        let over_http = plain(&app, &app.admin(), &input).await;
        assert_eq!(over_http.status, StatusCode::OK);
        let body = &over_http.body;
        assert_eq!(body["code"], over_graphql["code"], "{input}");
        assert_eq!(body["valid"], over_graphql["valid"]);
        assert_eq!(body["scopes"], over_graphql["scopes"]);
        assert_eq!(body["customerId"], over_graphql["customerId"]);
        assert_eq!(body["apiKey"], over_graphql["apiKey"]);
        assert_eq!(body["environment"], over_graphql["environment"]["slug"]);
        assert_eq!(over_http.headers["cache-control"], "no-store");
    }
    // A metered key: the same quota, the second answer one spend further on.
    let metered = app
        .ok(
            &app.admin(),
            "mutation { createApiKey(input: {name: \"metered\", preset: READ_ONLY, quota: {limit: 100, refill: DAILY}}) { secret } }",
            json!({}),
        )
        .await["createApiKey"]["secret"]
        .clone();
    let input = json!({ "key": metered, "spend": 7 });
    let over_graphql = app
        .ok(
            &app.admin(),
            "query($input: VerifyApiKeyInput!) { verifyApiKey(input: $input) { code quota { limit remaining resetsAt } } }",
            json!({ "input": input }),
        )
        .await["verifyApiKey"]
        .clone();
    let over_http = plain(&app, &app.admin(), &input).await.body;
    assert_eq!(over_graphql["quota"]["remaining"], 93);
    assert_eq!(
        over_http["quota"],
        json!({ "limit": 100, "remaining": 86, "resetsAt": over_graphql["quota"]["resetsAt"] })
    );
    let bad_spend = plain(&app, &app.admin(), &json!({ "key": metered, "spend": 0 })).await;
    assert_eq!(
        (bad_spend.status, bad_spend.code().as_str()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
}

#[tokio::test]
async fn plain_verification_refuses_like_the_graphql_transport() {
    let app = TestApp::spawn().await;
    let body = json!({ "key": app.admin() });
    let unauthenticated = plain(&app, "server-nope", &body).await;
    assert_eq!(
        (unauthenticated.status, unauthenticated.code().as_str()),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );
    let forbidden = plain(&app, &app.publishable_key("production"), &body).await;
    assert_eq!(
        (forbidden.status, forbidden.code().as_str()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    assert_eq!(
        forbidden.first_error()["extensions"]["requiredScope"],
        "api_keys:read"
    );
    for bad in [
        json!({}),
        json!({ "key": 5 }),
        json!({ "key": "x", "extra": true }),
        json!([]),
    ] {
        let response = plain(&app, &app.admin(), &bad).await;
        assert_eq!(
            (response.status, response.code().as_str()),
            (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            "{bad}"
        );
    }
    let bad_permission = plain(
        &app,
        &app.admin(),
        &json!({ "key": app.admin(), "permission": "nope" }),
    )
    .await;
    assert_eq!(
        (bad_permission.status, bad_permission.code().as_str()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    let bad_ip = plain(
        &app,
        &app.admin(),
        &json!({ "key": app.admin(), "ip": "10.0.0.999" }),
    )
    .await;
    assert_eq!(
        (bad_ip.status, bad_ip.code().as_str()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    assert_eq!(bad_ip.first_error()["extensions"]["field"], "ip");
    let wrong_type = app
        .client
        .post(app.url("/v1/verify"))
        .header("X-API-Key", app.admin())
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // The caller's own limit applies, and the verified key's is spent and reported.
    let data = app
        .ok(&app.admin(), "mutation { createApiKey(input: {name: \"v\", scopes: [\"api_keys:read\"], rateLimit: {requests: 2, periodSeconds: 60}}) { secret } }", json!({}))
        .await;
    let limited = data["createApiKey"]["secret"].as_str().unwrap().to_owned();
    let first = plain(&app, &app.admin(), &json!({ "key": limited })).await;
    assert_eq!(first.body["rateLimit"]["remaining"], 1);
    plain(&app, &limited, &json!({ "key": app.admin() })).await;
    let over = plain(&app, &limited, &json!({ "key": app.admin() })).await;
    assert_eq!(
        (over.status, over.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
    );
    assert!(over.headers.contains_key("retry-after"));
}
