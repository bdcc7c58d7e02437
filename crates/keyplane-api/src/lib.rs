#![doc = include_str!("../README.md")]

mod auth;
mod client_security;
mod error;
mod http;
pub mod key_cache;
mod metrics;
pub mod rate_limit;
mod retention;
mod schema;
mod usage_counters;
pub mod verify;
mod write_behind;

pub use auth::{API_KEY_HEADER, Principal, find_key, principal_for};
pub use http::router;
pub use retention::Retention;
pub use schema::{
    ApiSettings, Background, KeyplaneSchema, MAX_ALIASES, MAX_COMPLEXITY, MAX_DEPTH,
    RequestObservation, Services, build_schema, sdl,
};
pub use write_behind::FlushIntervals;
