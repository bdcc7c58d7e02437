//! sea-orm entities. They never leave this crate: repositories convert them to domain types.

pub mod account;
pub mod account_audit_event;
pub mod activity_event;
pub mod api_key;
pub mod audit_event;
pub mod client_signing_secret;
pub mod environment;
pub mod event;
pub mod event_queue_credential;
pub mod idempotency_record;
pub mod integration;
pub mod session;
pub mod user;
pub mod user_link;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
