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
use crate::rate_limit::KeyRateLimiter;
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
}

impl Services {
    /// Builds the services and starts the write-behind task. Stop it with the handle once the
    /// server has stopped taking requests, so it flushes.
    pub fn start(
        store: Store,
        hasher: KeyHasher,
        data_key: DataKey,
        settings: ApiSettings,
    ) -> (Self, WriteBehindHandle) {
        let (write_behind, handle) = WriteBehind::start(store.clone(), settings.flush);
        let services = Self {
            store,
            hasher,
            settings,
            data_key,
            rate_limiter: Arc::default(),
            write_behind,
        };
        (services, handle)
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
