//! How a test server is configured.

use keyplane_domain::account::Plan;

use super::FLUSH;

#[derive(Debug, Clone)]
pub struct TestOptions {
    pub plan: Plan,
    /// Write-behind flush interval: long, to see that only a graceful shutdown wrote something.
    pub flush: std::time::Duration,
    pub cache_ttl: std::time::Duration,
    /// How often retention runs: short, for the tests that watch it delete.
    pub retention_interval: std::time::Duration,
    pub metrics_token: Option<&'static str>,
    pub sessions: keyplane_domain::session::SessionPolicy,
    /// `--trusted-proxies`, comma-separated.
    pub trusted_proxies: Option<&'static str>,
    /// `--redis-url`; each server opens its own connection.
    pub redis_url: Option<String>,
    /// `--webhook-allow-private`: on, since test receivers listen on 127.0.0.1.
    pub webhook_allow_private: bool,
    /// `--webhook-retry-base-ms`: short, so retries come within a test.
    pub webhook_retry_base: std::time::Duration,
    /// `--expiry-sweep-ms`.
    pub expiry_sweep: std::time::Duration,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            plan: Plan::Scale,
            flush: FLUSH,
            cache_ttl: std::time::Duration::from_secs(60),
            retention_interval: std::time::Duration::from_secs(3600),
            metrics_token: None,
            sessions: keyplane_domain::session::SessionPolicy::default(),
            trusted_proxies: None,
            redis_url: None,
            webhook_allow_private: true,
            webhook_retry_base: std::time::Duration::from_millis(100),
            expiry_sweep: std::time::Duration::from_secs(30),
        }
    }
}
