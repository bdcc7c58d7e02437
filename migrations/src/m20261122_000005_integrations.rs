//! Integrations and the keys they own.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Integrations {
    Table,
    Id,
    EnvironmentId,
    Provider,
    ConnectedAt,
    DisconnectedAt,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    IntegrationId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Integrations::Table)
                    .col(string_len(Integrations::Id, 36).primary_key())
                    .col(string_len(Integrations::EnvironmentId, 36))
                    .col(string_len(Integrations::Provider, 32))
                    .col(timestamp_with_time_zone(Integrations::ConnectedAt))
                    .col(timestamp_with_time_zone_null(Integrations::DisconnectedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Integrations::Table, Integrations::EnvironmentId)
                            .to(Environments::Table, Environments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One connected integration per provider and environment.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_integrations_connected ON integrations (environment_id, provider) \
                 WHERE disconnected_at IS NULL",
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .add_column(string_len_null(ApiKeys::IntegrationId, 36))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_api_keys_integration_id")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::IntegrationId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_api_keys_integration_id")
                    .table(ApiKeys::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .drop_column(ApiKeys::IntegrationId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Integrations::Table).to_owned())
            .await
    }
}
