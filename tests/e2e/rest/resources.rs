//! The environment's other resources over REST: its settings, integrations, webhook endpoints
//! and their deliveries, event-queue credentials. Each works, is refused with its code and
//! nothing changed, and answers 404 for an id of another environment.

mod environment;
mod event_queue;
mod integrations;
mod webhook_endpoints;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Rest, call, read};
use crate::harness::TestApp;

/// The production environment as REST shows it.
async fn environment_settings(app: &TestApp) -> Value {
    let got = call(app, &app.admin(), Method::GET, "/api/v1/environment", None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    got.body
}

/// `method path` with a person's session, acting in production.
async fn as_person(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Rest {
    read(
        app.client
            .request(method, app.url(path))
            .bearer_auth(token)
            .header("Keyplane-Environment", "production")
            .json(&body),
    )
    .await
}

/// The ids of a list's page and its `has_more` and `next_cursor`, checked against each other.
async fn page_of(
    app: &TestApp,
    key: &str,
    path: &str,
    query: &str,
) -> (Vec<String>, Option<String>) {
    let got = call(app, key, Method::GET, &format!("{path}?{query}"), None).await;
    assert_eq!(got.status, StatusCode::OK, "{query}: {}", got.body);
    let ids: Vec<String> = got.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect();
    let next = got.body["next_cursor"].as_str().map(str::to_owned);
    assert_eq!(
        got.body["has_more"],
        json!(next.is_some()),
        "{query}: {}",
        got.body
    );
    (ids, next)
}

/// Checks what every list ordered by id promises, as `GET /api/v1/api-keys` does: `expected`
/// (the ids it holds, newest first; three or more) walked by `starting_after` and back by
/// `ending_before` with neither overlap nor gap; a bad `limit` or cursor refused naming it;
/// and `foreign`, the id of another environment's item made between two of `expected`, taken
/// as a cursor, pages through `expected` alone.
async fn check_list(app: &TestApp, key: &str, path: &str, expected: &[String], foreign: &str) {
    assert!(expected.len() >= 3, "enough items for two pages");
    let (mut seen, mut next) = page_of(app, key, path, "limit=2").await;
    assert_eq!(seen, expected[..2], "the newest first");
    while let Some(after) = next {
        let (ids, more) = page_of(app, key, path, &format!("limit=2&starting_after={after}")).await;
        seen.extend(ids);
        next = more;
    }
    assert_eq!(seen, expected, "every item once, newest first");

    // Back from the oldest: each page newest first, each `next_cursor` its newest item.
    let oldest = expected.last().unwrap();
    let mut newer = Vec::new();
    let mut before = Some(oldest.clone());
    while let Some(cursor) = before {
        let (ids, more) = page_of(app, key, path, &format!("limit=2&ending_before={cursor}")).await;
        if more.is_some() {
            assert_eq!(more.as_ref(), ids.first(), "continues from its newest");
        }
        newer.splice(0..0, ids);
        before = more;
    }
    assert_eq!(
        newer,
        expected[..expected.len() - 1],
        "every newer item once"
    );

    for (query, field) in [
        ("limit=0", Some("limit")),
        ("limit=101", Some("limit")),
        ("limit=ten", Some("limit")),
        ("starting_after=not-a-cursor", Some("starting_after")),
        ("ending_before=1", Some("ending_before")),
        (
            &format!("starting_after={oldest}&ending_before={oldest}") as &str,
            Some("ending_before"),
        ),
        ("bogus=1", None),
        ("limit=1&limit=2", None),
    ] {
        let refused = call(app, key, Method::GET, &format!("{path}?{query}"), None).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{query}"
        );
        assert_eq!(refused.body["error"]["field"].as_str(), field, "{query}");
    }

    let older: Vec<String> = expected
        .iter()
        .filter(|id| id.as_str() < foreign)
        .cloned()
        .collect();
    let newer: Vec<String> = expected
        .iter()
        .filter(|id| id.as_str() > foreign)
        .cloned()
        .collect();
    assert!(
        !older.is_empty() && !newer.is_empty(),
        "made between two of the list's"
    );
    let (ids, _) = page_of(
        app,
        key,
        path,
        &format!("limit=100&starting_after={foreign}"),
    )
    .await;
    assert_eq!(ids, older, "only the list's own older items");
    let (ids, _) = page_of(
        app,
        key,
        path,
        &format!("limit=100&ending_before={foreign}"),
    )
    .await;
    assert_eq!(ids, newer, "only the list's own newer items");
}
