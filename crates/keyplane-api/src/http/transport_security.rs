//! `Strict-Transport-Security` on every answer served over HTTPS (as [`secure_cookies`]
//! decides), so a browser that once reached Keyplane over HTTPS never again sends it, or its
//! session cookie, over plain HTTP. Plain-HTTP answers carry none: browsers ignore it there.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::client::Client;
use super::sessions::secure_cookies;

/// A year, for this host only: other hosts under the same domain are not Keyplane's to bind.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

pub(super) async fn strict_transport_security(
    State(state): State<AppState>,
    client: Client,
    request: Request,
    next: Next,
) -> Response {
    let https = secure_cookies(
        request.headers(),
        &state.services.settings.public_url,
        client.via_trusted_proxy,
    );
    let mut response = next.run(request).await;
    if https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}
