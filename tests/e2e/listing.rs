//! Listings: filters, keyset pagination newest first, and the audit trail.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::harness::TestApp;

const PAGE: &str = "query($first: Int, $after: String, $filter: ApiKeyFilter) {
  apiKeys(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id name type status } }
    pageInfo { hasNextPage endCursor }
  }
}";

fn names(data: &Value) -> Vec<String> {
    data["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_walk_every_key_once_newest_first() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for i in 0..23 {
        created.push(
            app.create_key(&format!("key {i:02}"), &["customers:read"])
                .await
                .0,
        );
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = app
            .ok(&app.admin(), PAGE, json!({ "first": 10, "after": after }))
            .await;
        pages += 1;
        let edges = data["apiKeys"]["edges"].as_array().unwrap().clone();
        assert!(edges.len() <= 10);
        for edge in &edges {
            assert_eq!(edge["cursor"], edge["node"]["id"]);
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        let info = &data["apiKeys"]["pageInfo"];
        assert_eq!(
            info["endCursor"],
            edges.last().map_or(Value::Null, |e| e["cursor"].clone())
        );
        if !info["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25, "23 scoped keys and the two defaults");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        25,
        "no key twice"
    );
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(seen[..23], newest_first[..], "newest first");
}

#[tokio::test]
async fn page_size_and_cursor_are_validated() {
    let app = TestApp::spawn().await;
    let default_size = app.ok(&app.admin(), PAGE, json!({})).await;
    assert_eq!(names(&default_size).len(), 2);
    for (variables, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": -1 }), "first"),
        // One page rule for GraphQL and REST: 1 to 100.
        (json!({ "first": 0 }), "first"),
        (json!({ "after": "not-a-cursor" }), "after"),
        (json!({ "after": "'; DROP TABLE api_keys; --" }), "after"),
    ] {
        let response = app.gql(Some(&app.admin()), PAGE, variables.clone()).await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{variables}");
        assert_eq!(response.first_error()["extensions"]["field"], field);
    }
}

#[tokio::test]
async fn filters_by_kind_type_status_and_name() {
    let app = TestApp::spawn().await;
    let (revoked, _) = app.create_key("Billing Old", &["customers:read"]).await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
        json!({ "id": revoked }),
    )
    .await;
    let (rotating, _) = app
        .create_key("billing rotating", &["customers:read"])
        .await;
    app.ok(
        &app.admin(),
        "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_DAY}) { secret } }",
        json!({ "id": rotating }),
    )
    .await;
    app.create_key("50%_off coupons", &["coupons:write"]).await;

    let cases = [
        (
            json!({ "kind": ["DEFAULT"] }),
            vec!["Publishable key", "Full access key"],
        ),
        (json!({ "type": ["FULL_ACCESS"] }), vec!["Full access key"]),
        (
            json!({ "kind": ["DEFAULT"], "type": ["PUBLISHABLE", "SCOPED"] }),
            vec!["Publishable key"],
        ),
        (json!({ "status": ["REVOKED"] }), vec!["Billing Old"]),
        (
            json!({ "status": ["EXPIRING_SOON"] }),
            vec!["billing rotating"],
        ),
        (
            json!({ "nameContains": "BILLING" }),
            vec!["billing rotating", "billing rotating", "Billing Old"],
        ),
        (
            json!({ "nameContains": "billing", "status": ["ACTIVE"] }),
            vec!["billing rotating"],
        ),
        (json!({ "nameContains": "%_" }), vec!["50%_off coupons"]),
        (json!({ "nameContains": "_" }), vec!["50%_off coupons"]),
        (json!({ "type": [] }), vec![]),
    ];
    for (filter, expected) in cases {
        let data = app
            .ok(&app.admin(), PAGE, json!({ "filter": filter }))
            .await;
        assert_eq!(names(&data), expected, "{filter}");
    }
    let long = app
        .gql(
            Some(&app.admin()),
            PAGE,
            json!({ "filter": { "nameContains": "x".repeat(101) } }),
        )
        .await;
    assert_eq!(long.code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn audit_trail_records_every_change_with_its_actor_newest_first() {
    let app = TestApp::spawn().await;
    let (manager_id, manager) = app
        .create_key("ops bot", &["api_keys:write", "customers:write"])
        .await;
    let (id, _) = app
        .create_key_as(&manager, "svc", &["customers:read"])
        .await;
    app.ok(
        &manager,
        "mutation($id: ID!) { updateApiKey(input: {id: $id, name: \"svc 2\"}) { id } }",
        json!({ "id": id }),
    )
    .await;
    app.ok(&manager, "mutation($id: ID!) { updateApiKeyScopes(input: {id: $id, scopes: [\"customers:write\"]}) { id } }", json!({ "id": id })).await;
    app.ok(
        &manager,
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
        json!({ "id": id }),
    )
    .await;

    let data = app
        .ok(&app.admin(), "query($id: ID!) { apiKey(id: $id) { auditEvents(first: 2) { edges { cursor node { id type occurredAt actor { type id name } } } pageInfo { hasNextPage endCursor } } } }", json!({ "id": id }))
        .await;
    let page = &data["apiKey"]["auditEvents"];
    let types: Vec<&str> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["KEY_REVOKED", "SCOPES_UPDATED"]);
    for edge in page["edges"].as_array().unwrap() {
        assert_eq!(
            edge["node"]["actor"],
            json!({ "type": "API_KEY", "id": manager_id, "name": "ops bot" })
        );
    }
    let rest = app
        .ok(&app.admin(), "query($after: String) { auditEvents(after: $after, filter: {type: [KEY_CREATED, KEY_UPDATED]}) { edges { node { type apiKey { name } } } } }", json!({ "after": page["pageInfo"]["endCursor"] }))
        .await;
    let rest: Vec<(String, String)> = rest["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["type"].as_str().unwrap().to_owned(),
                e["node"]["apiKey"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("KEY_UPDATED", "svc 2"),
        ("KEY_CREATED", "svc 2"),
        ("KEY_CREATED", "ops bot"),
        ("KEY_CREATED", "Publishable key"),
        ("KEY_CREATED", "Full access key"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(rest, expected);
    let system = app
        .ok(&app.admin(), "{ auditEvents(filter: {type: [KEY_CREATED]}) { edges { node { actor { type id name } } } } }", json!({}))
        .await;
    let last = system["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["node"]["actor"],
        json!({ "type": "SYSTEM", "id": null, "name": "Keyplane" })
    );
}

#[tokio::test]
async fn related_keys_in_a_listing_are_loaded_in_batches_not_one_query_each() {
    // Write-behind flushes (activity rows, last-used times) would land among the statements
    // counted: none runs during this test.
    let app = TestApp::spawn_with(crate::harness::TestOptions {
        flush: std::time::Duration::from_secs(3600),
        ..crate::harness::TestOptions::default()
    })
    .await;
    for i in 0..10 {
        let (id, _) = app
            .create_key(&format!("rotated-{i}"), &["customers:read"])
            .await;
        app.ok(
            &app.admin(),
            "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_DAY}) { secret } }",
            json!({ "id": id }),
        )
        .await;
    }
    let query = "{ apiKeys(first: 50) { edges { node { id rotatedFrom { id } replacedBy { id } } } }
                   auditEvents(first: 50) { edges { node { apiKey { id } relatedApiKey { id } } } } }";
    // Warm the caller's cache entry, so only the listing itself is counted.
    app.ok(&app.admin(), query, json!({})).await;
    let before = crate::fast_path::metric(&app, "keyplane_db_queries_total").await;
    let data = app.ok(&app.admin(), query, json!({})).await;
    let statements = crate::fast_path::metric(&app, "keyplane_db_queries_total").await - before;
    let nodes = data["apiKeys"]["edges"].as_array().unwrap();
    let linked = nodes
        .iter()
        .filter(|e| !e["node"]["rotatedFrom"].is_null() || !e["node"]["replacedBy"].is_null())
        .count();
    assert_eq!(
        linked, 20,
        "every rotated key and its successor point at each other"
    );
    assert!(
        data["auditEvents"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["node"]["apiKey"]["id"].is_string()),
    );
    // Two listings, and the related keys in a handful of batches: not one query per key.
    assert!(statements <= 6, "{statements} statements for one listing");
}
