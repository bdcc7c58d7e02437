//! What resolvers reach through the GraphQL context: the services (per schema) and the
//! principal (per request).

use std::sync::Arc;

use async_graphql::{Context, Guard};
use chrono::Duration;
use keyplane_domain::scope::Scope;
use keyplane_domain::seal::DataKey;
use keyplane_domain::secret::KeyHasher;
use keyplane_store::Store;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::key_cache::KeyCache;
use crate::metrics::Metrics;
use crate::rate_limit::KeyRateLimiter;
use crate::retention::{self, Retention};
use crate::write_behind::{FlushIntervals, WriteBehind, WriteBehindHandle};

/// Settings the API needs from the binary's configuration.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// A key is `EXPIRING_SOON` when it expires within this window.
    pub expiring_soon: Duration,
    /// The largest request body `POST /graphql` accepts.
    pub max_body_bytes: usize,
    /// How often activity events and last-used times are written.
    pub flush: FlushIntervals,
    /// Most keys (and unknown hashes) the cache holds.
    pub key_cache_capacity: usize,
    /// How long a cached key, environment or account is trusted without a change notice.
    pub key_cache_ttl: std::time::Duration,
    /// Most distinct query texts kept parsed; 0 parses every request.
    pub parse_cache_capacity: usize,
    /// How long activity rows and usage counters are kept.
    pub retention: Retention,
    /// When set, `GET /metrics` needs `Authorization: Bearer` with this token.
    pub metrics_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Services {
    pub store: Store,
    pub hasher: KeyHasher,
    pub settings: ApiSettings,
    /// Seals and opens secrets Keyplane keeps readable (client signing secrets).
    pub data_key: DataKey,
    pub rate_limiter: Arc<KeyRateLimiter>,
    /// Activity events and last-used times, written in batches off the request path.
    pub write_behind: WriteBehind,
    /// Keys, environments, accounts and signing secrets, so a cached key needs no database.
    pub cache: Arc<KeyCache>,
    pub metrics: Arc<Metrics>,
}

/// The background tasks the services run; stop them once requests have finished.
#[derive(Debug)]
pub struct Background {
    write_behind: WriteBehindHandle,
    listener: Option<tokio::task::JoinHandle<()>>,
    retention: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Stops listening for other replicas' changes, then flushes the write-behind queues.
    pub async fn shutdown(self) {
        if let Some(listener) = self.listener {
            listener.abort();
        }
        self.retention.abort();
        self.write_behind.shutdown().await;
    }
}

impl Services {
    /// Builds the services and starts their background tasks: the write-behind writer and, on
    /// PostgreSQL, the listener that evicts what other replicas changed. Stop them with
    /// [`Background::shutdown`] once the server has stopped taking requests.
    pub async fn start(
        store: Store,
        hasher: KeyHasher,
        data_key: DataKey,
        settings: ApiSettings,
    ) -> Result<(Self, Background), keyplane_store::StoreError> {
        let (write_behind, write_behind_handle) = WriteBehind::start(store.clone(), settings.flush);
        let cache = Arc::new(KeyCache::new(
            settings.key_cache_capacity,
            settings.key_cache_ttl,
        ));
        let listener = store.listen_changes().await?.map(|mut listener| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move {
                loop {
                    let event = listener.next().await;
                    cache.apply(&event);
                }
            })
        });
        let retention = retention::start(store.clone(), settings.retention);
        let metrics = Arc::new(Metrics::new(
            Arc::clone(&cache),
            store.clone(),
            write_behind.clone(),
        ));
        let services = Self {
            store,
            hasher,
            settings,
            data_key,
            rate_limiter: Arc::default(),
            write_behind,
            cache,
            metrics,
        };
        Ok((
            services,
            Background {
                write_behind: write_behind_handle,
                listener,
                retention,
            },
        ))
    }
}

pub fn services<'c>(ctx: &Context<'c>) -> Result<&'c Services, ApiError> {
    ctx.data::<Services>().map_err(|_| ApiError::internal())
}

/// Every executed operation has a principal: authentication runs before execution.
pub fn principal<'c>(ctx: &Context<'c>) -> Result<&'c Principal, ApiError> {
    ctx.data::<Principal>().map_err(|_| ApiError::internal())
}

/// Refuses a field with `FORBIDDEN` (and `requiredScope`) unless the caller holds the scope.
#[derive(Debug, Clone, Copy)]
pub struct RequireScope(pub Scope);

impl Guard for RequireScope {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(principal(ctx)?.require(self.0)?)
    }
}
