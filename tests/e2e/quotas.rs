//! Usage quotas: each valid verification spends from the key's quota, exactly, across
//! replicas; at zero it answers `QUOTA_EXCEEDED`; changes are audited.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::harness::TestApp;

/// A key with `quota` (`{limit, refill}`) and more, and its id and secret.
async fn quota_key(app: &TestApp, extra: Value) -> (String, String) {
    let mut input = json!({ "name": "metered", "scopes": ["customers:read"] });
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.create_key_from(input).await
}

/// `POST /v1/verify` at `base` with `body`; answers the JSON answer.
async fn verify_at(app: &TestApp, base: &str, body: Value) -> Value {
    let response = app
        .client
        .post(format!("{base}/v1/verify"))
        .header("X-API-Key", app.admin())
        .json(&body)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

async fn remaining(app: &TestApp, id: &str) -> Value {
    let data = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { quota { limit refill remaining resetsAt } } }",
            json!({ "id": id }),
        )
        .await;
    data["apiKey"]["quota"].clone()
}

#[tokio::test]
async fn a_quota_is_spent_to_zero_then_verifications_answer_quota_exceeded() {
    let app = TestApp::spawn().await;
    let (id, secret) = quota_key(&app, json!({ "quota": { "limit": 5, "refill": "NEVER" } })).await;
    let base = app.url("");
    let mut left = Vec::new();
    for _ in 0..3 {
        let answer = verify_at(&app, &base, json!({ "key": secret })).await;
        assert_eq!(answer["code"], "VALID");
        left.push(answer["quota"]["remaining"].as_i64().unwrap());
    }
    assert_eq!(left, [4, 3, 2]);
    // More than is left: refused, and nothing is spent.
    let greedy = verify_at(&app, &base, json!({ "key": secret, "spend": 3 })).await;
    assert_eq!(
        (greedy["valid"].as_bool(), greedy["code"].as_str()),
        (Some(false), Some("QUOTA_EXCEEDED"))
    );
    // A verification refused for another reason spends nothing either.
    let forbidden = verify_at(
        &app,
        &base,
        json!({ "key": secret, "permission": "customers:write" }),
    )
    .await;
    assert_eq!(forbidden["code"], "FORBIDDEN");
    let two = verify_at(&app, &base, json!({ "key": secret, "spend": 2 })).await;
    assert_eq!(
        (two["code"].as_str(), two["quota"]["remaining"].as_i64()),
        (Some("VALID"), Some(0))
    );
    let after = verify_at(&app, &base, json!({ "key": secret })).await;
    assert_eq!(after["code"], "QUOTA_EXCEEDED");
    assert_eq!(after["quota"]["resetsAt"], Value::Null);
    assert_eq!(
        remaining(&app, &id).await,
        json!({ "limit": 5, "refill": "NEVER", "remaining": 0, "resetsAt": null })
    );
    // GraphQL answers the same.
    let gql = app
        .ok(
            &app.admin(),
            "query($k: String!) { verifyApiKey(input: {key: $k}) { valid code quota { limit remaining } } }",
            json!({ "k": secret }),
        )
        .await;
    assert_eq!(
        gql["verifyApiKey"],
        json!({ "valid": false, "code": "QUOTA_EXCEEDED", "quota": { "limit": 5, "remaining": 0 } })
    );
}

#[tokio::test]
async fn bad_quotas_and_spends_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, secret) = quota_key(&app, json!({ "quota": { "limit": 2, "refill": "DAILY" } })).await;
    let before = app.snapshot().await;
    for (limit, field) in [(0, "quota"), (2_000_000_001_i64, "quota")] {
        let refused = app
            .gql(
                Some(&app.admin()),
                "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
                json!({ "input": { "name": "x", "preset": "READ_ONLY", "quota": { "limit": limit, "refill": "DAILY" } } }),
            )
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT");
        assert_eq!(refused.first_error()["extensions"]["field"], field);
    }
    for spend in [0, -1, 1_000_001] {
        let refused = app
            .gql(
                Some(&app.admin()),
                "query($k: String!, $s: Int) { verifyApiKey(input: {key: $k, spend: $s}) { code } }",
                json!({ "k": secret, "s": spend }),
            )
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT");
        assert_eq!(refused.first_error()["extensions"]["field"], "spend");
    }
    assert_eq!(app.snapshot().await, before);
    // The count is untouched: both units are still there.
    let base = app.url("");
    for _ in 0..2 {
        assert_eq!(
            verify_at(&app, &base, json!({ "key": secret })).await["code"],
            "VALID"
        );
    }
    assert_eq!(
        verify_at(&app, &base, json!({ "key": secret })).await["code"],
        "QUOTA_EXCEEDED"
    );
}

