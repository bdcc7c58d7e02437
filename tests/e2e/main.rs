//! The end-to-end suite: one binary that drives the real server over HTTP.
//! Runs on SQLite by default; set `KEYPLANE_TEST_DATABASE_URL=postgres://…` to run on PostgreSQL.

mod harness;

mod activity;
mod auth;
mod backup;
mod bulk_revoke;
mod cli;
mod cli_keys;
mod client;
mod client_security;
mod console;
mod database_faults;
mod disable;
mod events;
mod fast_path;
mod graphql_over_http;
mod idempotency;
mod integrations;
mod ip_allow_lists;
mod key_scopes;
mod lifecycle;
mod listing;
mod metadata;
mod metrics;
mod people;
mod persistence;
mod plain_verify;
mod quotas;
mod replicas;
mod rest;
mod roles;
mod rotation;
mod scale_out;
mod security;
mod sessions;
mod settings_audit;
mod transport;
mod usage;
mod verification;
mod webhook_destinations;
mod webhooks;
