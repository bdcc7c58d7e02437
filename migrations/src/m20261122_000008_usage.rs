//! Verification usage: counters per environment, key, time bucket, permission asked and outcome,
//! by minute and by hour, instead of one activity row per verification. Also an index that lets
//! retention delete old activity rows without scanning the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageMinutes {
    Table,
}

#[derive(DeriveIden)]
enum UsageHours {
    Table,
}

/// The columns both counter tables share. `api_key_id` and `permission` are `''` rather than
/// NULL when absent, so the unique index (which the upsert targets) treats them as values;
/// `api_key_id` is `'*'` on the environment's totals.
#[derive(DeriveIden)]
enum Usage {
    Id,
    EnvironmentId,
    ApiKeyId,
    BucketAt,
    Permission,
    Outcome,
    Count,
}

#[derive(DeriveIden)]
enum ActivityEvents {
    Table,
    OccurredAt,
}

fn counter_table(table: impl IntoIden + Clone + 'static) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(big_pk_auto(Usage::Id))
        .col(string_len(Usage::EnvironmentId, 36))
        .col(string_len(Usage::ApiKeyId, 36))
        .col(timestamp_with_time_zone(Usage::BucketAt))
        .col(string_len(Usage::Permission, 64))
        .col(string_len(Usage::Outcome, 32))
        .col(big_integer(Usage::Count))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, prefix) in [
            (UsageMinutes::Table.into_iden(), "usage_minutes"),
            (UsageHours::Table.into_iden(), "usage_hours"),
        ] {
            manager.create_table(counter_table(table.clone())).await?;
            // The upsert's target; it also serves one key's series (environment, key, range).
            manager
                .create_index(
                    Index::create()
                        .name(format!("ux_{prefix}_counter"))
                        .table(table.clone())
                        .col(Usage::EnvironmentId)
                        .col(Usage::ApiKeyId)
                        .col(Usage::BucketAt)
                        .col(Usage::Permission)
                        .col(Usage::Outcome)
                        .unique()
                        .to_owned(),
                )
                .await?;
            // An environment's series, and retention's deletes by age.
            for (name, columns) in [
                (
                    format!("ix_{prefix}_environment"),
                    vec![Usage::EnvironmentId, Usage::BucketAt],
                ),
                (format!("ix_{prefix}_bucket_at"), vec![Usage::BucketAt]),
            ] {
                let mut index = Index::create();
                index.name(name).table(table.clone());
                for column in columns {
                    index.col(column);
                }
                manager.create_index(index.to_owned()).await?;
            }
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_activity_events_occurred_at")
                    .table(ActivityEvents::Table)
                    .col(ActivityEvents::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_activity_events_occurred_at")
                    .table(ActivityEvents::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            UsageMinutes::Table.into_iden(),
            UsageHours::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
