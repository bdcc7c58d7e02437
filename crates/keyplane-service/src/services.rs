//! The services every use case runs with, and the background tasks they start.

use std::sync::Arc;

use chrono::Duration;
use keyplane_domain::seal::DataKey;
use keyplane_domain::secret::KeyHasher;
use keyplane_domain::session::SessionPolicy;
use keyplane_store::{Change, ChangeEvent, Store};

use crate::events::StreamSlots;
use crate::key_cache::KeyCache;
use crate::passwords::{GuessLimiter, PasswordSettings, PasswordWork};
use crate::quota::QuotaLeases;
use crate::rate_limit::RateLimiter;
use crate::retention::{self, Retention};
use crate::webhooks::delivery::{Sender, WebhookSettings};
use crate::write_behind::{FlushIntervals, WriteBehind, WriteBehindHandle};

/// Settings the application layer needs from the binary's configuration. Its `Debug` shows
/// whether a leak-reporter token is set, never the token.
#[derive(Clone)]
pub struct ServiceSettings {
    /// A key is `EXPIRING_SOON` when it expires within this window.
    pub expiring_soon: Duration,
    /// How often activity events and last-used times are written.
    pub flush: FlushIntervals,
    /// Most keys the cache holds (and a tenth as many unknown hashes, apart).
    pub key_cache_capacity: usize,
    /// How long a cached key, environment or account is trusted without a change notice.
    pub key_cache_ttl: std::time::Duration,
    /// How long activity rows and usage counters are kept.
    pub retention: Retention,
    /// When sessions end.
    pub sessions: SessionPolicy,
    /// Where people reach Keyplane (`https://keys.example.com`), for the one-time links.
    pub public_url: String,
    /// Shared state for several replicas: with it, rate limits hold across all of them.
    pub redis: Option<keyplane_redis::Redis>,
    /// How webhooks are retried, and whether private destinations are allowed.
    pub webhooks: WebhookSettings,
    /// How often expiry notices are looked for.
    pub expiry_sweep: std::time::Duration,
    /// The token a secret-scanning partner presents to `POST /v1/leaks`; none turns it off.
    pub leak_reporter_token: Option<String>,
    /// How many password hashes run and wait at once, and the guessing throttles.
    pub passwords: PasswordSettings,
    /// Whether customer tokens of the legacy forms (ambiguous between customers) still verify.
    pub legacy_customer_tokens: keyplane_domain::client_security::LegacyTokens,
    /// Most event streams (`/v1/events/stream`) open on this server at once.
    pub max_event_streams: usize,
}

impl std::fmt::Debug for ServiceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceSettings")
            .field("expiring_soon", &self.expiring_soon)
            .field("flush", &self.flush)
            .field("key_cache_capacity", &self.key_cache_capacity)
            .field("key_cache_ttl", &self.key_cache_ttl)
            .field("retention", &self.retention)
            .field("sessions", &self.sessions)
            .field("public_url", &self.public_url)
            .field("redis", &self.redis)
            .field("webhooks", &self.webhooks)
            .field("expiry_sweep", &self.expiry_sweep)
            .field(
                "leak_reporter_token",
                &self.leak_reporter_token.as_ref().map(|_| "redacted"),
            )
            .field("passwords", &self.passwords)
            .field("legacy_customer_tokens", &self.legacy_customer_tokens)
            .field("max_event_streams", &self.max_event_streams)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Services {
    pub store: Store,
    pub hasher: KeyHasher,
    pub settings: ServiceSettings,
    /// Seals and opens secrets Keyplane keeps readable (client signing secrets, recoverable
    /// keys).
    pub data_key: DataKey,
    /// Per-key rate limits: in this process, or shared through Redis.
    pub rate_limiter: Arc<RateLimiter>,
    /// The quota units this replica has claimed and not yet spent.
    pub quotas: Arc<QuotaLeases>,
    /// The password-guessing throttles (login, `changePassword`): per client network, and
    /// per email from each client.
    pub guess_limiter: Arc<GuessLimiter>,
    /// The one gate of argon2 work: a bounded number at once, a bounded queue.
    pub password_work: Arc<PasswordWork>,
    /// Activity events and last-used times, written in batches off the request path.
    pub write_behind: WriteBehind,
    /// Keys, environments, accounts and signing secrets, so a cached key needs no database.
    pub cache: Arc<KeyCache>,
    /// The event streams open on this server: one per credential, at most
    /// `settings.max_event_streams`.
    pub event_streams: Arc<StreamSlots>,
}

