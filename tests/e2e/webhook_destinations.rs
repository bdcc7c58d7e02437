//! Webhook destinations: private, loopback and link-local addresses are refused, by URL at
//! creation and by resolution at each attempt, unless the operator allows them.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Receiver, TestApp, TestOptions};
use crate::webhooks::{CREATE, deliveries, endpoint};

/// This machine's host name, which resolves to a loopback or private address.
async fn private_host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("the host name")
        .trim()
        .to_owned();
    let addresses: Vec<_> = tokio::net::lookup_host((name.as_str(), 80))
        .await
        .expect("the host name resolves")
        .collect();
    assert!(
        addresses
            .iter()
            .all(|a| keyplane_domain::webhook::is_private_destination(a.ip())),
        "{name} resolves to {addresses:?}; this test needs it to be private"
    );
    name
}

#[tokio::test]
async fn private_destinations_need_the_operators_flag() {
    let app = TestApp::spawn_with(TestOptions {
        webhook_allow_private: false,
        ..TestOptions::default()
    })
    .await;
    let receiver = Receiver::start().await;
    for url in [
        receiver.url(),
        "http://localhost:9/hooks".to_owned(),
        "http://[::1]:9/hooks".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://10.0.0.8/hooks".to_owned(),
    ] {
        let response = app
            .gql(
                Some(&app.admin()),
                CREATE,
                json!({ "input": { "url": url, "events": ["*"] } }),
            )
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{url}");
    }
    // A name is resolved when the delivery is sent, and a private answer is not used.
    let name = private_host_name().await;
    let url = format!("http://{name}:{}/hooks", receiver.addr.port());
    let (endpoint_id, _) = endpoint(&app, &url, &["key.created"]).await;
    app.create_key("never delivered", &["customers:read"]).await;
    let mut error = None;
    for _ in 0..100 {
        let found = deliveries(&app, &endpoint_id).await;
        if let Some(attempt) = found.first().and_then(|d| d["attempts"].get(0)) {
            error = attempt["error"].as_str().map(str::to_owned);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let error = error.expect("an attempt was recorded");
    assert!(error.contains("private"), "{error}");
    assert!(receiver.received().is_empty());
}