#[tokio::test]
async fn a_quota_of_n_is_spent_exactly_n_times_across_three_replicas() {
    let app = TestApp::spawn().await;
    let replicas = [app.replica().await, app.replica().await];
    let bases = [app.url(""), replicas[0].url(""), replicas[1].url("")];
    // Leases are a sixteenth of what is left: 12 at first, fewer near the end.
    let (id, secret) = quota_key(
        &app,
        json!({ "quota": { "limit": 200, "refill": "MONTHLY" } }),
    )
    .await;
    let mut valid = 0;
    for chunk in (0..450).collect::<Vec<usize>>().chunks(18) {
        let calls = chunk
            .iter()
            .map(|i| verify_at(&app, &bases[i % 3], json!({ "key": secret })));
        for answer in join_all(calls).await {
            match answer["code"].as_str().unwrap() {
                "VALID" => valid += 1,
                "QUOTA_EXCEEDED" => {}
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert!(valid <= 200, "{valid} spent of 200");
    // Units idle replicas held go back after 250 ms; then the rest is spent, and no more.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (mut refused_in_a_row, mut i) = (0, 0);
    while refused_in_a_row < 6 {
        match verify_at(&app, &bases[i % 3], json!({ "key": secret })).await["code"].as_str() {
            Some("VALID") => (valid, refused_in_a_row) = (valid + 1, 0),
            _ => refused_in_a_row += 1,
        }
        i += 1;
        assert!(i < 500, "the quota never ran out");
    }
    assert_eq!(valid, 200);
    let quota = remaining(&app, &id).await;
    assert_eq!(quota["remaining"], 0);
    let resets_at = quota["resetsAt"].as_str().unwrap();
    assert!(resets_at.ends_with("-01T00:00:00+00:00"), "{resets_at}");
    for replica in replicas {
        replica.stop().await;
    }
}

#[tokio::test]
async fn a_changed_quota_starts_a_new_count_and_is_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let (id, secret) = quota_key(&app, json!({ "quota": { "limit": 3, "refill": "DAILY" } })).await;
    let base = app.url("");
    for _ in 0..3 {
        assert_eq!(
            verify_at(&app, &base, json!({ "key": secret })).await["code"],
            "VALID"
        );
    }
    let update = "mutation($id: ID!, $q: QuotaInput) { updateApiKey(input: {id: $id, quota: $q}) { quota { limit remaining } } }";
    // The same quota keeps its count.
    let same = app
        .ok(
            &admin,
            update,
            json!({ "id": id, "q": { "limit": 3, "refill": "DAILY" } }),
        )
        .await;
    assert_eq!(
        same["updateApiKey"]["quota"],
        json!({ "limit": 3, "remaining": 0 })
    );
    let raised = app
        .ok(
            &admin,
            update,
            json!({ "id": id, "q": { "limit": 10, "refill": "DAILY" } }),
        )
        .await;
    assert_eq!(
        raised["updateApiKey"]["quota"],
        json!({ "limit": 10, "remaining": 10 })
    );
    let answer = verify_at(&app, &base, json!({ "key": secret })).await;
    assert_eq!(
        (answer["code"].as_str(), answer["quota"]["limit"].as_i64()),
        (Some("VALID"), Some(10))
    );
    let cleared = app.ok(&admin, update, json!({ "id": id, "q": null })).await;
    assert_eq!(cleared["updateApiKey"]["quota"], Value::Null);
    assert_eq!(
        verify_at(&app, &base, json!({ "key": secret })).await["quota"],
        Value::Null
    );
    let events = app
        .ok(&admin, "query($id: ID!) { apiKey(id: $id) { auditEvents { edges { node { type actor { name } before { quota { limit refill } } after { quota { limit refill } } } } } } }", json!({ "id": id }))
        .await;
    let quotas: Vec<(Value, Value)> = events["apiKey"]["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["before"]["quota"]["limit"].clone(),
                e["node"]["after"]["quota"]["limit"].clone(),
            )
        })
        .collect();
    assert_eq!(
        quotas,
        [
            (json!(10), Value::Null),
            (json!(3), json!(10)),
            (json!(3), json!(3)),
            (Value::Null, json!(3)),
        ]
    );
}

#[tokio::test]
async fn a_rotated_key_and_its_successor_spend_one_count() {
    let app = TestApp::spawn().await;
    let (id, old) = quota_key(&app, json!({ "quota": { "limit": 3, "refill": "NEVER" } })).await;
    let base = app.url("");
    assert_eq!(
        verify_at(&app, &base, json!({ "key": old, "spend": 2 })).await["code"],
        "VALID"
    );
    let rotated = app
        .ok(
            &app.admin(),
            "mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { secret apiKey { quota { remaining } } } }",
            json!({ "input": { "id": id, "gracePeriod": "ONE_HOUR" } }),
        )
        .await;
    assert_eq!(rotated["rotateApiKey"]["apiKey"]["quota"]["remaining"], 1);
    let new = rotated["rotateApiKey"]["secret"].as_str().unwrap();
    assert_eq!(
        verify_at(&app, &base, json!({ "key": old })).await["code"],
        "VALID"
    );
    assert_eq!(
        verify_at(&app, &base, json!({ "key": new })).await["code"],
        "QUOTA_EXCEEDED"
    );
    assert_eq!(
        verify_at(&app, &base, json!({ "key": old })).await["code"],
        "QUOTA_EXCEEDED"
    );
}

#[tokio::test]
async fn a_rate_limited_verification_spends_no_quota() {
    let app = TestApp::spawn().await;
    let (id, secret) = quota_key(
        &app,
        json!({ "quota": { "limit": 10, "refill": "NEVER" }, "rateLimit": { "requests": 2, "periodSeconds": 3600 } }),
    )
    .await;
    let base = app.url("");
    let codes: Vec<String> =
        join_all((0..4).map(|_| verify_at(&app, &base, json!({ "key": secret }))))
            .await
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(codes.iter().filter(|c| *c == "VALID").count(), 2);
    assert_eq!(codes.iter().filter(|c| *c == "RATE_LIMITED").count(), 2);
    // Wait for any unspent lease to go back, then only the two valid ones are counted.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(remaining(&app, &id).await["remaining"], 8);
}
