#![doc = include_str!("../README.md")]

pub mod auth;
pub mod client_security;
pub mod environments;
mod error;
pub mod events;
mod expiry;
pub mod idempotency;
pub mod integrations;
pub mod key_cache;
pub mod keys;
pub mod leaks;
pub mod paging;
pub mod passwords;
mod principal;
pub mod quota;
pub mod rate_limit;
pub mod records;
mod retention;
mod services;
pub mod sessions;
pub mod usage_counters;
pub mod users;
pub mod verify;
pub mod webhooks;
pub mod write_behind;

pub use error::ServiceError;
pub use principal::{Caller, Principal, SignedIn};
pub use retention::Retention;
pub use services::{Background, ServiceSettings, Services};
pub use webhooks::delivery::WebhookSettings;
pub use write_behind::FlushIntervals;
