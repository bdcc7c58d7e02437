#![doc = include_str!("../README.md")]

pub mod account;
pub mod account_audit;
pub mod activity;
pub mod audit;
pub mod client_security;
pub mod customer;
pub mod disablement;
pub mod environment;
pub mod error;
pub mod event;
pub mod event_queue;
pub mod freedom;
pub mod idempotency;
pub mod integration;
pub mod invitation;
pub mod ip_ranges;
pub mod key;
pub mod leak;
pub mod lifecycle;
pub mod metadata;
pub mod password;
pub mod quota;
pub mod rate_limit;
pub mod rotation;
pub mod scope;
pub mod seal;
pub mod secret;
pub mod session;
pub mod token;
pub mod usage;
pub mod user;
pub mod verification;
pub mod webhook;

pub use error::{ErrorCode, RuleViolation};
