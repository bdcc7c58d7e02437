//! Client-side security per environment, and its signing secrets (sealed, never in plaintext).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
    ClientSecurityEnabled,
    AllowedOrigins,
}

#[derive(DeriveIden)]
enum ClientSigningSecrets {
    Table,
    Id,
    EnvironmentId,
    SealedSecret,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .add_column(boolean(Environments::ClientSecurityEnabled).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .add_column(text_null(Environments::AllowedOrigins))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClientSigningSecrets::Table)
                    .col(string_len(ClientSigningSecrets::Id, 36).primary_key())
                    .col(string_len(ClientSigningSecrets::EnvironmentId, 36))
                    .col(text(ClientSigningSecrets::SealedSecret))
                    .col(timestamp_with_time_zone(ClientSigningSecrets::CreatedAt))
                    // Null for the current secret; a rotated one expires after its grace period.
                    .col(timestamp_with_time_zone_null(
                        ClientSigningSecrets::ExpiresAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ClientSigningSecrets::Table,
                                ClientSigningSecrets::EnvironmentId,
                            )
                            .to(Environments::Table, Environments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_client_signing_secrets_environment_id")
                    .table(ClientSigningSecrets::Table)
                    .col(ClientSigningSecrets::EnvironmentId)
                    .col(ClientSigningSecrets::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClientSigningSecrets::Table).to_owned())
            .await?;
        for column in [
            Environments::AllowedOrigins,
            Environments::ClientSecurityEnabled,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Environments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
