//! A small axum service whose routes require a Keyplane API key, through
//! `keyplane_client::layer::RequireApiKey`.
//!
//! ```sh
//! KEYPLANE_URL=http://127.0.0.1:8080 KEYPLANE_API_KEY=<a key with api_keys:read> \
//!   KEYPLANE_PERMISSION=customers:read LISTEN_ADDR=127.0.0.1:3000 \
//!   cargo run --example protected_service
//! curl -s localhost:3000/customers -H "X-API-Key: <a caller's key>"
//! ```
//!
//! `KEYPLANE_CACHE_TTL_MS` (1 to 5000) turns on the answer cache; it is off by default. The
//! service's own key is read from the environment, never from an argument.

mod service;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match service::Settings::from_env(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let router = match service::router(&settings) {
        Ok(router) => router,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("error: cannot listen on {}: {err}", settings.listen);
            return ExitCode::FAILURE;
        }
    };
    if let Ok(addr) = listener.local_addr() {
        eprintln!(
            "protected service on http://{addr}, asking {}",
            settings.keyplane_url
        );
    }
    match service::serve(listener, router).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
