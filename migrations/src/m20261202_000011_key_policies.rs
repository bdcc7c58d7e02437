//! Key policies: a key may be disabled for a while (when, and why) and may be held to an IP
//! allow-list (a JSON array of normalised CIDR ranges, as text).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    DisabledAt,
    DisabledReason,
    AllowedIps,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // SQLite alters one column per statement, so each column is its own statement.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            timestamp_with_time_zone_null(ApiKeys::DisabledAt),
            text_null(ApiKeys::DisabledReason),
            text_null(ApiKeys::AllowedIps),
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ApiKeys::AllowedIps,
            ApiKeys::DisabledReason,
            ApiKeys::DisabledAt,
        ] {
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
