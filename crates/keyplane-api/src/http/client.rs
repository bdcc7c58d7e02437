//! Who is at the other end of a request: the client's address, and whether a trusted proxy
//! stands between (then its `X-Forwarded-*` headers are believed). With no trusted proxies
//! configured, no forwarded header is ever read: the socket peer is the client.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use keyplane_domain::ip_ranges::client_address;

use super::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Client {
    /// The client's address; `None` only for a router driven in process, without a socket.
    pub address: Option<IpAddr>,
    /// The peer is one of the operator's trusted proxies: its `X-Forwarded-Proto` and
    /// `X-Forwarded-Host` say how the client reached it.
    pub via_trusted_proxy: bool,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        let trusted = state.http.trusted_proxies.as_ref();
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        Ok(Self {
            address: client_address(peer, forwarded, trusted),
            via_trusted_proxy: matches!((peer, trusted), (Some(peer), Some(trusted)) if trusted.contains(peer)),
        })
    }
}
