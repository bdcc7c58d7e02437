//! The environment's other resources over REST: its settings, integrations, webhook endpoints
//! and their deliveries, event-queue credentials. Each works, is refused with its code and
//! nothing changed, and answers 404 for an id of another environment.

mod environment;
mod event_queue;
mod integrations;
mod webhook_endpoints;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{Rest, call, read};
use crate::harness::TestApp;

/// The production environment as REST shows it.
async fn environment_settings(app: &TestApp) -> Value {
    let got = call(app, &app.admin(), Method::GET, "/api/v1/environment", None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    got.body
}

/// `method path` with a person's session, acting in production.
async fn as_person(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Rest {
    read(
        app.client
            .request(method, app.url(path))
            .bearer_auth(token)
            .header("Keyplane-Environment", "production")
            .json(&body),
    )
    .await
}
