//! The environment, its settings (client-side security, default rate limit) and the account
//! as GraphQL objects.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::account::Account;
use keyplane_domain::environment::Environment;
use keyplane_domain::rate_limit::{RateLimit, RateLimitMode};

use super::enums;
use super::usage::{UsageGranularity, UsagePointNode, usage_series};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct EnvironmentNode(pub Arc<Environment>);

#[Object(name = "Environment")]
impl EnvironmentNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    #[graphql(name = "type")]
    async fn env_type(&self) -> enums::EnvironmentType {
        self.0.env_type.into()
    }

    /// Whether uses of the publishable key must carry a signed customer token, and from which
    /// browser origins.
    /// Whether new and rotated secrets are also kept sealed, so owners and members can reveal
    /// them later. Off by default: then Keyplane keeps only hashes.
    async fn recoverable_keys(&self) -> bool {
        self.0.recoverable_keys
    }

    /// What a leak report does to a scoped key of this environment (`REVOKE` unless set).
    async fn leak_policy(&self) -> enums::LeakPolicy {
        self.0.leak_policy.into()
    }

    async fn client_security(&self) -> ClientSecurityNode {
        ClientSecurityNode {
            enabled: self.0.client_security.enabled,
            allowed_origins: self.0.client_security.allowed_origins.clone(),
        }
    }

    /// The rate limit of keys that have none of their own; null means unlimited. It never
    /// applies to the full-access key.
    async fn default_rate_limit(&self) -> Option<RateLimitSettings> {
        self.0.default_rate_limit.map(Into::into)
    }

    /// The environment's verifications, of every key and of keys not found, as a time series
    /// by outcome. `from` is rounded down and `to` up to the granularity; `to` is exclusive.
    async fn usage(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        granularity: UsageGranularity,
        #[graphql(desc = "Only the verifications that asked for this permission.")]
        permission: Option<String>,
    ) -> Result<Vec<UsagePointNode>, ApiError> {
        let range = (from, to, granularity);
        usage_series(ctx, &self.0.id, None, range, permission).await
    }
}

/// Client-side security of an environment's publishable key.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ClientSecurity")]
pub struct ClientSecurityNode {
    /// When on, every use of the publishable key needs `X-Customer-Id` and `X-Customer-Token`.
    pub enabled: bool,
    /// When on and not empty, a browser `Origin` outside this list is refused.
    pub allowed_origins: Vec<String>,
}

/// `requests` per `periodSeconds`: a burst of up to `requests`, refilled evenly over the period.
#[derive(SimpleObject, Debug, Clone, Copy)]
#[graphql(name = "RateLimit")]
pub struct RateLimitSettings {
    pub requests: i32,
    pub period_seconds: i32,
    pub mode: RateLimitModeValue,
}

impl From<RateLimit> for RateLimitSettings {
    fn from(limit: RateLimit) -> Self {
        // Bounded by `RateLimit::parse`: both fit an i32.
        Self {
            requests: limit.requests as i32,
            period_seconds: limit.period_seconds as i32,
            mode: limit.mode.into(),
        }
    }
}

/// How replicas sharing Redis agree on a limit. A server without `--redis-url` decides every
/// limit itself, exactly, whatever the mode.
#[derive(
    Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "RateLimitMode")]
#[schema(as = RateLimitMode)]
pub enum RateLimitModeValue {
    /// Each request is decided in Redis, atomically: the limit holds to the request across
    /// every replica. One Redis round trip per request.
    Exact,
    /// Each replica leases a sixteenth of the limit (1 to 64 requests) from Redis and spends
    /// it locally, so most requests need no round trip. Never more than the limit over a
    /// period; a window may see up to replicas × lease more, and idle leases go back after
    /// 250 ms.
    Leased,
}

impl From<RateLimitMode> for RateLimitModeValue {
    fn from(mode: RateLimitMode) -> Self {
        match mode {
            RateLimitMode::Exact => Self::Exact,
            RateLimitMode::Leased => Self::Leased,
        }
    }
}

impl From<RateLimitModeValue> for RateLimitMode {
    fn from(mode: RateLimitModeValue) -> Self {
        match mode {
            RateLimitModeValue::Exact => Self::Exact,
            RateLimitModeValue::Leased => Self::Leased,
        }
    }
}

/// Requests per period: 1 to 1,000,000 requests over 1 second to 1 day.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct RateLimitInput {
    pub requests: i32,
    pub period_seconds: i32,
    #[graphql(default_with = "RateLimitModeValue::Exact")]
    pub mode: RateLimitModeValue,
}

impl RateLimitInput {
    pub fn parse(self, field: &'static str) -> Result<RateLimit, ApiError> {
        Ok(
            RateLimit::parse(field, self.requests.into(), self.period_seconds.into())?
                .with_mode(self.mode.into()),
        )
    }
}

#[derive(Debug, Clone)]
pub struct AccountNode(pub Arc<Account>);

#[Object(name = "Account")]
impl AccountNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn plan(&self) -> enums::Plan {
        self.0.plan.into()
    }
}
