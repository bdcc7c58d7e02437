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

/// The policy of the REST API's reference (`GET /api/v1/docs`): the console's, except that
/// styles may also be inline. The renderer (Scalar) writes styles at run time, which
/// `style-src 'self'` refuses: `<style>` elements (its theme, its toasts' rules, and the rules of
/// its request editor, CodeMirror, whose text grows as the editor loads, so no hash can name it)
/// and `style` attributes in highlighted code. Everything else is the console's policy: scripts
/// only from this origin and no `eval`; images, fonts and connections only to this origin, so
/// an injected style can reach no other origin.
pub const API_REFERENCE_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Whether this binary carries the real console (false when it was built without npm, and
/// `/console` then explains how to build it).
pub const BUILT: bool = matches!(env!("KEYPLANE_CONSOLE").as_bytes(), b"built");

const INDEX_HTML: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/console/index.html"));
const GRAPHIQL_HTML: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/console/graphiql.html"));
const API_REFERENCE_HTML: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/console/api-reference.html"));

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

/// The REST API's reference for `GET /api/v1/docs`: it renders `/api/v1/openapi.json` from
/// this origin with the same build's assets, no CDN, under
/// [`API_REFERENCE_CONTENT_SECURITY_POLICY`].
pub fn api_reference_page() -> Response {
    secure_with(
        html(API_REFERENCE_HTML),
        API_REFERENCE_CONTENT_SECURITY_POLICY,
    )
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

fn secure(response: Response) -> Response {
    secure_with(response, CONTENT_SECURITY_POLICY)
}

fn secure_with(mut response: Response, policy: &'static str) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, policy),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(policy: &str) -> Vec<&str> {
        policy.split(';').map(str::trim).collect()
    }

    #[test]
    fn api_reference_policy_differs_from_the_console_only_in_inline_styles() {
        let console = directives(CONTENT_SECURITY_POLICY);
        let reference = directives(API_REFERENCE_CONTENT_SECURITY_POLICY);
        assert_eq!(console.len(), reference.len());
        for (console, reference) in console.iter().zip(&reference) {
            if console.starts_with("style-src ") {
                assert_eq!(*reference, format!("{console} 'unsafe-inline'"));
            } else {
                assert_eq!(console, reference);
            }
        }
    }

    #[test]
    fn api_reference_page_carries_its_policy_and_the_console_headers() {
        let page = api_reference_page();
        let graphiql = graphiql_page();
        assert_eq!(
            page.headers()[header::CONTENT_SECURITY_POLICY],
            API_REFERENCE_CONTENT_SECURITY_POLICY
        );
        for name in [
            header::X_CONTENT_TYPE_OPTIONS,
            header::REFERRER_POLICY,
            HeaderName::from_static("cross-origin-opener-policy"),
            header::CONTENT_TYPE,
            header::CACHE_CONTROL,
        ] {
            assert_eq!(page.headers()[&name], graphiql.headers()[&name], "{name}");
        }
    }
}
