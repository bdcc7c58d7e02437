#![doc = include_str!("../README.md")]

pub mod account;
pub mod audit;
pub mod environment;
pub mod error;
pub mod key;
pub mod lifecycle;
pub mod rotation;
pub mod scope;
pub mod secret;

pub use error::{ErrorCode, RuleViolation};
