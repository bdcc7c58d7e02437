//! The security review's attacks (one module per finding), each refused. Every test runs on
//! SQLite and, with `KEYPLANE_TEST_DATABASE_URL`, on PostgreSQL.

mod customer_tokens;
mod event_queue_credentials;
mod idempotent_replay;
mod key_cache_races;
mod key_freedom;
mod metric_labels;
mod passwords;
mod reveal;
mod secrets_in_output;
mod server_bounds;
mod webhook_destinations;
mod webhook_management;
