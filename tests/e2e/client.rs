//! `keyplane-client` against the real server: its typed calls and errors (`calls`), a session
//! (`sessions`), its retries through a proxy that loses answers or refuses with 503
//! (`retries`), and the `RequireApiKey` layer in front of `examples/protected_service`
//! (`layer`).

mod calls;
mod layer;
pub(crate) mod proxy;
mod retries;
mod sessions;

use std::time::Duration;

use keyplane_client::{Client, ClientBuilder, Credentials, RetryPolicy};

use crate::harness::TestApp;

/// A client of `url` acting with `key`, retrying quickly.
pub fn builder(url: &str, key: &str) -> ClientBuilder {
    Client::builder(url, Some(Credentials::api_key(key))).retry(RetryPolicy::new(
        3,
        Duration::from_millis(10),
        Duration::from_secs(1),
    ))
}

/// A client of the test server acting with `key`.
pub fn client(app: &TestApp, key: &str) -> Client {
    builder(&app.url(""), key).build().expect("a client")
}
