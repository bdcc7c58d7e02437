//! Nothing a caller writes becomes a metric label: made-up root fields, aliases, fragments and
//! operation names sent by the publishable key or a scoped key add no series to `/metrics`,
//! and what the activity log keeps of a caller's names is bounded.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::{TestApp, nodes_of};

/// How many distinct made-up names each attack sends.
const ATTEMPTS: usize = 150;

/// The series `/metrics` serves: each sample line's name and labels, without its value.
async fn series(app: &TestApp) -> BTreeSet<String> {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| line.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .collect()
}

/// The documents (and operation names) of one round of the attack, numbered `i`: unknown
/// root fields in queries and mutations, real fields behind made-up aliases and operation
/// names, unknown fields inside fragments, and an operation name the document lacks.
fn attack(i: &str) -> Vec<Value> {
    vec![
        json!({ "query": format!("query Q{i} {{ madeUp{i} {{ id }} }}") }),
        json!({ "query": format!("mutation M{i} {{ invented{i}(input: 1) }}") }),
        json!({ "query": format!("{{ a{i}: viewer {{ apiKey {{ id }} }} }}") }),
        json!({
            "query": format!("query Named{i} {{ viewer {{ apiKey {{ id }} }} }}"),
            "operationName": format!("Named{i}"),
        }),
        json!({ "query": format!("{{ ...F{i} }} fragment F{i} on Query {{ hidden{i} }}") }),
        json!({ "query": format!("{{ viewer {{ apiKey {{ id }} }} other{i} }}") }),
        json!({
            "query": "{ viewer { apiKey { id } } }",
            "operationName": format!("Absent{i}"),
        }),
    ]
}

async fn send(app: &TestApp, key: &str, body: &Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("X-API-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    // Answered (whatever the answer); the metrics are what is looked at.
    assert!(response.status().as_u16() < 500, "{body}");
}

async fn send_get(app: &TestApp, key: &str, i: &str) {
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", format!("{{ viaGet{i} }}"))])
        .header("X-API-Key", key)
        .send()
        .await
        .unwrap();
    assert!(response.status().as_u16() < 500);
}

#[tokio::test]
async fn made_up_root_fields_aliases_and_operation_names_grow_no_metric_series() {
    let app = TestApp::spawn().await;
    let publishable = app.publishable_key("production");
    let (_, scoped) = app.create_key("reader", &["api_keys:read"]).await;
    // One round first, so every label value an honest request of these shapes makes exists.
    for key in [&publishable, &scoped] {
        for body in attack("warm") {
            send(&app, key, &body).await;
        }
        send_get(&app, key, "warm").await;
    }
    let before = series(&app).await;
    for i in 0..ATTEMPTS {
        let i = i.to_string();
        for key in [&publishable, &scoped] {
            for body in attack(&i) {
                send(&app, key, &body).await;
            }
            send_get(&app, key, &i).await;
        }
    }
    let after = series(&app).await;
    let grown: Vec<_> = after.difference(&before).collect();
    assert!(grown.is_empty(), "new series: {grown:#?}");
    for name in [
        "madeUp", "invented", "hidden", "other", "viaGet", "Named", "Absent",
    ] {
        assert!(
            !after.iter().any(|series| series.contains(name)),
            "{name} became a label"
        );
    }
    // Honest requests are still told apart by what ran.
    assert!(
        after
            .iter()
            .any(|s| s.starts_with(r#"keyplane_requests_total{operation="viewer",outcome="OK"}"#)),
        "{after:#?}"
    );
}

#[tokio::test]
async fn an_activity_row_keeps_a_bounded_part_of_what_the_caller_named() {
    let app = TestApp::spawn().await;
    let publishable = app.publishable_key("production");
    let long_name = format!("Op{}", "x".repeat(20_000));
    let many_fields: String = (0..500).map(|i| format!(" field{i}")).collect();
    for body in [
        json!({
            "query": format!("query {long_name} {{ viewer {{ apiKey {{ id }} }} }}"),
            "operationName": long_name,
        }),
        json!({
            "query": "{ viewer { apiKey { id } } }",
            "operationName": long_name,
        }),
        json!({ "query": format!("{{{many_fields} {} }}", "y".repeat(20_000)) }),
    ] {
        send(&app, &publishable, &body).await;
    }
    let data = app
        .eventually(
            "{ activityEvents(first: 50) { edges { node { operationName rootFields apiKey { name } } } } }",
            json!({}),
            |data| {
                nodes_of(&data["activityEvents"])
                    .iter()
                    .filter(|n| n["apiKey"]["name"] == "Publishable key")
                    .count()
                    >= 3
            },
        )
        .await;
    let rows: Vec<_> = nodes_of(&data["activityEvents"])
        .into_iter()
        .filter(|n| n["apiKey"]["name"] == "Publishable key")
        .collect();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    for row in rows {
        let name = row["operationName"].as_str().unwrap_or("");
        assert!(
            name.chars().count() <= 100,
            "operation name of {}",
            name.len()
        );
        let fields = row["rootFields"].as_array().unwrap();
        assert!(fields.len() <= 20, "{} root fields", fields.len());
        for field in fields {
            assert!(field.as_str().unwrap().chars().count() <= 100);
        }
    }
}
