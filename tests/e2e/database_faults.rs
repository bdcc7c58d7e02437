//! Honest failures when the database goes away: every request it fails is 503 `UNAVAILABLE`
//! with `Retry-After`, every write that was acknowledged is there afterwards with its audit
//! event, and the server serves again as soon as the database does.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::{Value, json};

use crate::harness::{Gql, TestApp};

const CREATE: &str =
    "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }";

/// What one mutation came back as: acknowledged (the key's id), or refused as unavailable.
enum Answer {
    Created(String),
    Unavailable,
}

fn classify(response: &Gql) -> Answer {
    if response.status == StatusCode::SERVICE_UNAVAILABLE {
        assert_eq!(response.code(), "UNAVAILABLE", "{}", response.body);
        assert_eq!(response.headers["retry-after"], "1");
        return Answer::Unavailable;
    }
    assert_eq!(
        response.status,
        StatusCode::OK,
        "a failure other than 503: {}",
        response.body
    );
    assert!(
        response.body.get("errors").is_none(),
        "an error other than UNAVAILABLE: {}",
        response.body
    );
    Answer::Created(
        response.body["data"]["createApiKey"]["apiKey"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// Every acknowledged key exists and has its `KEY_CREATED` event.
async fn assert_all_present(app: &TestApp, created: &[String]) {
    for id in created {
        let data = app
            .ok(
                &app.admin(),
                "query($id: ID!) { apiKey(id: $id) { id } auditEvents(first: 5, filter: {apiKeyId: $id, type: [KEY_CREATED]}) { edges { node { id } } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            data["apiKey"]["id"],
            Value::from(id.as_str()),
            "an acknowledged key was lost"
        );
        assert_eq!(
            data["auditEvents"]["edges"].as_array().unwrap().len(),
            1,
            "an acknowledged key lost its audit event"
        );
    }
}

#[tokio::test]
async fn terminated_backends_answer_503_and_lose_no_acknowledged_write() {
    let app = TestApp::spawn().await;
    if !app.db.is_postgres() {
        eprintln!("skipped on SQLite: this test terminates PostgreSQL backends");
        return;
    }
    let killer = Database::connect(app.db.url()).await.unwrap();
    let load = (0..6).map(|worker| {
        let (client, url, key) = (app.client.clone(), app.url("/graphql"), app.admin());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            for i in 0..25 {
                let response = client
                    .post(&url)
                    .header("X-API-Key", &key)
                    .json(&json!({ "query": CREATE, "variables": { "input": {
                        "name": format!("load-{worker}-{i}"), "scopes": ["customers:read"] } } }))
                    .send()
                    .await
                    .expect("the server answers");
                answers.push(classify(&Gql::read(response).await));
            }
            answers
        })
    });
    let load: Vec<_> = load.collect();
    let mut terminated = 0;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        let rows = killer
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            ))
            .await
            .unwrap();
        terminated += rows.len();
    }
    let last_kill = Instant::now();
    assert!(terminated > 0, "the server's backends were terminated");

    let (mut created, mut refused) = (Vec::new(), 0);
    for worker in load {
        for answer in worker.await.unwrap() {
            match answer {
                Answer::Created(id) => created.push(id),
                Answer::Unavailable => refused += 1,
            }
        }
    }
    eprintln!(
        "{terminated} backends terminated; {} writes acknowledged, {refused} refused 503",
        created.len()
    );

    // Serving again within 2 s of the last termination.
    loop {
        let response = app
            .gql(
                Some(&app.admin()),
                "{ viewer { account { name } } }",
                json!({}),
            )
            .await;
        if response.status == StatusCode::OK {
            break;
        }
        assert!(
            last_kill.elapsed() < Duration::from_secs(2),
            "still failing 2 s after the database came back: {}",
            response.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_all_present(&app, &created).await;
    let unique: HashSet<_> = created.iter().collect();
    assert_eq!(unique.len(), created.len());
    killer.close().await.ok();
}

#[tokio::test]
async fn a_sqlite_file_locked_past_the_busy_timeout_answers_503_and_changes_nothing() {
    let app = TestApp::spawn().await;
    if app.db.is_postgres() {
        eprintln!("skipped on PostgreSQL: this test locks the SQLite file");
        return;
    }
    let before = app.snapshot().await;
    // Another process's writer holds the file's write lock for longer than the server waits
    // (its busy timeout, then once more on retry).
    let other = Database::connect(app.db.url()).await.unwrap();
    let lock = other.begin().await.unwrap();
    lock.execute_unprepared("UPDATE accounts SET name = name")
        .await
        .unwrap();
    let refused = app
        .gql(
            Some(&app.admin()),
            CREATE,
            json!({ "input": { "name": "blocked", "scopes": ["customers:read"] } }),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.body
    );
    assert_eq!(refused.code(), "UNAVAILABLE");
    assert_eq!(refused.headers["retry-after"], "1");
    lock.rollback().await.unwrap();
    other.close().await.ok();

    assert_eq!(
        app.snapshot().await,
        before,
        "the refused write changed nothing"
    );
    let data = app
        .ok(
            &app.admin(),
            CREATE,
            json!({ "input": { "name": "after", "scopes": ["customers:read"] } }),
        )
        .await;
    assert_all_present(
        &app,
        &[data["createApiKey"]["apiKey"]["id"]
            .as_str()
            .unwrap()
            .to_owned()],
    )
    .await;
}

#[tokio::test]
async fn readiness_reports_an_unreachable_database_as_503_unavailable() {
    let app = TestApp::spawn().await;
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready, json!({ "status": "ready", "database": "ok" }));
    if !app.db.is_postgres() {
        eprintln!("the unreachable case runs on PostgreSQL, whose database can be dropped");
        return;
    }
    // The database disappears from under the server.
    let name = app.db.url().rsplit('/').next().unwrap().to_owned();
    let admin_url = std::env::var(crate::harness::TEST_DATABASE_ENV).unwrap();
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    admin.close().await.ok();
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(Gql::read(response).await.code(), "UNAVAILABLE");
    let query = app
        .gql(
            Some(&app.admin()),
            "{ apiKeys(first: 1) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        query.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        query.body
    );
    assert_eq!(query.code(), "UNAVAILABLE");
}
