#![doc = include_str!("../README.md")]

mod auth;
mod client_security;
mod error;
mod http;
mod key_cache;
mod metrics;
mod rate_limit;
mod schema;
mod verify;
mod write_behind;

pub use auth::{API_KEY_HEADER, Principal};
pub use http::router;
pub use schema::{ApiSettings, Background, MAX_ALIASES, MAX_COMPLEXITY, MAX_DEPTH, Services, sdl};
pub use write_behind::FlushIntervals;
