#![doc = include_str!("../README.md")]

use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use memory_serve::{CacheControl, load};

/// Where the console is served. The Vite build's `base` and the setup, invitation and reset
/// links the server prints name the same path.
pub const PATH: &str = "/console";

/// The console's pages run only their own scripts and styles and talk only to this origin.
/// No inline script, no `eval`, no third-party origin, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Whether this binary carries the real console (false when it was built without npm, and
/// `/console` then explains how to build it).
pub const BUILT: bool = matches!(env!("KEYPLANE_CONSOLE").as_bytes(), b"built");

const INDEX_HTML: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/console/index.html"));
const GRAPHIQL_HTML: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/console/graphiql.html"));

/// The console's router, to be nested at [`PATH`] with `Router::nest_service`. It is built
/// once per process (memory-serve leaks the assets it prepares into `'static` memory), and
/// every later call clones it.
pub fn router() -> Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER
        .get_or_init(|| {
            load!()
                .index_file(Some("/index.html"))
                .html_cache_control(CacheControl::NoCache)
                // Vite puts a content hash in every asset's name: a changed file is a new URL.
                .cache_control(CacheControl::Long)
                .into_router()
                .fallback(history_fallback)
                .layer(axum::middleware::map_response(secure_headers))
        })
        .clone()
}

/// A console route (`/console/production/keys/…`) is a page of the single-page app: answer
/// `index.html`. A missing asset stays a 404, so a stale bundle never loads HTML as script.
async fn history_fallback(uri: Uri) -> Response {
    if uri.path().starts_with("/assets/") {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    }
    html(INDEX_HTML)
}

/// The GraphiQL page for `GET /graphql` from a browser: the same build's assets, no CDN.
pub fn graphiql_page() -> Response {
    secure(html(GRAPHIQL_HTML))
}

fn html(page: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        page,
    )
        .into_response()
}

async fn secure_headers(response: Response) -> Response {
    secure(response)
}

fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
