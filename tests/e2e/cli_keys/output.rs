//! `--output json` read field by field for every command, the table for people, and where
//! secrets go: a created or rotated secret on stdout once, no secret ever on stderr.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Keyplane, Ran};
use crate::harness::TestApp;

fn instant(value: &Value) -> DateTime<Utc> {
    value.as_str().expect("a time").parse().expect("RFC 3339")
}

/// Every run of the test, to check that stderr never held a secret.
struct Runs {
    cli: Keyplane,
    all: Vec<Ran>,
}

impl Runs {
    async fn ok(&mut self, args: &[&str]) -> Value {
        let ran = self.cli.run(args).await.ok();
        let value = if ran.stdout.trim().is_empty() {
            Value::Null
        } else {
            ran.json()
        };
        self.all.push(ran);
        value
    }

    async fn with_stdin(&mut self, stdin: &str, args: &[&str]) -> Value {
        let ran = self.cli.clone().stdin(stdin).run(args).await.ok();
        let value = ran.json();
        self.all.push(ran);
        value
    }
}

#[tokio::test]
async fn json_output_has_the_documented_shape_and_secrets_go_to_stdout_once() {
    let app = TestApp::spawn().await;
    let mut runs = Runs {
        cli: Keyplane::new(&app, &app.admin()).env("KEYPLANE_OUTPUT", "text"),
        all: Vec::new(),
    };
    let before = Utc::now();
    let created = runs
        .ok(&[
            "keys",
            "create",
            "--name",
            "billing",
            "--description",
            "billing service",
            "--scopes",
            "customers:read,subscriptions:read",
            "--expires-in",
            "90d",
            "--rate-limit",
            "100/1m",
            "--quota",
            "10000/monthly",
            "--allowed-ips",
            "10.0.0.0/8",
            "--metadata",
            "plan=pro",
            "--metadata",
            "team=payments",
            "--external-id",
            "acct_42",
            "--customer-ids",
            "cus_1,cus_2",
            "--output",
            "json",
        ])
        .await;
    let key = &created["apiKey"];
    let id = key["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().expect("the secret").to_owned();
    assert_eq!(key["name"], "billing");
    assert_eq!(key["description"], "billing service");
    assert_eq!(key["type"], "SCOPED");
    assert_eq!(key["status"], "ACTIVE");
    assert_eq!(
        key["scopes"],
        json!(["customers:read", "subscriptions:read"])
    );
    assert_eq!(key["rateLimit"]["requests"], 100);
    assert_eq!(key["rateLimit"]["periodSeconds"], 60);
    assert_eq!(key["quota"]["limit"], 10_000);
    assert_eq!(key["quota"]["refill"], "MONTHLY");
    assert_eq!(key["allowedIps"], json!(["10.0.0.0/8"]));
    assert_eq!(key["customerIds"], json!(["cus_1", "cus_2"]));
    assert_eq!(
        key["metadata"],
        json!({ "plan": "pro", "team": "payments" })
    );
    assert_eq!(key["externalId"], "acct_42");
    assert_eq!(key["fullAccess"], false);
    assert_eq!(key["recoverable"], false);
    let masked = key["maskedKey"].as_str().expect("a masked key");
    assert!(
        masked.starts_with("server-") && masked.contains('•'),
        "{masked}"
    );
    assert!(
        secret.ends_with(masked.rsplit('•').next().unwrap()),
        "{masked}"
    );
    assert_eq!(key["createdBy"]["type"], "API_KEY");
    assert!(key["createdBy"]["id"].is_string() && key["createdBy"]["name"].is_string());
    let expires = instant(&key["expiresAt"]);
    assert!(expires >= before + chrono::Duration::days(90) - chrono::Duration::seconds(1));
    assert!(expires <= Utc::now() + chrono::Duration::days(90));
    assert!(
        !key.to_string().contains(&secret),
        "the key object holds no secret"
    );

    let got = runs.ok(&["keys", "get", &id, "-o", "json"]).await;
    assert_eq!(&got, key, "get answers the object create did");

    let listed = runs
        .ok(&["keys", "list", "--name", "billing", "-o", "json"])
        .await;
    assert_eq!(listed, json!([key]), "a list is one JSON array");
    let every = runs
        .ok(&["keys", "list", "--limit", "100", "-o", "json"])
        .await;
    let every = every.as_array().unwrap();
    assert_eq!(every.len(), 3, "production's two default keys and this one");
    // --all: every page (here one key a page), one key per line.
    let ran = runs
        .cli
        .run(&["keys", "list", "--all", "--limit", "1", "-o", "json"])
        .await
        .ok();
    let ids = |keys: &[Value]| -> Vec<String> {
        keys.iter()
            .map(|k| k["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let lines: Vec<Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(ids(&lines), ids(every), "NDJSON, in list order");

    let updated = runs
        .ok(&[
            "keys",
            "update",
            &id,
            "--name",
            "billing-v2",
            "--clear-rate-limit",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(updated["name"], "billing-v2");
    assert_eq!(updated["rateLimit"], Value::Null);
    assert_eq!(updated["externalId"], "acct_42", "untouched");
    let moved = runs
        .ok(&["keys", "expire", &id, "--in", "30d", "-o", "json"])
        .await;
    assert!(instant(&moved["expiresAt"]) < expires);
    let disabled = runs
        .ok(&[
            "keys",
            "disable",
            &id,
            "--reason",
            "suspected leak",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(disabled["status"], "DISABLED");
    assert_eq!(disabled["disabledReason"], "suspected leak");
    let enabled = runs.ok(&["keys", "enable", &id, "-o", "json"]).await;
    assert_eq!(enabled["status"], "ACTIVE");

    let rotated = runs
        .ok(&["keys", "rotate", &id, "--grace", "1d", "-o", "json"])
        .await;
    let new_id = rotated["apiKey"]["id"].as_str().unwrap().to_owned();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(rotated["apiKey"]["rotatedFromId"], id.as_str());
    assert_eq!(rotated["previousKey"]["id"], id.as_str());
    assert_eq!(rotated["previousKey"]["replacedById"], new_id.as_str());
    let grace_end = instant(&rotated["previousKey"]["expiresAt"]);
    assert!(grace_end <= Utc::now() + chrono::Duration::days(1));

    let answer = runs
        .with_stdin(
            &new_secret,
            &[
                "keys",
                "verify",
                "--permission",
                "customers:read",
                "--ip",
                "10.1.2.3",
                "--customer-id",
                "cus_1",
                "-o",
                "json",
            ],
        )
        .await;
    assert_eq!(answer["valid"], true);
    assert_eq!(answer["code"], "VALID");
    assert_eq!(answer["apiKey"]["id"], new_id.as_str());
    assert_eq!(answer["apiKey"]["externalId"], "acct_42");
    assert_eq!(answer["environment"], "production");
    assert!(!answer.to_string().contains(&new_secret));

    let newest = runs
        .ok(&["keys", "list", "--limit", "1", "-o", "json"])
        .await;
    assert_eq!(newest[0]["id"], new_id.as_str(), "newest first");
    let events = runs.ok(&["audit", "--key", &id, "-o", "json"]).await;
    let types: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.first(),
        Some(&"KEY_ROTATED"),
        "newest first: {types:?}"
    );
    assert_eq!(types.last(), Some(&"KEY_CREATED"), "{types:?}");
    for event in events.as_array().unwrap() {
        assert_eq!(event["apiKeyId"], id.as_str());
        assert!(event["actor"]["type"].is_string() && event["occurredAt"].is_string());
    }

    let usage = runs
        .ok(&[
            "usage",
            &new_id,
            "--from",
            "1h",
            "--granularity",
            "MINUTE",
            "-o",
            "json",
        ])
        .await;
    let points = usage.as_array().unwrap();
    assert!((60..=61).contains(&points.len()), "{}", points.len());
    for point in points {
        instant(&point["at"]);
        assert!(point["total"].is_u64() && point["byOutcome"].is_array());
    }

    let (other, _) = app.create_key("other", &["customers:read"]).await;
    let bulk = runs
        .ok(&["keys", "revoke", &new_id, &other, "-o", "json"])
        .await;
    let revoked: Vec<&str> = bulk["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.contains(&new_id.as_str()) && revoked.contains(&other.as_str()));
    assert_eq!(bulk["skipped"], json!([]));

    // In table mode, a rotation's stdout is its secret alone; the rest is for people, on
    // stderr.
    let (plain, _) = app.create_key("plain", &["customers:read"]).await;
    let ran = runs
        .cli
        .run(&["keys", "rotate", &plain, "--grace", "now"])
        .await
        .ok();
    let printed = ran.stdout.trim().to_owned();
    assert_eq!(ran.stdout, format!("{printed}\n"));
    assert!(ran.stderr.contains("rotated key"), "{}", ran.stderr);
    let table = runs.cli.run(&["keys", "list"]).await.ok();
    assert!(table.stdout.contains("ID") && table.stdout.contains("STATUS"));
    assert!(table.stdout.contains(&plain));
    assert!(!table.stdout.contains('\u{1b}'), "no colour off a terminal");
    runs.all.push(ran);
    runs.all.push(table);

    for ran in &runs.all {
        ran.stderr_holds_none_of(&[&secret, &new_secret, &printed, &app.admin()]);
    }
}

/// A server newer than the client (here a fake one) answers a creation the client cannot
/// decode whole: the secret is still printed, alone on stdout, and the command fails.
#[tokio::test]
async fn a_secret_in_an_answer_the_client_cannot_decode_is_still_printed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let body =
            r#"{"apiKey":{"id":"k-new","status":"FROM_THE_FUTURE"},"secret":"server-kept-secret"}"#;
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0; 16384];
            let _ = socket.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    let cli = Keyplane::new(&app, &app.admin()).env("KEYPLANE_URL", &url);
    let args = [
        "keys",
        "create",
        "--name",
        "n",
        "--scopes",
        "customers:read",
    ];
    let table = cli.run(&args).await;
    assert_eq!(table.code, 1, "{}", table.stderr);
    assert_eq!(table.stdout, "server-kept-secret\n");
    assert!(table.stderr.contains("k-new"), "{}", table.stderr);
    table.stderr_holds_none_of(&["server-kept-secret"]);
    let mut json_args = args.to_vec();
    json_args.extend(["--output", "json"]);
    let json = cli.run(&json_args).await;
    assert_eq!(json.code, 1, "{}", json.stderr);
    assert_eq!(json.json()["secret"], "server-kept-secret");
    assert_eq!(json.json()["apiKey"]["id"], "k-new");
}
