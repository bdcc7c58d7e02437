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
    /// `--legacy-customer-tokens`: accepted, as by default.
    pub legacy_customer_tokens: keyplane_domain::client_security::LegacyTokens,
    /// `--max-event-streams`: the open event streams the server allows at once.
    pub max_event_streams: usize,
    /// Password hashes at once and waiting (`--password-hash-concurrency`), and the guessing
    /// throttles (fixed in the binary; shortened here to compress time).
    pub passwords: keyplane_service::passwords::PasswordSettings,
    /// `--header-read-timeout-seconds`, `--request-timeout-seconds`, `--max-connections`
    /// (here as durations, so a test can shorten them below a second).
    pub limits: keyplane_api::ServerLimits,
    /// `--key-cache-capacity`.
    pub key_cache_capacity: usize,
    /// `--parse-cache-capacity`.
    pub parse_cache_capacity: usize,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            plan: Plan::Scale,
            flush: FLUSH,
            limits: keyplane_api::ServerLimits::default(),
            key_cache_capacity: 10_000,
            parse_cache_capacity: 1_000,
            cache_ttl: std::time::Duration::from_secs(60),
            retention_interval: std::time::Duration::from_secs(3600),
            metrics_token: None,
            sessions: keyplane_domain::session::SessionPolicy::default(),
            trusted_proxies: None,
            redis_url: None,
            webhook_allow_private: true,
            webhook_retry_base: std::time::Duration::from_millis(100),
            expiry_sweep: std::time::Duration::from_secs(30),
            legacy_customer_tokens: Default::default(),
            max_event_streams: 1_000,
            passwords: keyplane_service::passwords::PasswordSettings::default(),
        }
    }
}
