//! Key events beyond webhooks: event-queue credentials, leak reports and the leak policy.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::leak::LeakLocation;
use keyplane_service::leaks::ReportedSecret;
use keyplane_service::{environments, events, leaks};

use super::context::{principal, services};
use super::enums;
use super::environment::EnvironmentNode;
use crate::error::ApiError;

/// Temporary, read-only credentials for the environment's event queue: send the token as
/// `Authorization: Bearer …` to `GET /v1/events` or `GET /v1/events/stream`.
#[derive(SimpleObject)]
pub struct EventQueueCredentials {
    /// Shown this once; Keyplane keeps only its digest.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// The path to read events from, relative to Keyplane's URL.
    pub events_path: String,
    pub stream_path: String,
}

/// What a leak report found: whether the string was a Keyplane key (never which).
#[derive(SimpleObject, Debug)]
pub struct LeakReportResult {
    pub matched: bool,
}

#[derive(Debug, Default)]
pub struct EventMutations;

#[Object]
impl EventMutations {
    /// Issues event-queue credentials for the caller's environment (`event_queue:read`),
    /// lasting `ttlSeconds` (900 unless asked; 60 to 3600).
    async fn create_event_queue_credentials(
        &self,
        ctx: &Context<'_>,
        ttl_seconds: Option<i64>,
    ) -> Result<EventQueueCredentials, ApiError> {
        let issued =
            events::create_credentials(services(ctx)?, principal(ctx)?, ttl_seconds).await?;
        Ok(EventQueueCredentials {
            token: issued.token.expose().to_owned(),
            expires_at: issued.credential.expires_at,
            events_path: "/v1/events".to_owned(),
            stream_path: "/v1/events/stream".to_owned(),
        })
    }

    /// Reports a secret found exposed (`api_keys:write`). A Keyplane key gets `KEY_LEAKED`
    /// and a `key.leaked` event; a scoped key is revoked too under its environment's `REVOKE`
    /// policy. The answer never says which key matched.
    async fn report_leaked_api_key(
        &self,
        ctx: &Context<'_>,
        secret: String,
        url: Option<String>,
        source: Option<String>,
    ) -> Result<LeakReportResult, ApiError> {
        let reported = ReportedSecret {
            token: &secret,
            location: LeakLocation::new(url.as_deref(), source.as_deref()),
        };
        let matched = leaks::report_from_api(services(ctx)?, principal(ctx)?, &reported).await?;
        Ok(LeakReportResult { matched })
    }

    /// Sets what a leak report does to the environment's scoped keys (full access).
    async fn set_leak_policy(
        &self,
        ctx: &Context<'_>,
        policy: enums::LeakPolicy,
    ) -> Result<EnvironmentNode, ApiError> {
        let environment =
            environments::set_leak_policy(services(ctx)?, principal(ctx)?, policy.into()).await?;
        Ok(EnvironmentNode(std::sync::Arc::new(environment)))
    }
}
