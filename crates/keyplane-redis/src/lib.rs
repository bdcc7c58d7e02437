#![doc = include_str!("../README.md")]

pub mod gcra;
mod latency;
#[cfg(test)]
mod tls_tests;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use gcra::Grant;
pub use latency::LatencyHistogram;

/// Why a call to Redis failed. The text never holds a key's secret: only ids are sent.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("the Redis URL is not valid: {0}")]
    Url(String),
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("Redis: {0}")]
    Failed(#[from] redis::RedisError),
    #[error("Redis answered something unexpected: {0}")]
    Unexpected(&'static str),
}

/// redis-rs reads options from a URL's fragment (`#insecure` turns certificate checks off, and
/// is not built in here, so it would only fail at connect time): refused when opening.
fn refuse_fragment(url: &str) -> Result<(), RedisError> {
    if url.contains('#') {
        return Err(RedisError::Url(
            "the Redis URL must not have a fragment (#…)".to_owned(),
        ));
    }
    Ok(())
}

/// A connection to Redis shared by the whole process (cheap to clone).
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    timeout: Duration,
    latency: Arc<LatencyHistogram>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: it is not kept, and never printed.
        f.debug_struct("Redis")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Prepares a connection to `url` (`redis://HOST:PORT/DB`, or `rediss://…` for TLS,
    /// checked against the system's roots). It connects on first use and reconnects by itself,
    /// so a Redis that is down at start delays nothing; only a malformed URL fails here. Every
    /// call gives up after `timeout`.
    pub fn open(url: &str, timeout: Duration) -> Result<Self, RedisError> {
        refuse_fragment(url)?;
        let client = redis::Client::open(url).map_err(|e| RedisError::Url(e.to_string()))?;
        Self::with_client(client, timeout)
    }

    /// As [`Redis::open`], for a `rediss://` URL whose server certificate is signed by the CA
    /// in `ca_pem` (PEM) instead of one the system trusts.
    pub fn open_with_ca(url: &str, timeout: Duration, ca_pem: &[u8]) -> Result<Self, RedisError> {
        if !url.starts_with("rediss://") {
            return Err(RedisError::Url(
                "a CA file is for TLS: the URL must start with rediss://".to_owned(),
            ));
        }
        // A file with no certificate would trust nothing: every handshake would fail and rate
        // limits would quietly fall back to each replica's own.
        if !String::from_utf8_lossy(ca_pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(RedisError::Url(
                "the Redis CA file holds no PEM certificate".to_owned(),
            ));
        }
        refuse_fragment(url)?;
        let certificates = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(ca_pem.to_vec()),
        };
        let client = redis::Client::build_with_tls(url, certificates)
            .map_err(|e| RedisError::Url(e.to_string()))?;
        Self::with_client(client, timeout)
    }

    fn with_client(client: redis::Client, timeout: Duration) -> Result<Self, RedisError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| RedisError::Url(e.to_string()))?;
        Ok(Self {
            connection,
            timeout,
            latency: Arc::default(),
        })
    }

    /// How long calls took, for `/metrics`.
    pub fn latency(&self) -> &LatencyHistogram {
        &self.latency
    }

    /// Whether Redis answers `PING`.
    pub async fn ping(&self) -> Result<(), RedisError> {
        let mut connection = self.connection.clone();
        let pong: String = self
            .call(async move { redis::cmd("PING").query_async(&mut connection).await })
            .await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(RedisError::Unexpected("PING"))
        }
    }

    /// Runs one call under the timeout, and times it.
    async fn call<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RedisError> {
        let started = Instant::now();
        let outcome = tokio::time::timeout(self.timeout, call).await;
        self.latency.observe(started.elapsed());
        match outcome {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(RedisError::Timeout(self.timeout)),
        }
    }
}
