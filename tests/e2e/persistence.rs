//! What survives: restarts, migrations, the committed schema, and secrets that never do.

use keyplane_migrations::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::harness::{TestApp, TestDatabase, captured_logs};

#[tokio::test]
async fn a_restart_loses_nothing() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.create_key("durable", &["customers:read"]).await;
    let rotated = app
        .ok(&app.admin(), "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_DAY}) { secret } }", json!({ "id": id }))
        .await;
    let new_secret = rotated["rotateApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app.snapshot().await;

    let app = app.restart().await;
    assert_eq!(app.snapshot().await, before);
    app.ok(&secret, "{ viewer { apiKey { status } } }", json!({}))
        .await;
    app.ok(&new_secret, "{ viewer { apiKey { status } } }", json!({}))
        .await;
}

#[tokio::test]
async fn migrations_run_up_down_and_up_again() {
    let db = TestDatabase::create().await;
    let store = keyplane_store::Store::connect(&db.url()).await.unwrap();
    let conn = store.connection();
    Migrator::up(conn, None).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(conn)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::down(conn, None).await.unwrap();
    assert_eq!(
        Migrator::get_pending_migrations(conn).await.unwrap().len(),
        Migrator::migrations().len()
    );
    Migrator::up(conn, None).await.unwrap();
    assert!(
        !store.is_initialised().await.unwrap(),
        "a fresh schema holds no account"
    );
    store.close().await.unwrap();
}

#[tokio::test]
async fn committed_schema_matches_what_the_server_serves() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let served = keyplane_api::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == served,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test --test e2e committed_schema` and commit it"
    );
}

#[tokio::test]
async fn no_plaintext_secret_is_stored_or_logged() {
    let app = TestApp::spawn().await;
    let (id, scoped) = app.create_key("secretive", &["customers:read"]).await;
    let rotated = app
        .ok(&app.admin(), "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_HOUR}) { secret } }", json!({ "id": id }))
        .await;
    let rotated = rotated["rotateApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    // Use every secret, including in a GET query string and a rejected request.
    for secret in [
        &scoped,
        &rotated,
        &app.admin(),
        &app.publishable_key("staging"),
    ] {
        app.gql(Some(secret), "{ viewer { apiKey { id } } }", json!({}))
            .await;
        app.client
            .get(app.url("/graphql"))
            .query(&[(
                "query",
                format!("{{ viewer {{ apiKey {{ id }} }} }} # {secret}"),
            )])
            .header("X-API-Key", secret.as_str())
            .send()
            .await
            .unwrap();
    }
    let mut secrets: Vec<String> = vec![scoped, rotated];
    for env in &app.keys.environments {
        secrets.push(env.full_access_key.expose().to_owned());
        secrets.push(env.publishable_key.expose().to_owned());
    }
    let stored = app.db.raw_contents().await;
    let logs = captured_logs();
    assert!(
        logs.contains("/graphql"),
        "the server's request logs were captured"
    );
    for secret in &secrets {
        // The body alone: a match of any 40-character run would be a leak.
        let body = &secret[7..47];
        assert!(!stored.contains(body), "a secret is stored in plaintext");
        assert!(!logs.contains(body), "a secret reached the log");
    }
}

#[tokio::test]
async fn replicas_starting_together_migrate_once() {
    let db = TestDatabase::create().await;
    if !db.is_postgres() {
        eprintln!("skipped on SQLite: one file, one writer, no advisory lock to test");
        return;
    }
    let url = db.url();
    let starts = (0..3).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { keyplane::open_store(&url).await.map(|_| ()) })
    });
    for start in starts.collect::<Vec<_>>() {
        start
            .await
            .unwrap()
            .expect("every replica starts on the same fresh database");
    }
    let store = keyplane_store::Store::connect(&url).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(store.connection())
            .await
            .unwrap()
            .is_empty()
    );
    let applied = Migrator::get_applied_migrations(store.connection())
        .await
        .unwrap();
    assert_eq!(
        applied.len(),
        Migrator::migrations().len(),
        "each applied once"
    );
}

#[tokio::test]
async fn postgres_sslmode_in_the_url_is_honoured() {
    let db = TestDatabase::create().await;
    if !db.is_postgres() {
        eprintln!("skipped on SQLite: TLS is PostgreSQL's");
        return;
    }
    let encrypted = keyplane::open_store(&format!("{}?sslmode=require", db.url()))
        .await
        .expect("the test server accepts TLS");
    let row = encrypted
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.try_get::<bool>("", "ssl").unwrap(),
        "the connection is encrypted"
    );
    // verify-full checks the server's certificate, which no trusted authority signed here:
    // refused, rather than silently downgraded.
    let verified =
        keyplane_store::Store::connect(&format!("{}?sslmode=verify-full", db.url())).await;
    assert!(verified.is_err(), "an unverifiable certificate is refused");
}
