//! The event log beyond webhooks: the event queue and its temporary credentials, expiry
//! notices, and leak reports.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{LEAK_REPORTER_TOKEN, TestApp, TestOptions};

const CREDENTIALS: &str = "mutation($ttl: Int) { createEventQueueCredentials(ttlSeconds: $ttl) { token expiresAt eventsPath } }";

async fn credentials(app: &TestApp, caller: &str) -> String {
    let data = app.ok(caller, CREDENTIALS, json!({})).await;
    data["createEventQueueCredentials"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn read(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/events?{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn events(app: &TestApp, token: &str, query: &str) -> Value {
    let response = read(app, token, query).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn types(body: &Value) -> Vec<String> {
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_event_queue_reads_from_a_cursor_and_waits_for_the_next_event() {
    let app = TestApp::spawn().await;
    // Credentials need event_queue:read.
    let (_, no_scope) = app.create_key("no queue", &["customers:read"]).await;
    let response = app.gql(Some(&no_scope), CREDENTIALS, json!({})).await;
    assert_eq!(response.code(), "FORBIDDEN");
    let response = app
        .gql(Some(&app.admin()), CREDENTIALS, json!({ "ttl": 30 }))
        .await;
    assert_eq!(response.code(), "BAD_USER_INPUT");
    let (_, reader) = app.create_key("queue reader", &["event_queue:read"]).await;
    let token = credentials(&app, &reader).await;
    assert!(token.starts_with("kpq_"));

    // Bootstrap created six keys, then the test two: all in order.
    let all = events(&app, &token, "after=0&wait=0").await;
    let seqs: Vec<i64> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    assert!(types(&all).iter().all(|t| t == "key.created"));
    assert_eq!(all["next"], *seqs.last().unwrap());
    // Another environment's events are not here: production has 2 default keys + 2 made.
    assert_eq!(seqs.len(), 4);
    let page = events(&app, &token, "after=1&limit=2&wait=0").await;
    assert_eq!(page["events"][0]["seq"], 2);
    assert_eq!(page["next"], 3);

    // A read waiting at the end gets the next event within a second of its commit.
    let next = all["next"].as_i64().unwrap();
    let waiting = {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/v1/events?after={next}&wait=10")),
            token.clone(),
        );
        tokio::spawn(async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            (Instant::now(), response.json::<Value>().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (key_id, _) = app.create_key("awaited", &["customers:read"]).await;
    let committed = Instant::now();
    let (answered, body) = waiting.await.unwrap();
    assert!(answered.duration_since(committed) < Duration::from_secs(1));
    assert_eq!(body["events"][0]["data"]["apiKeyId"], key_id);
    assert_eq!(body["events"][0]["seq"], next + 1);

    // Nothing new: a short wait answers empty with the same cursor.
    let started = Instant::now();
    let empty = events(&app, &token, &format!("after={}&wait=1", next + 1)).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(empty["events"], json!([]));
    assert_eq!(empty["next"], next + 1);

    for (query, field) in [
        ("after=-1", "after"),
        ("limit=0", "limit"),
        ("wait=31", "wait"),
        ("after=x", "after"),
    ] {
        let response = read(&app, &token, query).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{query}");
    }
    for bad in ["kpq_nope", &app.admin()] {
        let response = read(&app, bad, "wait=0").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = app.client.get(app.url("/v1/events")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_credentials_are_refused() {
    let app = TestApp::spawn().await;
    let token = credentials(&app, &app.admin()).await;
    assert_eq!(read(&app, &token, "wait=0").await.status(), StatusCode::OK);
    // Fifteen minutes pass.
    let db = sea_orm::Database::connect(app.db.url()).await.unwrap();
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(
        "UPDATE event_queue_credentials SET expires_at = '2020-01-01T00:00:00.000000+00:00'",
    )
    .await
    .unwrap();
    let response = read(&app, &token, "wait=0").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

/// Reads SSE frames from `response` until `count` events came; answers `(id, type)` pairs.
async fn sse(mut response: reqwest::Response, count: usize) -> Vec<(String, String)> {
    let mut text = String::new();
    let mut found = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while found.len() < count && Instant::now() < deadline {
        let chunk = tokio::time::timeout(Duration::from_secs(5), response.chunk())
            .await
            .expect("a frame in time")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_owned())
            };
            if let (Some(id), Some(event)) = (field("id:"), field("event:")) {
                found.push((id, event));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_stream_resumes_from_last_event_id() {
    let app = TestApp::spawn().await;
    let token = credentials(&app, &app.admin()).await;
    let response = app
        .client
        .get(app.url("/v1/events/stream"))
        .bearer_auth(&token)
        .header("Last-Event-ID", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let stream = tokio::spawn(sse(response, 2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.create_key("streamed", &["customers:read"]).await;
    let frames = stream.await.unwrap();
    // Event 1 came before the cursor: the stream starts at 2, then the new key (3).
    assert_eq!(
        frames,
        [
            ("2".to_owned(), "key.created".to_owned()),
            ("3".to_owned(), "key.created".to_owned())
        ]
    );
    let response = app
        .client
        .get(app.url("/v1/events/stream?after=nope"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expiry_notices_fire_once_per_expiry() {
    let app = TestApp::spawn_with(TestOptions {
        expiry_sweep: Duration::from_millis(100),
        ..TestOptions::default()
    })
    .await;
    let token = credentials(&app, &app.admin()).await;
    let expires_at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (key_id, _) = app
        .create_key_from(json!({ "name": "short-lived", "scopes": ["customers:read"], "expiresAt": expires_at.to_rfc3339() }))
        .await;
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let all = events(&app, &token, "after=0&wait=0").await;
    let notices: Vec<_> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["apiKeyId"] == key_id && e["type"] != "key.created")
        .collect();
    let kinds: Vec<_> = notices
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["key.expiring_soon", "key.expired"]);
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(notices[1]["data"]["expiresAt"].as_str().unwrap())
            .unwrap()
            .timestamp(),
        expires_at.timestamp()
    );
    // More sweeps tell nothing twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = events(&app, &token, &format!("after={}&wait=0", all["next"])).await;
    assert_eq!(again["events"], json!([]));
}

async fn report(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/leaks"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

const KEY_STATE: &str = "query($id: ID!) { apiKey(id: $id) { status
  auditEvents(first: 5) { edges { node { type after { leak { url source action } } } } } } }";

#[tokio::test]
async fn leak_reports_revoke_scoped_keys_and_notify_for_default_keys() {
    let app = TestApp::spawn().await;
    let (scoped_id, scoped) = app.create_key("leaked", &["customers:read"]).await;
    let token = credentials(&app, &app.admin()).await;
    let entry = |token: &str| json!({ "token": token, "type": "keyplane_key", "url": "https://gist.example/1", "source": "gist" });
    let body = json!([
        entry(&scoped),
        entry(&app.publishable_key("production")),
        entry("server-notakey"),
        entry("hello")
    ]);
    assert_eq!(
        report(&app, "wrong", body.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = report(&app, LEAK_REPORTER_TOKEN, body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let labels: Value = response.json().await.unwrap();
    let labels: Vec<&str> = labels
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "true_positive",
            "true_positive",
            "false_positive",
            "false_positive"
        ]
    );

    let state = app
        .ok(&app.admin(), KEY_STATE, json!({ "id": scoped_id }))
        .await;
    assert_eq!(state["apiKey"]["status"], "REVOKED");
    let leak = &state["apiKey"]["auditEvents"]["edges"][0]["node"];
    assert_eq!(leak["type"], "KEY_LEAKED");
    assert_eq!(
        leak["after"]["leak"],
        json!({ "url": "https://gist.example/1", "source": "gist", "action": "REVOKED" })
    );
    // The publishable key keeps working: it must be rotated, not revoked.
    let publishable_id = app
        .ok(
            &app.admin(),
            "{ apiKeys(first: 50) { edges { node { id type } } } }",
            json!({}),
        )
        .await["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["type"] == "PUBLISHABLE")
        .unwrap()["node"]["id"]
        .clone();
    let state = app
        .ok(&app.admin(), KEY_STATE, json!({ "id": publishable_id }))
        .await;
    assert_eq!(state["apiKey"]["status"], "ACTIVE");
    assert_eq!(
        state["apiKey"]["auditEvents"]["edges"][0]["node"]["after"]["leak"]["action"],
        "NOTIFIED"
    );
    let logged = events(&app, &token, "after=0&wait=0").await;
    assert_eq!(
        types(&logged).iter().filter(|t| *t == "key.leaked").count(),
        2
    );
    // Nothing reported reaches the log.
    assert!(!crate::harness::captured_logs().contains(&scoped));

    // Under NOTIFY a scoped key stays usable; the API reports the same way.
    app.ok(
        &app.admin(),
        "mutation { setLeakPolicy(policy: NOTIFY) { leakPolicy } }",
        json!({}),
    )
    .await;
    let (kept_id, kept) = app.create_key("kept", &["customers:read"]).await;
    let data = app
        .ok(
            &app.admin(),
            "mutation($s: String!) { reportLeakedApiKey(secret: $s, url: \"https://paste.example\") { matched } }",
            json!({ "s": kept }),
        )
        .await;
    assert_eq!(data["reportLeakedApiKey"]["matched"], true);
    let state = app
        .ok(&app.admin(), KEY_STATE, json!({ "id": kept_id }))
        .await;
    assert_eq!(state["apiKey"]["status"], "ACTIVE");
    assert_eq!(
        state["apiKey"]["auditEvents"]["edges"][0]["node"]["after"]["leak"]["action"],
        "NOTIFIED"
    );
    let data = app
        .ok(
            &app.admin(),
            "mutation { reportLeakedApiKey(secret: \"server-nothing\") { matched } }",
            json!({}),
        )
        .await;
    assert_eq!(data["reportLeakedApiKey"]["matched"], false);
}

#[tokio::test]
async fn a_refused_change_writes_no_event() {
    let app = TestApp::spawn().await;
    let token = credentials(&app, &app.admin()).await;
    let before = events(&app, &token, "after=0&wait=0").await["next"].clone();
    let response = app
        .gql(
            Some(&app.admin()),
            "mutation { createApiKey(input: {name: \"\", scopes: [\"customers:read\"]}) { apiKey { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(response.code(), "BAD_USER_INPUT");
    let after = events(&app, &token, "after=0&wait=0").await["next"].clone();
    assert_eq!(before, after);
}
