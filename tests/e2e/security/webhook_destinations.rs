//! Webhook destinations that reach inside the network by another road: an IPv6 form that
//! carries a private IPv4 address (NAT64, 6to4, IPv4-compatible, IPv4-mapped), site-local
//! IPv6, the reserved IPv4 blocks, and a proxy from the environment that would resolve the
//! name itself. Each is refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::{ServeProcess, keyplane};
use crate::harness::{TestApp, TestDatabase, TestOptions};
use crate::webhooks::CREATE;

const ENDPOINTS: &str = "{ webhookEndpoints { edges { node { id url } } } }";

#[tokio::test]
async fn embedded_and_reserved_private_addresses_cannot_be_webhook_destinations() {
    let app = TestApp::spawn_with(TestOptions {
        webhook_allow_private: false,
        ..TestOptions::default()
    })
    .await;
    let before = app.snapshot().await;
    let endpoints_before = app.ok(&app.admin(), ENDPOINTS, json!({})).await;
    for url in [
        // NAT64 (well-known prefix) of loopback, of the cloud metadata address, of 10/8.
        "https://[64:ff9b::7f00:1]/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "https://[64:ff9b::10.0.0.1]/hooks",
        // NAT64's local-use prefix, whatever it carries.
        "https://[64:ff9b:1::808:808]/",
        // IPv4-compatible, deprecated: refused whatever it carries.
        "https://[::127.0.0.1]/",
        "https://[::8.8.8.8]/",
        // IPv4-mapped private addresses.
        "https://[::ffff:10.0.0.1]/",
        "https://[::ffff:169.254.169.254]/",
        // 6to4 of loopback and of 192.168.1.1.
        "https://[2002:7f00:1::]/",
        "https://[2002:c0a8:101::1]/",
        // Site-local IPv6.
        "https://[fec0::1]/",
        // IETF protocol assignments, reserved 240/4 and the broadcast address.
        "https://192.0.0.8/",
        "https://240.0.0.1/",
        "https://255.255.255.255/",
        // The same, spelt as integers and hex, which URL parsing normalises.
        "http://4026531841/",
        "http://0xf0.0.0.1/",
    ] {
        let response = app
            .gql(
                Some(&app.admin()),
                CREATE,
                json!({ "input": { "url": url, "events": ["*"] } }),
            )
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{url}");
        assert_eq!(
            response.first_error()["extensions"]["field"],
            "url",
            "{url}"
        );
    }
    assert_eq!(app.snapshot().await, before, "nothing was written");
    assert_eq!(
        app.ok(&app.admin(), ENDPOINTS, json!({})).await,
        endpoints_before,
        "no endpoint was created"
    );
    // A public IPv4 host reached through NAT64 is an ordinary destination.
    let public = app
        .gql(
            Some(&app.admin()),
            CREATE,
            json!({ "input": { "url": "https://[64:ff9b::808:808]/", "events": ["*"] } }),
        )
        .await;
    assert!(public.codes().is_empty(), "{}", public.body);
}

/// A TCP listener standing in for a proxy: it counts connections and answers each with 502.
/// It runs on its own thread, so it counts while the test blocks.
fn counting_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut stream) = stream {
                use std::io::Write;
                let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
            }
        }
    });
    (url, connections)
}

async fn graphql(addr: std::net::SocketAddr, key: &str, query: &str, variables: Value) -> Value {
    crate::harness::client()
        .post(format!("http://{addr}/graphql"))
        .header("x-api-key", key)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_proxy_from_the_environment_cannot_resolve_a_webhook_name_past_the_filter() {
    let db = TestDatabase::create().await;
    let init = keyplane(&db, &["init", "--output", "json"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let keys: Value = serde_json::from_slice(&init.stdout).unwrap();
    let admin = keys["environments"][0]["fullAccessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let (proxy, connections) = counting_proxy();
    // A name only the proxy's side of the network would know. Sent through the proxy, it
    // would be resolved there, where Keyplane's resolver cannot drop a private answer.
    let server = ServeProcess::start(
        &db,
        &[],
        &[
            ("HTTP_PROXY", &proxy),
            ("HTTPS_PROXY", &proxy),
            ("ALL_PROXY", &proxy),
            ("http_proxy", &proxy),
            ("https_proxy", &proxy),
            ("all_proxy", &proxy),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
            ("KEYPLANE_WEBHOOK_RETRY_BASE_MS", "60000"),
        ],
    );
    let created = graphql(
        server.addr,
        &admin,
        CREATE,
        json!({ "input": { "url": "http://metadata.keyplane-test.invalid/latest", "events": ["*"] } }),
    )
    .await;
    let endpoint_id = created["data"]["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    graphql(
        server.addr,
        &admin,
        "mutation { createApiKey(input: { name: \"an event\", scopes: [\"customers:read\"] }) { apiKey { id } } }",
        json!({}),
    )
    .await;
    let mut attempt = Value::Null;
    for _ in 0..200 {
        let found = graphql(
            server.addr,
            &admin,
            crate::webhooks::DELIVERIES,
            json!({ "id": endpoint_id }),
        )
        .await;
        attempt = found["data"]["webhookEndpoint"]["deliveries"]["nodes"][0]["attempts"][0].clone();
        if !attempt.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, logged) = server.stop();
    assert!(!attempt.is_null(), "an attempt was recorded:\n{logged}");
    assert_eq!(attempt["succeeded"], false, "{attempt}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the delivery went through the proxy: {attempt}"
    );
}
