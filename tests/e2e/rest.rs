//! The REST API under `/api/v1`, driven over HTTP like any client: the lifecycle, bad input,
//! idempotency, and the document.

mod bad_input;
mod lifecycle;
mod parity;
mod requests;
mod resources;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::harness::TestApp;

/// A REST answer: its status, headers and JSON body (`Null` when it has none).
pub struct Rest {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Rest {
    /// The error's `code`; panics when the answer is not an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error body: {} {}", self.status, self.body))
    }
}

/// Sends `method path` with `key` and, when given, a JSON body.
pub async fn call(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Rest {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("X-API-Key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request).await
}

pub async fn read(request: reqwest::RequestBuilder) -> Rest {
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    if status.is_client_error() || status.is_server_error() {
        // One error body everywhere: a code and a request id, the same as the header's.
        assert!(body["error"]["code"].is_string(), "{status} {body}");
        assert_eq!(
            body["error"]["requestId"].as_str(),
            headers.get("x-request-id").and_then(|v| v.to_str().ok()),
            "{body}"
        );
    }
    Rest {
        status,
        headers,
        body,
    }
}
