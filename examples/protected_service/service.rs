//! The protected service of this example: its settings, read from the environment, and its
//! routes. `tests/e2e/client/layer.rs` runs this same code against a real Keyplane.

use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Json, Router};
use keyplane_client::layer::{CacheSettings, RequireApiKey};
use keyplane_client::{Client, Credentials, RetryPolicy, Secret, VerifyAnswer};
use serde_json::{Value, json};

/// What the service is told by its environment.
pub struct Settings {
    /// `KEYPLANE_URL`, default `http://127.0.0.1:8080`.
    pub keyplane_url: String,
    /// `KEYPLANE_API_KEY`: the service's own key, which needs `api_keys:read`.
    pub service_key: Secret,
    /// `KEYPLANE_PERMISSION`, default `customers:read`: what a caller's key must hold.
    pub permission: String,
    /// `LISTEN_ADDR`, default `127.0.0.1:3000`.
    pub listen: SocketAddr,
    /// `KEYPLANE_CACHE_TTL_MS`: the answer cache, off when unset.
    pub cache_ttl: Option<Duration>,
}

impl Settings {
    /// Reads the settings through `var` (`std::env::var` in `main`).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let service_key = var("KEYPLANE_API_KEY")
            .filter(|key| !key.trim().is_empty())
            .ok_or("set KEYPLANE_API_KEY to a key of this service holding api_keys:read")?;
        let listen = var("LISTEN_ADDR").unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let cache_ttl = var("KEYPLANE_CACHE_TTL_MS")
            .map(|ms| {
                ms.parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|_| "KEYPLANE_CACHE_TTL_MS is a whole number of milliseconds")
            })
            .transpose()?;
        Ok(Self {
            keyplane_url: var("KEYPLANE_URL").unwrap_or_else(|| "http://127.0.0.1:8080".to_owned()),
            service_key: Secret::new(service_key),
            permission: var("KEYPLANE_PERMISSION").unwrap_or_else(|| "customers:read".to_owned()),
            listen: listen
                .parse()
                .map_err(|_| "LISTEN_ADDR is an address and port, like 127.0.0.1:3000")?,
            cache_ttl,
        })
    }
}

/// `GET /customers`, behind the layer; `GET /healthz`, open.
pub fn router(settings: &Settings) -> Result<Router, String> {
    // A verification stands between a caller and its answer: fail fast rather than wait.
    let client = Client::builder(
        &settings.keyplane_url,
        Some(Credentials::ApiKey(settings.service_key.clone())),
    )
    .retry(RetryPolicy::new(
        2,
        Duration::from_millis(50),
        Duration::from_secs(1),
    ))
    .timeout(Duration::from_secs(2))
    .build()
    .map_err(|err| err.to_string())?;
    let mut require = RequireApiKey::new(client, settings.permission.clone());
    if let Some(ttl) = settings.cache_ttl {
        require = require
            .cache(CacheSettings {
                max_entries: 10_000,
                ttl,
            })
            .map_err(|err| err.to_string())?;
    }
    Ok(Router::new()
        .route("/customers", get(customers))
        .layer(require)
        .route("/healthz", get(|| async { "ok" })))
}

/// The caller's key, as the layer verified it, names who is served.
async fn customers(Extension(verified): Extension<VerifyAnswer>) -> Json<Value> {
    let caller = verified.api_key.as_ref();
    Json(json!({
        "customers": [{ "id": "cus_42", "name": "Initech" }],
        "calledBy": {
            "keyId": caller.map(|k| k.id.as_str()),
            "keyName": caller.map(|k| k.name.as_str()),
            "environment": verified.environment,
        },
    }))
}

/// Serves `router` with each connection's address, which the layer passes to Keyplane for IP
/// allow-lists.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
