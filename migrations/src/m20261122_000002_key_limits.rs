//! Customer restrictions and rate limits on keys, and an environment-wide default rate limit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    CustomerIds,
    RateLimitRequests,
    RateLimitPeriodSeconds,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    DefaultRateLimitRequests,
    DefaultRateLimitPeriodSeconds,
}

fn add(table: impl IntoIden, column: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(column).to_owned()
}

fn drop(table: impl IntoIden, column: impl IntoIden) -> TableAlterStatement {
    Table::alter().table(table).drop_column(column).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // SQLite alters one column per statement, so each column is its own statement.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in [
            add(ApiKeys::Table, text_null(ApiKeys::CustomerIds)),
            add(ApiKeys::Table, integer_null(ApiKeys::RateLimitRequests)),
            add(
                ApiKeys::Table,
                integer_null(ApiKeys::RateLimitPeriodSeconds),
            ),
            add(
                Environments::Table,
                integer_null(Environments::DefaultRateLimitRequests),
            ),
            add(
                Environments::Table,
                integer_null(Environments::DefaultRateLimitPeriodSeconds),
            ),
        ] {
            manager.alter_table(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in [
            drop(
                Environments::Table,
                Environments::DefaultRateLimitPeriodSeconds,
            ),
            drop(Environments::Table, Environments::DefaultRateLimitRequests),
            drop(ApiKeys::Table, ApiKeys::RateLimitPeriodSeconds),
            drop(ApiKeys::Table, ApiKeys::RateLimitRequests),
            drop(ApiKeys::Table, ApiKeys::CustomerIds),
        ] {
            manager.alter_table(statement).await?;
        }
        Ok(())
    }
}
