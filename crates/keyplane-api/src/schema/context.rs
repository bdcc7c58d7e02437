//! What resolvers reach through the GraphQL context: the services (per schema) and the
//! principal (per request, absent for the few fields that need no credential).

use async_graphql::Context;
use keyplane_service::{Principal, Services};

use crate::error::ApiError;

/// Settings of the HTTP transport, from the binary's configuration. Its `Debug` shows whether
/// a metrics token is set, never the token.
#[derive(Clone)]
pub struct HttpSettings {
    /// The largest request body `POST /graphql` accepts.
    pub max_body_bytes: usize,
    /// Most distinct query texts kept parsed; 0 parses every request.
    pub parse_cache_capacity: usize,
    /// When set, `GET /metrics` needs `Authorization: Bearer` with this token.
    pub metrics_token: Option<String>,
    /// The reverse proxies whose `X-Forwarded-For`, `-Proto` and `-Host` are believed (client
    /// addresses for IP allow-lists and the login throttle, `Secure` cookies, the same-origin
    /// check). `None`: no forwarded header is read.
    pub trusted_proxies: Option<keyplane_domain::ip_ranges::IpRanges>,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("parse_cache_capacity", &self.parse_cache_capacity)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "redacted"),
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

pub fn services<'c>(ctx: &Context<'c>) -> Result<&'c Services, ApiError> {
    ctx.data::<Services>().map_err(|_| ApiError::internal())
}

/// The caller. Every operation but `acceptInvitation` runs only with one: the transport
/// refuses a request without a credential before it executes anything else.
pub fn principal<'c>(ctx: &Context<'c>) -> Result<&'c Principal, ApiError> {
    ctx.data::<Principal>().map_err(|_| {
        ApiError::new(
            keyplane_domain::ErrorCode::Unauthenticated,
            "sign in or send an API key",
        )
    })
}
