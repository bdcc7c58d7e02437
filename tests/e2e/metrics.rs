//! `/metrics` in the Prometheus text format it declares, checked by Prometheus's own `promtool`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn the_exposition_passes_promtool_check_metrics() {
    let app = TestApp::spawn().await;
    // Samples in every family that has labels: a verification, a GraphQL call, a refusal.
    let (_, secret) = app.create_key("scraped", &["customers:read"]).await;
    for key in [secret.as_str(), "server-not-a-key"] {
        app.client
            .post(app.url("/v1/verify"))
            .json(&json!({ "key": key }))
            .send()
            .await
            .unwrap();
    }
    app.ok(
        &app.admin(),
        "{ apiKeys(first: 1) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    let answer = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(
        answer.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("# TYPE keyplane_requests_total counter"),
        "{text}"
    );
    assert!(!text.contains("# EOF"), "{text}");

    let promtool = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: promtool cannot run here ({err}); CI installs Debian's prometheus");
            return;
        }
        Err(err) => panic!("CI needs promtool (Debian's prometheus package): {err}"),
    };
    let mut promtool = promtool;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}
