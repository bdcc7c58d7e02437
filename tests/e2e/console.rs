//! The web console and GraphiQL as the binary serves them: the pages, their caching, their
//! Content-Security-Policy, and no third-party origin anywhere. The screens themselves are
//! tested in a real browser by `console/tests` (Playwright).

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};

use crate::harness::TestApp;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn page(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(app.url(path))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

/// Every `src="…"` and `href="…"` of a page.
fn references(html: &str) -> Vec<String> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attr| html.split(attr).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn assert_strict_policy(headers: &reqwest::header::HeaderMap, path: &str) {
    let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{path}: {policy}");
    }
    assert!(
        !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
        "{path}: {policy}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
}

#[tokio::test]
async fn the_root_redirects_to_the_console() {
    let app = TestApp::spawn().await;
    let response = no_redirects().get(app.url("/")).send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()[LOCATION], "/console");
}

#[tokio::test]
async fn console_pages_are_index_html_uncached_under_a_strict_policy() {
    let app = TestApp::spawn().await;
    let (index, body) = page(&app, "/console").await;
    // A console route is a page of the single-page app (history fallback).
    for path in [
        "/console/",
        "/console/production/keys",
        "/console/setup",
        "/console/staging/keys/some-id",
    ] {
        let (headers, html) = page(&app, path).await;
        assert_eq!(html, body, "{path}");
        assert_eq!(headers[CACHE_CONTROL], "no-cache", "{path}");
        assert!(
            headers[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_strict_policy(&headers, path);
    }
    assert_eq!(index[CACHE_CONTROL], "no-cache");
    assert_strict_policy(&index, "/console");
    if !keyplane_console::BUILT {
        assert!(
            body.contains("npm"),
            "the placeholder says how to build the console"
        );
        return;
    }
    // No inline script: every script is a file of the build.
    assert_eq!(
        body.matches("<script").count(),
        body.matches("<script type=\"module\" crossorigin src=\"/console/assets/")
            .count(),
        "{body}"
    );
}

#[tokio::test]
async fn console_assets_are_hashed_immutable_and_missing_ones_are_404() {
    if !keyplane_console::BUILT {
        return;
    }
    let app = TestApp::spawn().await;
    let (_, body) = page(&app, "/console").await;
    let assets = references(&body);
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{body}");
    for asset in &assets {
        assert!(
            asset.starts_with("/console/assets/"),
            "{asset}: only this server's files"
        );
        let response = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert_eq!(
            response.headers()[CACHE_CONTROL],
            "max-age=31536000, immutable",
            "{asset}"
        );
        let kind = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            kind.contains("javascript") || kind.contains("css"),
            "{asset}: {kind}"
        );
    }
    // A stale bundle asking for an asset that no longer exists gets a 404, never HTML.
    let missing = app
        .client
        .get(app.url("/console/assets/index-00000000.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn graphiql_is_the_bundled_page_with_no_third_party_code() {
    let app = TestApp::spawn().await;
    let (headers, html) = page(&app, "/graphql").await;
    assert_strict_policy(&headers, "/graphql");
    if !keyplane_console::BUILT {
        assert!(
            html.contains("npm"),
            "the placeholder says how to build GraphiQL"
        );
        return;
    }
    assert!(html.contains("GraphiQL"), "{html}");
    let assets = references(&html);
    assert!(!assets.is_empty());
    for asset in assets {
        assert!(asset.starts_with("/console/assets/"), "{asset}: no CDN");
        let response = app.client.get(app.url(&asset)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
    }
    // A GET that is a query is still answered as GraphQL, not as the page.
    let query = app
        .client
        .get(app.url("/graphql?query=%7B__typename%7D"))
        .header("accept", "text/html,application/json")
        .header("X-API-Key", app.admin())
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), StatusCode::OK);
    assert!(
        query.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("json")
    );
}
