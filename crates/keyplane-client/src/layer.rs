//! `RequireApiKey`: a tower layer a Rust service puts in front of its routes so that each
//! request must carry a valid `X-API-Key` holding a permission, as Keyplane's `/v1/verify`
//! decides it for the request's address.
//!
//! A request that passes reaches the service with the [`VerifyAnswer`] in its extensions and
//! without its `X-API-Key` header (the handlers need the answer, not the secret). A refused one
//! is answered here, in the error body of Keyplane's REST API: 401 for a missing or unusable
//! key, 403 for a key that may not do this (or not from this address), 429 for a key over its
//! rate limit or quota. When Keyplane cannot answer (unreachable, 5xx, or turning this
//! service's calls away with 429) the answer is 503, never a pass; when it refuses the
//! service's own request (its key lacks `api_keys:read`, an unknown permission) it is 500.

mod cache;
mod refusal;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Bytes;
use axum::extract::ConnectInfo;
use http::request::Parts;
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

pub use cache::{CacheSettings, CacheSettingsError, MAX_CACHE_ENTRIES, MAX_CACHE_TTL};

use crate::client::Client;
use crate::error::Error;
use crate::secret::Secret;
use crate::verify::{VerifyAnswer, VerifyRequest};
use cache::AnswerCache;
use refusal::Refusal;

/// The header the layer reads the presented key from, and removes.
pub const API_KEY_HEADER: &str = "x-api-key";

type AddressOf = dyn Fn(&Parts) -> Option<IpAddr> + Send + Sync;

/// Requires a valid `X-API-Key` with a permission on every request of the routes it wraps.
/// Every service it makes shares its client and its cache.
#[derive(Clone)]
pub struct RequireApiKey {
    guard: Guard,
}

#[derive(Clone)]
struct Guard {
    client: Client,
    permission: Option<String>,
    cache: Option<Arc<AnswerCache>>,
    address_of: Arc<AddressOf>,
}

impl fmt::Debug for RequireApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireApiKey")
            .field("keyplane", &self.guard.client.base_url().as_str())
            .field("permission", &self.guard.permission)
            .field("cache", &self.guard.cache)
            .finish_non_exhaustive()
    }
}

/// The address axum's `ConnectInfo<SocketAddr>` holds (serve with
/// `into_make_service_with_connect_info::<SocketAddr>()`), an IPv4 address carried in IPv6
/// read as the IPv4 one. Headers such as `X-Forwarded-For` are not read: any caller can write
/// them. Behind a proxy, give [`RequireApiKey::client_address`] the rule that proxy needs.
pub fn connect_info_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_canonical())
}

impl RequireApiKey {
    /// Requests must carry a key holding `permission` (a scope such as `customers:read`).
    /// `client` verifies with its own key, which needs `api_keys:read`.
    pub fn new(client: Client, permission: impl Into<String>) -> Self {
        Self::build(client, Some(permission.into()))
    }

    /// Requests must carry a usable key, whatever its scopes.
    pub fn any_permission(client: Client) -> Self {
        Self::build(client, None)
    }

    fn build(client: Client, permission: Option<String>) -> Self {
        Self {
            guard: Guard {
                client,
                permission,
                cache: None,
                address_of: Arc::new(connect_info_address),
            },
        }
    }

    /// Keeps passing answers for up to `settings.ttl` (at most [`MAX_CACHE_TTL`]). Off by
    /// default. The trade-off: a key revoked in Keyplane keeps passing here until its answer
    /// expires; keys under a rate limit or quota are never served from the cache.
    pub fn cache(mut self, settings: CacheSettings) -> Result<Self, CacheSettingsError> {
        self.guard.cache = Some(Arc::new(AnswerCache::new(settings)?));
        Ok(self)
    }

    /// How to find the client's address in a request (default: [`connect_info_address`]).
    /// `None` sends no address, and Keyplane refuses keys held to an IP allow-list.
    pub fn client_address(
        mut self,
        address_of: impl Fn(&Parts) -> Option<IpAddr> + Send + Sync + 'static,
    ) -> Self {
        self.guard.address_of = Arc::new(address_of);
        self
    }
}

impl Guard {
    /// Verifies the request's key; removes its header.
    async fn check(&self, parts: &mut Parts) -> Result<VerifyAnswer, Refusal> {
        let mut presented = parts.headers.get_all(API_KEY_HEADER).iter();
        let key = match (presented.next(), presented.next()) {
            (None, _) => return Err(Refusal::missing_key()),
            (Some(_), Some(_)) => return Err(Refusal::several_keys()),
            (Some(value), None) => value
                .to_str()
                .map(|text| Secret::new(text.trim()))
                .map_err(|_| Refusal::malformed_key())?,
        };
        parts.headers.remove(API_KEY_HEADER);
        let ip = (self.address_of)(parts);
        let permission = self.permission.as_deref();
        let digest = self
            .cache
            .as_ref()
            .map(|cache| cache.digest(key.expose(), permission, ip));
        if let (Some(cache), Some(digest)) = (&self.cache, &digest)
            && let Some(answer) = cache.get(digest)
        {
            return Ok(VerifyAnswer::clone(&answer));
        }
        let request = VerifyRequest {
            permission: self.permission.clone(),
            ip,
            ..VerifyRequest::new(key)
        };
        match self.client.verify(&request).await {
            Ok(answer) if answer.valid => {
                if let (Some(cache), Some(digest)) = (&self.cache, digest) {
                    cache.keep(digest, &answer);
                }
                Ok(answer)
            }
            Ok(answer) => Err(Refusal::of(&answer, permission)),
            Err(Error::Api(err)) if err.status.is_server_error() || err.status.as_u16() == 429 => {
                tracing::warn!(status = err.status.as_u16(), code = %err.code, "Keyplane could not verify an API key");
                Err(Refusal::unavailable())
            }
            Err(Error::Api(err)) => {
                tracing::error!(
                    status = err.status.as_u16(),
                    code = %err.code,
                    field = err.field.as_deref(),
                    required_scope = err.required_scope.as_deref(),
                    "Keyplane refused this service's verification request: check its key (it needs api_keys:read) and the permission"
                );
                Err(Refusal::misconfigured())
            }
            // SecretKept only comes of a creation or rotation, never of a verification.
            Err(err @ (Error::Transport(_) | Error::Decode(_) | Error::SecretKept(_))) => {
                tracing::warn!(error = %err, "Keyplane could not verify an API key");
                Err(Refusal::unavailable())
            }
            Err(Error::InvalidInput(_)) => Err(Refusal::malformed_key()),
        }
    }
}

impl<S> Layer<S> for RequireApiKey {
    type Service = RequireApiKeyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireApiKeyService {
            inner,
            guard: Arc::new(self.guard.clone()),
        }
    }
}

/// The service [`RequireApiKey`] wraps around another.
#[derive(Clone)]
pub struct RequireApiKeyService<S> {
    inner: S,
    guard: Arc<Guard>,
}

impl<S> fmt::Debug for RequireApiKeyService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireApiKeyService")
            .field("permission", &self.guard.permission)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Service<Request<B>> for RequireApiKeyService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: From<Bytes> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was polled ready serves this request; the fresh one waits its turn.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let guard = Arc::clone(&self.guard);
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match guard.check(&mut parts).await {
                Ok(answer) => {
                    parts.extensions.insert(answer);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(refusal) => Ok(refusal.into_response()),
            }
        })
    }
}

#[cfg(test)]
mod tests;
