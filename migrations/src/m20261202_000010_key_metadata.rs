//! Metadata (a JSON object, as text) and an external id on keys; "the keys of tenant X" reads
//! the external-id index, newest first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    EnvironmentId,
    Metadata,
    ExternalId,
}

const INDEX: &str = "ix_api_keys_external_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // SQLite alters one column per statement, so each column is its own statement.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            text_null(ApiKeys::Metadata),
            string_len_null(ApiKeys::ExternalId, 255),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ApiKeys::Table)
                    .col(ApiKeys::EnvironmentId)
                    .col(ApiKeys::ExternalId)
                    .col(ApiKeys::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(ApiKeys::Table).to_owned())
            .await?;
        for column in [ApiKeys::ExternalId, ApiKeys::Metadata] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
