//! Environment settings changes are audited too: an audit event need not be about a key, so
//! `audit_events.api_key_id` becomes nullable. SQLite cannot change a column's nullability in
//! place, so there the table is rebuilt with its rows and indexes.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    EnvironmentId,
    ApiKeyId,
    EventType,
    ActorType,
    ActorId,
    ActorName,
    BeforeState,
    AfterState,
    RelatedKeyId,
    OccurredAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
}

const REBUILT: &str = "audit_events_rebuilt";

/// The audit table as the core migration made it, but for `api_key_id`'s nullability.
fn audit_table(name: &str, key_nullable: bool) -> TableCreateStatement {
    let key = if key_nullable {
        string_len_null(AuditEvents::ApiKeyId, 36)
    } else {
        string_len(AuditEvents::ApiKeyId, 36)
    };
    Table::create()
        .table(Alias::new(name))
        .col(big_pk_auto(AuditEvents::Id))
        .col(string_len(AuditEvents::EnvironmentId, 36))
        .col(key)
        .col(string_len(AuditEvents::EventType, 32))
        .col(string_len(AuditEvents::ActorType, 16))
        .col(string_len_null(AuditEvents::ActorId, 36))
        .col(string_len(AuditEvents::ActorName, 400))
        .col(text(AuditEvents::BeforeState))
        .col(text(AuditEvents::AfterState))
        .col(string_len_null(AuditEvents::RelatedKeyId, 36))
        .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
        .foreign_key(
            ForeignKey::create()
                .from(Alias::new(name), AuditEvents::ApiKeyId)
                .to(ApiKeys::Table, ApiKeys::Id),
        )
        .to_owned()
}

/// Rebuilds the SQLite table with `api_key_id` nullable or not, keeping every row that fits.
async fn rebuild_on_sqlite(manager: &SchemaManager<'_>, key_nullable: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    manager
        .create_table(audit_table(REBUILT, key_nullable))
        .await?;
    let keep = if key_nullable {
        ""
    } else {
        " WHERE api_key_id IS NOT NULL"
    };
    db.execute_unprepared(&format!(
        "INSERT INTO {REBUILT} SELECT * FROM audit_events{keep}"
    ))
    .await?;
    db.execute_unprepared("DROP TABLE audit_events").await?;
    db.execute_unprepared(&format!("ALTER TABLE {REBUILT} RENAME TO audit_events"))
        .await?;
    for (name, column) in [
        ("ix_audit_events_api_key_id", AuditEvents::ApiKeyId),
        ("ix_audit_events_environment_id", AuditEvents::EnvironmentId),
    ] {
        manager
            .create_index(
                Index::create()
                    .name(name)
                    .table(AuditEvents::Table)
                    .col(column)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => rebuild_on_sqlite(manager, true).await,
            _ => {
                manager
                    .alter_table(
                        Table::alter()
                            .table(AuditEvents::Table)
                            .modify_column(
                                ColumnDef::new(AuditEvents::ApiKeyId).string_len(36).null(),
                            )
                            .to_owned(),
                    )
                    .await
            }
        }
    }

    /// Environment-level events have no place in the older table and are dropped.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => rebuild_on_sqlite(manager, false).await,
            _ => {
                manager
                    .get_connection()
                    .execute_unprepared("DELETE FROM audit_events WHERE api_key_id IS NULL")
                    .await?;
                manager
                    .alter_table(
                        Table::alter()
                            .table(AuditEvents::Table)
                            .modify_column(
                                ColumnDef::new(AuditEvents::ApiKeyId)
                                    .string_len(36)
                                    .not_null(),
                            )
                            .to_owned(),
                    )
                    .await
            }
        }
    }
}