/// The background tasks the services run; stop them once requests have finished.
#[derive(Debug)]
pub struct Background {
    write_behind: WriteBehindHandle,
    listener: Option<tokio::task::JoinHandle<()>>,
    retention: tokio::task::JoinHandle<()>,
    /// Returns idle rate-limit leases to Redis, when it is configured.
    leases: Option<(tokio::task::JoinHandle<()>, Arc<RateLimiter>)>,
    /// Returns idle quota leases to the database.
    quota_leases: (tokio::task::JoinHandle<()>, Arc<QuotaLeases>, Store),
    /// Sends webhook deliveries.
    webhooks: Sender,
    /// Writes expiry notices.
    expiry: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Stops listening for other replicas' changes, then flushes the write-behind queues.
    pub async fn shutdown(self) {
        if let Some(listener) = self.listener {
            listener.abort();
        }
        self.retention.abort();
        self.expiry.abort();
        self.webhooks.shutdown().await;
        if let Some((sweeper, limiter)) = self.leases {
            sweeper.abort();
            if let Some(shared) = limiter.shared() {
                shared.return_idle_leases(std::time::Duration::ZERO).await;
            }
        }
        let (sweeper, quotas, store) = self.quota_leases;
        sweeper.abort();
        quotas
            .give_back_idle(&store, std::time::Duration::ZERO)
            .await;
        self.write_behind.shutdown().await;
    }
}

impl Services {
    /// Builds the services and starts their background tasks: the write-behind writer, the
    /// retention task and, on PostgreSQL, the listener that evicts what other replicas
    /// changed. Stop them with [`Background::shutdown`] once the server has stopped taking
    /// requests.
    pub async fn start(
        store: Store,
        hasher: KeyHasher,
        data_key: DataKey,
        settings: ServiceSettings,
    ) -> Result<(Self, Background), keyplane_store::StoreError> {
        let (write_behind, write_behind_handle) = WriteBehind::start(store.clone(), settings.flush);
        let cache = Arc::new(KeyCache::new(
            settings.key_cache_capacity,
            settings.key_cache_ttl,
        ));
        let listener = store.listen_changes().await?.map(|mut listener| {
            let (cache, store) = (Arc::clone(&cache), store.clone());
            tokio::spawn(async move {
                loop {
                    let event = listener.next().await;
                    cache.apply(&event);
                    // Another replica's events wake this one's readers and deliveries; after a
                    // reconnection, some notices may have been missed.
                    if matches!(
                        event,
                        ChangeEvent::Changed(Change::Events(_)) | ChangeEvent::Reconnected
                    ) {
                        store.note_events_elsewhere();
                    }
                }
            })
        });
        let retention = retention::start(store.clone(), settings.retention, settings.sessions);
        let rate_limiter = Arc::new(RateLimiter::new(settings.redis.clone()));
        let leases = rate_limiter.shared().is_some().then(|| {
            let limiter = Arc::clone(&rate_limiter);
            let sweeper = tokio::spawn(async move {
                let mut tick = tokio::time::interval(crate::rate_limit::shared::IDLE_LEASE);
                loop {
                    tick.tick().await;
                    if let Some(shared) = limiter.shared() {
                        shared
                            .return_idle_leases(crate::rate_limit::shared::IDLE_LEASE)
                            .await;
                    }
                }
            });
            (sweeper, Arc::clone(&rate_limiter))
        });
        let quotas = Arc::new(QuotaLeases::default());
        let quota_sweeper = {
            let (quotas, store) = (Arc::clone(&quotas), store.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(crate::quota::IDLE_LEASE);
                loop {
                    tick.tick().await;
                    quotas
                        .give_back_idle(&store, crate::quota::IDLE_LEASE)
                        .await;
                }
            })
        };
        let quota_leases = (quota_sweeper, Arc::clone(&quotas), store.clone());
        let webhooks = Sender::start(store.clone(), data_key.clone(), settings.webhooks);
        let expiry =
            crate::expiry::start(store.clone(), settings.expiry_sweep, settings.expiring_soon);
        // The dummy password hash, made off the executor before the first login needs it.
        tokio::task::spawn_blocking(crate::sessions::dummy_hash);
        let services = Self {
            store,
            hasher,
            guess_limiter: Arc::new(GuessLimiter::new(settings.passwords.throttle)),
            password_work: Arc::new(PasswordWork::new(&settings.passwords)),
            // Before `settings` moves in.
            event_streams: StreamSlots::new(settings.max_event_streams),
            settings,
            data_key,
            rate_limiter,
            quotas,
            write_behind,
            cache,
        };
        Ok((
            services,
            Background {
                write_behind: write_behind_handle,
                listener,
                retention,
                leases,
                quota_leases,
                webhooks,
                expiry,
            },
        ))
    }
}
