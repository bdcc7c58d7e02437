//! Idempotency records: one per environment and Idempotency-Key, kept for 24 hours.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyRecords {
    Table,
    EnvironmentId,
    IdempotencyKey,
    ApiKeyId,
    Fingerprint,
    State,
    HttpStatus,
    SealedResponse,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyRecords::Table)
                    .col(string_len(IdempotencyRecords::EnvironmentId, 36))
                    .col(string_len(IdempotencyRecords::IdempotencyKey, 255))
                    .col(string_len(IdempotencyRecords::ApiKeyId, 36))
                    .col(string_len(IdempotencyRecords::Fingerprint, 64))
                    .col(string_len(IdempotencyRecords::State, 16))
                    .col(integer_null(IdempotencyRecords::HttpStatus))
                    .col(text_null(IdempotencyRecords::SealedResponse))
                    .col(timestamp_with_time_zone(IdempotencyRecords::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyRecords::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyRecords::EnvironmentId)
                            .col(IdempotencyRecords::IdempotencyKey),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_records_expires_at")
                    .table(IdempotencyRecords::Table)
                    .col(IdempotencyRecords::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyRecords::Table).to_owned())
            .await
    }
}
