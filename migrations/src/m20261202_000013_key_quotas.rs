//! Usage quotas: a key's quota as set (limit, refill, when it was set) and its count (the
//! period it belongs to, the units spent or leased to replicas in it). All null without one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    QuotaLimit,
    QuotaRefill,
    QuotaSetAt,
    QuotaPeriodStart,
    QuotaUsed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // SQLite alters one column per statement, so each column is its own statement.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            big_integer_null(ApiKeys::QuotaLimit),
            text_null(ApiKeys::QuotaRefill),
            timestamp_with_time_zone_null(ApiKeys::QuotaSetAt),
            timestamp_with_time_zone_null(ApiKeys::QuotaPeriodStart),
            big_integer_null(ApiKeys::QuotaUsed),
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
            ApiKeys::QuotaUsed,
            ApiKeys::QuotaPeriodStart,
            ApiKeys::QuotaSetAt,
            ApiKeys::QuotaRefill,
            ApiKeys::QuotaLimit,
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
