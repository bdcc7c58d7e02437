#![doc = include_str!("../README.md")]

pub mod account;
pub mod activity;
pub mod audit;
pub mod client_security;
pub mod customer;
pub mod environment;
pub mod error;
pub mod idempotency;
pub mod integration;
pub mod key;
pub mod lifecycle;
pub mod rate_limit;
pub mod rotation;
pub mod scope;
pub mod seal;
pub mod secret;
pub mod usage;
pub mod verification;

pub use error::{ErrorCode, RuleViolation};
