//! IP allow-lists: a key held to addresses and ranges works only from them, whether it calls
//! Keyplane itself or is verified for another service; the client address is the socket peer
//! unless a trusted proxy forwards it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, TestOptions};

const CREATE: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id allowedIps } } }";
const UPDATE: &str =
    "mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id allowedIps } }";
const VIEWER: &str = "{ viewer { apiKey { id } } }";

async fn create(app: &TestApp, allowed_ips: Value) -> (String, String, Value) {
    let data = app
        .ok(
            &app.admin(),
            CREATE,
            json!({ "input": { "name": "ci runner", "preset": "READ_ONLY", "allowedIps": allowed_ips } }),
        )
        .await;
    let created = &data["createApiKey"];
    (
        created["apiKey"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
        created["apiKey"]["allowedIps"].clone(),
    )
}

/// A request made with `key`, with `X-Forwarded-For` set to each of `forwarded`.
async fn call(app: &TestApp, key: &str, forwarded: &[&str]) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("X-API-Key", key)
        .json(&json!({ "query": VIEWER }));
    for value in forwarded {
        request = request.header("X-Forwarded-For", *value);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn verify(app: &TestApp, key: &str, ip: Option<&str>) -> Value {
    let data = app
        .gql(
            Some(&app.admin()),
            "query($key: String!, $ip: String) { verifyApiKey(input: {key: $key, ip: $ip}) { valid code } }",
            json!({ "key": key, "ip": ip }),
        )
        .await;
    data.body
}

#[tokio::test]
async fn a_key_is_refused_from_addresses_outside_its_allow_list_even_with_a_spoofed_header() {
    let app = TestApp::spawn().await;
    let (id, secret, stored) = create(&app, json!(["10.1.2.3/8", "2001:db8::/32"])).await;
    assert_eq!(stored, json!(["10.0.0.0/8", "2001:db8::/32"]));

    // The test client is 127.0.0.1; no proxy is trusted, so the header proves nothing.
    for forwarded in [&[][..], &["10.1.2.3"][..], &["2001:db8::1"][..]] {
        let (status, body) = call(&app, &secret, forwarded).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{forwarded:?}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        assert_eq!(body["errors"][0]["extensions"]["reason"], "IP_NOT_ALLOWED");
    }

    // Allowing the loopback lets it in at once (the cached key is evicted).
    let data = app
        .ok(
            &app.admin(),
            UPDATE,
            json!({ "input": { "id": id, "allowedIps": ["127.0.0.1", "::1"] } }),
        )
        .await;
    assert_eq!(
        data["updateApiKey"]["allowedIps"],
        json!(["127.0.0.1/32", "::1/128"])
    );
    assert_eq!(call(&app, &secret, &[]).await.0, StatusCode::OK);
    // Null lifts the restriction.
    app.ok(
        &app.admin(),
        UPDATE,
        json!({ "input": { "id": id, "allowedIps": null } }),
    )
    .await;
    assert_eq!(call(&app, &secret, &["6.6.6.6"]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn verification_checks_the_given_address_against_ipv4_and_ipv6_ranges() {
    let app = TestApp::spawn().await;
    let (_, secret, _) = create(&app, json!(["203.0.113.0/24", "2001:db8:abcd::/48"])).await;
    let cases = [
        (Some("203.0.113.77"), "VALID"),
        (Some("::ffff:203.0.113.5"), "VALID"),
        (Some("2001:db8:abcd:42::1"), "VALID"),
        (Some("2001:db8:abce::1"), "IP_NOT_ALLOWED"),
        (Some("198.51.100.1"), "IP_NOT_ALLOWED"),
        (None, "IP_NOT_ALLOWED"),
    ];
    for (ip, code) in cases {
        let body = verify(&app, &secret, ip).await;
        assert_eq!(body["data"]["verifyApiKey"]["code"], code, "{ip:?}");
        assert_eq!(body["data"]["verifyApiKey"]["valid"], code == "VALID");
    }
    let bad = verify(&app, &secret, Some("203.0.113.256")).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "ip");

    // A key without an allow-list ignores the address.
    let (_, open) = app.create_key("open", &["customers:read"]).await;
    let body = verify(&app, &open, Some("198.51.100.1")).await;
    assert_eq!(body["data"]["verifyApiKey"]["code"], "VALID");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_forwarded_address_is_the_client() {
    let app = TestApp::spawn_with(TestOptions {
        trusted_proxies: Some("127.0.0.1/32,::1"),
        ..TestOptions::default()
    })
    .await;
    let (_, secret, _) = create(&app, json!(["203.0.113.0/24", "2001:db8::/32"])).await;
    let cases: [(&[&str], StatusCode); 7] = [
        (&["203.0.113.9"], StatusCode::OK),
        (&["2001:db8::9"], StatusCode::OK),
        // What the client wrote itself sits left of what the proxy appended.
        (&["203.0.113.9, 198.51.100.1"], StatusCode::FORBIDDEN),
        (&["198.51.100.1, 203.0.113.9"], StatusCode::OK),
        (&["198.51.100.1", "203.0.113.9"], StatusCode::OK),
        // Trusted hops on the right are skipped.
        (&["203.0.113.9, 127.0.0.1"], StatusCode::OK),
        // No header: the proxy itself is the client.
        (&[], StatusCode::FORBIDDEN),
    ];
    for (forwarded, status) in cases {
        assert_eq!(
            call(&app, &secret, forwarded).await.0,
            status,
            "{forwarded:?}"
        );
    }
}

#[tokio::test]
async fn bad_allow_lists_change_nothing_and_changes_are_audited_and_kept_by_rotation() {
    let app = TestApp::spawn().await;
    let (id, _, _) = create(&app, json!(["192.0.2.1"])).await;
    let too_many: Vec<String> = (0..101).map(|i| format!("10.0.{i}.0/24")).collect();
    let before = app.snapshot().await;
    for bad in [
        json!([]),
        json!(["10.0.0.0/33"]),
        json!(["example.com"]),
        json!(too_many),
    ] {
        let refused = app
            .gql(
                Some(&app.admin()),
                UPDATE,
                json!({ "input": { "id": id, "allowedIps": bad } }),
            )
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT");
        assert_eq!(refused.first_error()["extensions"]["field"], "allowedIps");
    }
    let refused = app
        .gql(
            Some(&app.admin()),
            CREATE,
            json!({ "input": { "name": "x", "preset": "READ_ONLY", "allowedIps": ["300.0.0.1"] } }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(app.snapshot().await, before);

    app.ok(
        &app.admin(),
        UPDATE,
        json!({ "input": { "id": id, "allowedIps": ["192.0.2.0/24"] } }),
    )
    .await;
    let trail = app
        .ok(
            &app.admin(),
            "query($id: ID!) { auditEvents(first: 1, filter: {apiKeyId: $id}) { edges { node { type before { allowedIps } after { allowedIps } } } } }",
            json!({ "id": id }),
        )
        .await;
    let event = &trail["auditEvents"]["edges"][0]["node"];
    assert_eq!(event["type"], "KEY_UPDATED");
    assert_eq!(event["before"]["allowedIps"], json!(["192.0.2.1/32"]));
    assert_eq!(event["after"]["allowedIps"], json!(["192.0.2.0/24"]));

    let rotated = app
        .ok(
            &app.admin(),
            "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: NOW}) { apiKey { allowedIps } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        rotated["rotateApiKey"]["apiKey"]["allowedIps"],
        json!(["192.0.2.0/24"])
    );
}
