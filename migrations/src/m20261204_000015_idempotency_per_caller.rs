//! Idempotency records belong to their caller: the key is `(environment, caller, Idempotency-Key)`
//! instead of `(environment, Idempotency-Key)`, so one caller's key neither blocks nor reveals
//! another's; `api_key_id` (which held user ids too) becomes `caller_id`; and each record keeps
//! the caller's authority when it ran (`authority`), which a replay must still have. The table
//! is rebuilt with its rows on both backends (SQLite cannot change a primary key in place);
//! rows kept from before have no authority, so they are never replayed, and never run again.

use sea_orm::{ConnectionTrait, DbBackend};
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
    CallerId,
    Fingerprint,
    State,
    HttpStatus,
    SealedResponse,
    Authority,
    CreatedAt,
    ExpiresAt,
}

const REBUILT: &str = "idempotency_records_rebuilt";
const EXPIRES_INDEX: &str = "ix_idempotency_records_expires_at";

/// The table per caller (`per_caller`) or as migration 6 made it.
fn records_table(per_caller: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(Alias::new(REBUILT))
        .col(string_len(IdempotencyRecords::EnvironmentId, 36))
        .col(string_len(IdempotencyRecords::IdempotencyKey, 255));
    let mut key = Index::create();
    key.col(IdempotencyRecords::EnvironmentId);
    if per_caller {
        table.col(string_len(IdempotencyRecords::CallerId, 36));
        key.col(IdempotencyRecords::CallerId);
    } else {
        table.col(string_len(IdempotencyRecords::ApiKeyId, 36));
    }
    key.col(IdempotencyRecords::IdempotencyKey);
    table
        .col(string_len(IdempotencyRecords::Fingerprint, 64))
        .col(string_len(IdempotencyRecords::State, 16))
        .col(integer_null(IdempotencyRecords::HttpStatus))
        .col(text_null(IdempotencyRecords::SealedResponse));
    if per_caller {
        table.col(text_null(IdempotencyRecords::Authority));
    }
    table
        .col(timestamp_with_time_zone(IdempotencyRecords::CreatedAt))
        .col(timestamp_with_time_zone(IdempotencyRecords::ExpiresAt))
        .primary_key(&mut key)
        .to_owned()
}

/// Builds the new shape beside the old, copies the rows `copy` selects, and swaps them.
async fn rebuild(manager: &SchemaManager<'_>, per_caller: bool, copy: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    // A rebuild cut short (SQLite runs a migration's statements outside one transaction) left
    // its half-filled table behind: start that table again, the old one still holds every row.
    db.execute_unprepared(&format!("DROP TABLE IF EXISTS {REBUILT}"))
        .await?;
    manager.create_table(records_table(per_caller)).await?;
    db.execute_unprepared(copy).await?;
    manager
        .drop_table(Table::drop().table(IdempotencyRecords::Table).to_owned())
        .await?;
    db.execute_unprepared(&format!(
        "ALTER TABLE {REBUILT} RENAME TO idempotency_records"
    ))
    .await?;
    // PostgreSQL names the primary key after the table it was made with; give it back its
    // usual name, so the next rebuild (down, up again) can make the new table's.
    if manager.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!(
            "ALTER TABLE idempotency_records RENAME CONSTRAINT {REBUILT}_pkey TO idempotency_records_pkey"
        ))
        .await?;
    }
    manager
        .create_index(
            Index::create()
                .name(EXPIRES_INDEX)
                .table(IdempotencyRecords::Table)
                .col(IdempotencyRecords::ExpiresAt)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(
            manager,
            true,
            &format!(
                "INSERT INTO {REBUILT} (environment_id, idempotency_key, caller_id, fingerprint, \
                 state, http_status, sealed_response, authority, created_at, expires_at) \
                 SELECT environment_id, idempotency_key, api_key_id, fingerprint, state, \
                 http_status, sealed_response, NULL, created_at, expires_at FROM idempotency_records"
            ),
        )
        .await
    }

    /// Two callers' records under one Idempotency-Key cannot both fit the older table: only
    /// keys held by one caller are kept.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(
            manager,
            false,
            &format!(
                "INSERT INTO {REBUILT} (environment_id, idempotency_key, api_key_id, fingerprint, \
                 state, http_status, sealed_response, created_at, expires_at) \
                 SELECT environment_id, idempotency_key, caller_id, fingerprint, state, \
                 http_status, sealed_response, created_at, expires_at FROM idempotency_records r \
                 WHERE (SELECT COUNT(*) FROM idempotency_records o \
                        WHERE o.environment_id = r.environment_id \
                          AND o.idempotency_key = r.idempotency_key) = 1"
            ),
        )
        .await
    }
}
