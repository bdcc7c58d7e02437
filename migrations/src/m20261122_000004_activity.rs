//! The activity log: one row per API request, written in batches off the request path.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActivityEvents {
    Table,
    Id,
    EnvironmentId,
    ApiKeyId,
    OperationName,
    OperationType,
    RootFields,
    Outcome,
    HttpStatus,
    DurationMicros,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ActivityEvents::Table)
                    .col(big_pk_auto(ActivityEvents::Id))
                    .col(string_len_null(ActivityEvents::EnvironmentId, 36))
                    .col(string_len_null(ActivityEvents::ApiKeyId, 36))
                    .col(string_len_null(ActivityEvents::OperationName, 200))
                    .col(string_len_null(ActivityEvents::OperationType, 16))
                    .col(text(ActivityEvents::RootFields))
                    .col(string_len(ActivityEvents::Outcome, 64))
                    .col(integer(ActivityEvents::HttpStatus))
                    .col(big_integer(ActivityEvents::DurationMicros))
                    .col(timestamp_with_time_zone(ActivityEvents::OccurredAt))
                    .to_owned(),
            )
            .await?;
        // Newest first, per environment and per key: both keyset on the id.
        for (name, column) in [
            (
                "ix_activity_events_environment_id",
                ActivityEvents::EnvironmentId,
            ),
            ("ix_activity_events_api_key_id", ActivityEvents::ApiKeyId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ActivityEvents::Table)
                        .col(column)
                        .col(ActivityEvents::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActivityEvents::Table).to_owned())
            .await
    }
}
