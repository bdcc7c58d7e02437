//! The layer's refusals that need no Keyplane at all: no key, several keys, a Keyplane that
//! cannot be reached or fails. Every one must be a refusal, never the wrapped service.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Bytes;
use http::{Request, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::*;
use crate::{Credentials, RetryPolicy};

/// A body that keeps its bytes, to read what the layer wrote.
struct Written(Bytes);

impl From<Bytes> for Written {
    fn from(bytes: Bytes) -> Self {
        Self(bytes)
    }
}

static REACHED: AtomicUsize = AtomicUsize::new(0);

async fn protected(request: Request<()>) -> Result<Response<Written>, Infallible> {
    REACHED.fetch_add(1, Ordering::SeqCst);
    assert!(request.extensions().get::<VerifyAnswer>().is_some());
    Ok(Response::new(Written(Bytes::from_static(b"passed"))))
}

fn layer_to(url: &str) -> RequireApiKey {
    let client = Client::builder(url, Some(Credentials::api_key("server-service-key")))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    RequireApiKey::new(client, "customers:read")
}

async fn send(layer: &RequireApiKey, keys: &[&str]) -> (StatusCode, serde_json::Value) {
    let mut request = Request::builder().uri("/customers");
    for key in keys {
        request = request.header(API_KEY_HEADER, *key);
    }
    let service = layer.layer(tower::service_fn(protected));
    let response = service.oneshot(request.body(()).unwrap()).await.unwrap();
    let status = response.status();
    let body = serde_json::from_slice(&response.into_body().0).unwrap_or_default();
    (status, body)
}

/// A local address nothing listens on.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A server that answers every request with `status` and a body that is not Keyplane's.
async fn failing_server(status: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let answer = format!(
                    "HTTP/1.1 {status} Failing\r\ncontent-type: text/html\r\ncontent-length: 6\r\nconnection: close\r\n\r\nbroken"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_request_without_a_key_is_refused_without_asking_keyplane() {
    // Keyplane is not even reachable: the refusal is made before any call.
    let layer = layer_to(&closed_port().await);
    let before = REACHED.load(Ordering::SeqCst);
    let (status, body) = send(&layer, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    let (status, body) = send(&layer, &["server-one", "server-two"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(REACHED.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn an_unreachable_keyplane_is_503_never_a_pass() {
    let layer = layer_to(&closed_port().await);
    let before = REACHED.load(Ordering::SeqCst);
    let (status, body) = send(&layer, &["server-presented-key"]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "UNAVAILABLE");
    assert!(!body.to_string().contains("server-presented-key"), "{body}");
    assert_eq!(REACHED.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn a_failing_keyplane_is_503_and_a_refusal_of_the_service_itself_is_500() {
    let before = REACHED.load(Ordering::SeqCst);
    for failing in [500, 502, 503, 429] {
        let layer = layer_to(&failing_server(failing).await);
        let (status, body) = send(&layer, &["server-presented-key"]).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{failing}: {body}");
    }
    // Keyplane turning the service's own key away is a configuration fault, still no pass.
    for refusing in [401, 403, 400] {
        let layer = layer_to(&failing_server(refusing).await);
        let (status, body) = send(&layer, &["server-presented-key"]).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{refusing}: {body}"
        );
        assert_eq!(body["error"]["code"], "INTERNAL_SERVER_ERROR");
    }
    assert_eq!(REACHED.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn a_cache_longer_than_the_bound_is_refused_at_construction() {
    let layer = layer_to(&closed_port().await);
    let refused = layer.cache(CacheSettings {
        max_entries: 1_000,
        ttl: MAX_CACHE_TTL + std::time::Duration::from_millis(1),
    });
    assert_eq!(refused.unwrap_err(), CacheSettingsError::Ttl);
}
