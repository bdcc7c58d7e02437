#![doc = include_str!("../README.md")]

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261122_000001_core;
mod m20261122_000002_key_limits;
mod m20261122_000003_client_security;
mod m20261122_000004_activity;
mod m20261122_000005_integrations;
mod m20261122_000006_idempotency;
mod m20261122_000007_environment_audit;
mod m20261122_000008_usage;
mod m20261122_000009_people;
mod m20261202_000010_key_metadata;
mod m20261202_000011_key_policies;
mod m20261202_000012_rate_limit_modes;
mod m20261202_000013_key_quotas;
mod m20261203_000014_key_events;
mod m20261204_000015_idempotency_per_caller;

/// Every migration, oldest first. `keyplane migrate` and `keyplane serve` apply the pending ones.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_core::Migration),
            Box::new(m20261122_000002_key_limits::Migration),
            Box::new(m20261122_000003_client_security::Migration),
            Box::new(m20261122_000004_activity::Migration),
            Box::new(m20261122_000005_integrations::Migration),
            Box::new(m20261122_000006_idempotency::Migration),
            Box::new(m20261122_000007_environment_audit::Migration),
            Box::new(m20261122_000008_usage::Migration),
            Box::new(m20261122_000009_people::Migration),
            Box::new(m20261202_000010_key_metadata::Migration),
            Box::new(m20261202_000011_key_policies::Migration),
            Box::new(m20261202_000012_rate_limit_modes::Migration),
            Box::new(m20261202_000013_key_quotas::Migration),
            Box::new(m20261203_000014_key_events::Migration),
            Box::new(m20261204_000015_idempotency_per_caller::Migration),
        ]
    }
}
