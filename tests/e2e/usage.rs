//! Verifications are counted per key, minute, permission and outcome instead of logged one row
//! each; the counts are read as time series; retention deletes old activity and counters.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

use crate::harness::{Gql, TestApp, TestOptions};

const KEY_USAGE: &str = "query($id: ID!, $from: DateTime!, $to: DateTime!, $g: UsageGranularity!, $p: String) {
    apiKey(id: $id) { usage(from: $from, to: $to, granularity: $g, permission: $p) { at total byOutcome { code count } } } }";
const ENV_USAGE: &str = "query($from: DateTime!, $to: DateTime!, $g: UsageGranularity!) {
    viewer { environment { usage(from: $from, to: $to, granularity: $g) { at total byOutcome { code count } } } } }";

async fn verify(app: &TestApp, key: &str, permission: Option<&str>) -> String {
    let mut body = json!({ "key": key });
    if let Some(permission) = permission {
        body["permission"] = json!(permission);
    }
    let response = app
        .client
        .post(app.url("/v1/verify"))
        .header("X-API-Key", app.admin())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sums a series: the total and the count of each outcome.
fn sums(series: &Value) -> (u64, Vec<(String, u64)>) {
    let mut by_outcome = std::collections::BTreeMap::new();
    let mut total = 0;
    for point in series.as_array().unwrap() {
        total += point["total"].as_u64().unwrap();
        for outcome in point["byOutcome"].as_array().unwrap() {
            *by_outcome
                .entry(outcome["code"].as_str().unwrap().to_owned())
                .or_insert(0) += outcome["count"].as_u64().unwrap();
        }
    }
    (total, by_outcome.into_iter().collect())
}

fn window() -> (String, String) {
    let now = Utc::now();
    (
        (now - chrono::Duration::minutes(30)).to_rfc3339(),
        (now + chrono::Duration::minutes(1)).to_rfc3339(),
    )
}

#[tokio::test]
async fn verifications_are_counted_per_key_and_outcome_and_not_logged() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.create_key("counted", &["customers:read"]).await;
    for _ in 0..3 {
        assert_eq!(verify(&app, &secret, Some("customers:read")).await, "VALID");
    }
    assert_eq!(
        verify(&app, &secret, Some("customers:write")).await,
        "FORBIDDEN"
    );
    for _ in 0..2 {
        let data = app
            .ok(
                &app.admin(),
                "query($k: String!) { verifyApiKey(input: {key: $k}) { code } }",
                json!({ "k": secret }),
            )
            .await;
        assert_eq!(data["verifyApiKey"]["code"], "VALID");
    }
    let unknown = app.server_key("staging");
    assert_eq!(verify(&app, &unknown, None).await, "WRONG_ENVIRONMENT");

    let (from, to) = window();
    let series = app
        .eventually(
            KEY_USAGE,
            json!({ "id": id, "from": from, "to": to, "g": "MINUTE" }),
            |data| sums(&data["apiKey"]["usage"]).0 == 6,
        )
        .await;
    let points = series["apiKey"]["usage"].as_array().unwrap();
    assert_eq!(
        points.len(),
        32,
        "one point per minute of the range, empty ones included"
    );
    assert_eq!(
        sums(&series["apiKey"]["usage"]).1,
        [("FORBIDDEN".to_owned(), 1), ("VALID".to_owned(), 5)]
    );
    for granularity in ["HOUR", "DAY"] {
        let data = app
            .ok(
                &app.admin(),
                KEY_USAGE,
                json!({ "id": id, "from": from, "to": to, "g": granularity }),
            )
            .await;
        assert_eq!(sums(&data["apiKey"]["usage"]).0, 6, "{granularity}");
    }
    let asked_write = app
        .ok(
            &app.admin(),
            KEY_USAGE,
            json!({ "id": id, "from": from, "to": to, "g": "HOUR", "p": "customers:write" }),
        )
        .await;
    assert_eq!(
        sums(&asked_write["apiKey"]["usage"]),
        (1, vec![("FORBIDDEN".to_owned(), 1)])
    );
    // The last verification may land in the flush after the key's six: wait for it too.
    let environment = app
        .eventually(
            ENV_USAGE,
            json!({ "from": from, "to": to, "g": "MINUTE" }),
            |data| sums(&data["viewer"]["environment"]["usage"]).0 >= 7,
        )
        .await;
    assert_eq!(
        sums(&environment["viewer"]["environment"]["usage"]),
        (
            7,
            vec![
                ("FORBIDDEN".to_owned(), 1),
                ("VALID".to_owned(), 5),
                ("WRONG_ENVIRONMENT".to_owned(), 1)
            ]
        ),
        "the environment counts keys it does not show"
    );

    // The management calls are in the activity log; the verifications are not.
    let activity = app
        .ok(
            &app.admin(),
            "{ activityEvents(first: 100) { edges { node { rootFields } } } }",
            json!({}),
        )
        .await;
    let logged: Vec<&Value> = activity["activityEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["rootFields"])
        .collect();
    assert!(logged.iter().any(|fields| fields[0] == "createApiKey"));
    assert!(
        logged.iter().all(|fields| fields[0] != "verifyApiKey"),
        "verifications are counted, not logged: {logged:?}"
    );
}

#[tokio::test]
async fn counted_verifications_survive_a_graceful_restart() {
    let app = TestApp::spawn_with(TestOptions {
        flush: Duration::from_secs(3600),
        ..TestOptions::default()
    })
    .await;
    let (id, secret) = app.create_key("kept", &["customers:read"]).await;
    for _ in 0..4 {
        verify(&app, &secret, None).await;
    }
    let app = app.restart().await;
    let (from, to) = window();
    let data = app
        .ok(
            &app.admin(),
            KEY_USAGE,
            json!({ "id": id, "from": from, "to": to, "g": "HOUR" }),
        )
        .await;
    assert_eq!(
        sums(&data["apiKey"]["usage"]).0,
        4,
        "the shutdown flushed the counters"
    );
}

#[tokio::test]
async fn usage_ranges_and_permissions_are_checked() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("checked", &["customers:read"]).await;
    let now: DateTime<Utc> = Utc::now();
    let at = |days: i64| (now - chrono::Duration::days(days)).to_rfc3339();
    for (from, to, granularity, permission, field) in [
        (at(2), at(0), "MINUTE", None, "from"),
        (at(0), at(1), "HOUR", None, "to"),
        (at(1), at(0), "HOUR", Some("nothing:read"), "permission"),
    ] {
        let refused = app
            .gql(
                Some(&app.admin()),
                KEY_USAGE,
                json!({ "id": id, "from": from, "to": to, "g": granularity, "p": permission }),
            )
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{}", refused.body);
        assert_eq!(refused.first_error()["extensions"]["field"], field);
    }
    // Reading usage needs api_keys:read, like the rest of a key.
    let (_, reader) = app.create_key("no-keys", &["customers:read"]).await;
    let refused = app
        .gql(
            Some(&reader),
            ENV_USAGE,
            json!({ "from": at(1), "to": at(0), "g": "HOUR" }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
}

/// Inserts a row with `at` bound as a parameter, as the server's own statements bind instants.
async fn insert_at(db: &sea_orm::DatabaseConnection, sql: &str, at: DateTime<Utc>) {
    let backend = db.get_database_backend();
    let sql = if backend == sea_orm::DbBackend::Sqlite {
        sql.replace("$1", "?")
    } else {
        sql.to_owned()
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [at.into()]))
        .await
        .unwrap();
}

async fn count(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn retention_deletes_old_activity_and_counters_and_never_audit_events() {
    let app = TestApp::spawn_with(TestOptions {
        retention_interval: Duration::from_millis(200),
        ..TestOptions::default()
    })
    .await;
    let (key_id, _) = app.create_key("audited", &["customers:read"]).await;
    let db = Database::connect(app.db.url()).await.unwrap();
    let env = app
        .ok(&app.admin(), "{ viewer { environment { id } } }", json!({}))
        .await["viewer"]["environment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = Utc::now();
    let days = |n: i64| now - chrono::Duration::days(n);
    let activity = format!(
        "INSERT INTO activity_events (environment_id, root_fields, outcome, http_status, duration_micros, occurred_at) \
         VALUES ('{env}', 'retention-test', 'OK', 200, 1, $1)"
    );
    let minute = |n: &str| {
        format!(
            "INSERT INTO usage_minutes (environment_id, api_key_id, bucket_at, permission, outcome, count) \
             VALUES ('{env}', '', $1, '', '{n}', 1)"
        )
    };
    let hour = |n: &str| {
        format!(
            "INSERT INTO usage_hours (environment_id, api_key_id, bucket_at, permission, outcome, count) \
             VALUES ('{env}', '', $1, '', '{n}', 1)"
        )
    };
    insert_at(&db, &activity, days(91)).await;
    insert_at(&db, &activity, days(89)).await;
    insert_at(&db, &minute("OLD"), days(15)).await;
    insert_at(&db, &minute("KEPT"), days(13)).await;
    insert_at(&db, &hour("OLD"), days(401)).await;
    insert_at(&db, &hour("KEPT"), days(399)).await;
    insert_at(
        &db,
        &format!(
            "INSERT INTO audit_events (environment_id, api_key_id, event_type, actor_type, actor_name, before_state, after_state, occurred_at) \
             VALUES ('{env}', '{key_id}', 'KEY_UPDATED', 'SYSTEM', 'Keyplane', '{{}}', '{{}}', $1)"
        ),
        days(3000),
    )
    .await;
    let audit_before = count(&db, "audit_events").await;

    let mut waited = Duration::ZERO;
    while count(&db, "usage_hours").await > 1 || count(&db, "usage_minutes").await > 1 {
        assert!(waited < Duration::from_secs(10), "retention did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    let old_activity = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM activity_events WHERE root_fields = 'retention-test'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(
        old_activity, 1,
        "the 91-day-old activity row went, the 89-day-old one stayed"
    );
    for table in ["usage_minutes", "usage_hours"] {
        let kept = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT outcome FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<String>("", "outcome")
            .unwrap();
        assert_eq!(kept, "KEPT", "{table}");
    }
    assert_eq!(
        count(&db, "audit_events").await,
        audit_before,
        "audit events are never deleted"
    );
    db.close().await.ok();
}

#[tokio::test]
async fn metrics_behind_a_token_refuse_requests_without_it() {
    let app = TestApp::spawn_with(TestOptions {
        metrics_token: Some("scrape-token-for-tests"),
        ..TestOptions::default()
    })
    .await;
    let get = |auth: Option<&str>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    let refused = get(None).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_eq!(Gql::read(refused).await.code(), "UNAUTHENTICATED");
    let wrong = get(Some("Bearer scrape-token-for-test")).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = get(Some("Bearer scrape-token-for-tests")).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(
        ok.text()
            .await
            .unwrap()
            .contains("keyplane_db_queries_total")
    );
}

#[tokio::test]
async fn retention_deletes_in_bounded_batches() {
    let app = TestApp::spawn().await;
    let db = Database::connect(app.db.url()).await.unwrap();
    let old = Utc::now() - chrono::Duration::days(100);
    let activity = "INSERT INTO activity_events (root_fields, outcome, http_status, duration_micros, occurred_at) \
                    VALUES ('batch-test', 'OK', 200, 1, $1)";
    for _ in 0..3 {
        insert_at(&db, activity, old).await;
    }
    let store = keyplane_store::Store::connect(&app.db.url()).await.unwrap();
    let cutoff = Utc::now() - chrono::Duration::days(90);
    let purge = |limit| store.purge_older_than(keyplane_store::Retained::Activity, cutoff, limit);
    assert_eq!(
        purge(2).await.unwrap(),
        2,
        "a batch deletes at most its limit"
    );
    assert_eq!(purge(2).await.unwrap(), 1, "the short batch ends the run");
    assert_eq!(purge(2).await.unwrap(), 0);
    store.close().await.unwrap();
    db.close().await.ok();
}
