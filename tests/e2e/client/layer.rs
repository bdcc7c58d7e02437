//! `examples/protected_service` (its own code, included below) in front of a real Keyplane: a
//! valid key passes, others are refused with Keyplane's error body, a revoked key is refused
//! within the cache bound, a forged `X-Forwarded-For` passes no allow-list, and a Keyplane
//! that cannot be reached is 503, never 200.

#[path = "../../../examples/protected_service/service.rs"]
mod service;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::Utc;
use keyplane_client::{CreateApiKey, RateLimit, UsageGranularity, UsageQuery};
use reqwest::StatusCode;
use serde_json::Value;

use super::client;
use crate::harness::TestApp;

/// The example service, started from these environment variables on 127.0.0.1:0.
async fn protected_service(vars: &[(&str, String)]) -> SocketAddr {
    let mut env: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    env.insert("LISTEN_ADDR".into(), "127.0.0.1:0".into());
    let settings = service::Settings::from_env(|name| env.get(name).cloned()).unwrap();
    let router = service::router(&settings).unwrap();
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { service::serve(listener, router).await });
    addr
}

/// The example in front of `app`, verifying with a key that holds only `api_keys:read`.
async fn in_front_of(app: &TestApp, cache_ttl_ms: Option<u64>) -> SocketAddr {
    let (_, service_key) = app.create_key("edge-service", &["api_keys:read"]).await;
    let mut vars = vec![
        ("KEYPLANE_URL", app.url("")),
        ("KEYPLANE_API_KEY", service_key),
        ("KEYPLANE_PERMISSION", "customers:read".to_owned()),
    ];
    if let Some(ms) = cache_ttl_ms {
        vars.push(("KEYPLANE_CACHE_TTL_MS", ms.to_string()));
    }
    protected_service(&vars).await
}

async fn get(addr: SocketAddr, key: Option<&str>, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().get(format!("http://{addr}/customers"));
    if let Some(key) = key {
        request = request.header("X-API-Key", key);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the service answers");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn a_valid_key_passes_and_every_other_is_refused_in_keyplanes_error_body() {
    let app = TestApp::spawn().await;
    let service = in_front_of(&app, None).await;
    let (caller_id, caller) = app.create_key("caller", &["customers:read"]).await;
    let (_, weak) = app.create_key("weak", &["subscriptions:read"]).await;

    let (status, body) = get(service, Some(&caller), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["calledBy"]["keyId"], caller_id.as_str());
    assert_eq!(body["calledBy"]["environment"], "production");

    let refusals = [
        (None, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", None),
        (
            Some("server-garbage"),
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            None,
        ),
        (
            Some(weak.as_str()),
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            Some("customers:read"),
        ),
    ];
    for (key, status, code, scope) in refusals {
        let (answered, body) = get(service, key, &[]).await;
        assert_eq!(answered, status, "{key:?}: {body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"].is_string());
        if let Some(scope) = scope {
            assert_eq!(body["error"]["requiredScope"], scope);
        }
        if let Some(key) = key {
            assert!(
                !body.to_string().contains(key),
                "no refusal repeats the key"
            );
        }
    }

    // Without the cache, a revocation is refused at once.
    client(&app, &app.admin())
        .revoke_api_key(&caller_id)
        .await
        .unwrap();
    let (status, body) = get(service, Some(&caller), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["reason"], "REVOKED");
}

#[tokio::test]
async fn with_the_cache_a_revoked_key_is_refused_within_its_ttl() {
    let app = TestApp::spawn().await;
    let ttl = Duration::from_millis(1_000);
    let service = in_front_of(&app, Some(ttl.as_millis() as u64)).await;
    let (caller_id, caller) = app.create_key("caller", &["customers:read"]).await;
    let admin = client(&app, &app.admin());

    for _ in 0..3 {
        assert_eq!(get(service, Some(&caller), &[]).await.0, StatusCode::OK);
    }
    // Keyplane was asked fewer times than the service was: the cache answered the rest.
    let query = UsageQuery {
        from: Utc::now() - chrono::Duration::minutes(5),
        to: Utc::now() + chrono::Duration::minutes(1),
        granularity: UsageGranularity::Minute,
        permission: None,
    };
    let mut verified = 0;
    for _ in 0..40 {
        verified = admin
            .api_key_usage(&caller_id, &query)
            .await
            .unwrap()
            .iter()
            .map(|p| p.total)
            .sum::<u64>();
        if verified > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        (1..3).contains(&verified),
        "{verified} verifications for 3 requests"
    );

    admin.revoke_api_key(&caller_id).await.unwrap();
    let revoked_at = Instant::now();
    loop {
        let (status, _) = get(service, Some(&caller), &[]).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            revoked_at.elapsed() < ttl + Duration::from_millis(500),
            "a revoked key passed longer than the cache's TTL"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_key_under_a_rate_limit_is_counted_every_time_even_with_the_cache() {
    let app = TestApp::spawn().await;
    let service = in_front_of(&app, Some(5_000)).await;
    let limited = client(&app, &app.admin())
        .create_api_key(&CreateApiKey {
            rate_limit: Some(RateLimit {
                requests: 2,
                period_seconds: 60,
                mode: None,
            }),
            ..CreateApiKey::with_scopes("limited", ["customers:read"])
        })
        .await
        .unwrap();
    let secret = limited.secret.expose();
    assert_eq!(get(service, Some(secret), &[]).await.0, StatusCode::OK);
    assert_eq!(get(service, Some(secret), &[]).await.0, StatusCode::OK);
    let (status, body) = get(service, Some(secret), &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn a_forged_forwarded_for_passes_no_ip_allow_list() {
    let app = TestApp::spawn().await;
    let service = in_front_of(&app, None).await;
    let admin = client(&app, &app.admin());
    let create = |name: &str, range: &str| CreateApiKey {
        allowed_ips: Some(vec![range.to_owned()]),
        ..CreateApiKey::with_scopes(name, ["customers:read"])
    };
    let elsewhere = admin
        .create_api_key(&create("office", "203.0.113.7/32"))
        .await
        .unwrap();
    let loopback = admin
        .create_api_key(&create("local", "127.0.0.1/32"))
        .await
        .unwrap();

    let forged = [
        ("X-Forwarded-For", "203.0.113.7"),
        ("Forwarded", "for=203.0.113.7"),
    ];
    let (status, body) = get(service, Some(elsewhere.secret.expose()), &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["reason"], "IP_NOT_ALLOWED");
    // The connection's own address is what Keyplane is told.
    let (status, body) = get(service, Some(loopback.secret.expose()), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_unreachable_keyplane_is_503_never_200() {
    let app = TestApp::spawn().await;
    let (_, caller) = app.create_key("caller", &["customers:read"]).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let service = protected_service(&[
        ("KEYPLANE_URL", nowhere),
        ("KEYPLANE_API_KEY", app.admin()),
        ("KEYPLANE_CACHE_TTL_MS", "5000".to_owned()),
    ])
    .await;
    let (status, body) = get(service, Some(&caller), &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "UNAVAILABLE");
    // The routes outside the layer still answer.
    let health = reqwest::get(format!("http://{service}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
