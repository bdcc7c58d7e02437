//! The core schema: accounts, environments, API keys and their audit events.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Name,
    Plan,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
    AccountId,
    Slug,
    Name,
    EnvType,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    EnvironmentId,
    KeyType,
    Name,
    Description,
    Scopes,
    KeyHash,
    MaskedKey,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
    CreatedAt,
    CreatedByType,
    CreatedById,
    CreatedByName,
    RotatedFromId,
    ReplacedById,
}

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(string_len(Accounts::Id, 36).primary_key())
                    .col(string_len(Accounts::Name, 100))
                    .col(string_len(Accounts::Plan, 16))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Environments::Table)
                    .col(string_len(Environments::Id, 36).primary_key())
                    .col(string_len(Environments::AccountId, 36))
                    .col(string_len(Environments::Slug, 40))
                    .col(string_len(Environments::Name, 100))
                    .col(string_len(Environments::EnvType, 16))
                    .col(timestamp_with_time_zone(Environments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Environments::Table, Environments::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_environments_account_slug")
                    .table(Environments::Table)
                    .col(Environments::AccountId)
                    .col(Environments::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(string_len(ApiKeys::Id, 36).primary_key())
                    .col(string_len(ApiKeys::EnvironmentId, 36))
                    .col(string_len(ApiKeys::KeyType, 16))
                    .col(string_len(ApiKeys::Name, 400))
                    .col(string_len_null(ApiKeys::Description, 2000))
                    .col(text(ApiKeys::Scopes))
                    .col(string_len(ApiKeys::KeyHash, 64))
                    .col(string_len(ApiKeys::MaskedKey, 64))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(string_len(ApiKeys::CreatedByType, 16))
                    .col(string_len_null(ApiKeys::CreatedById, 36))
                    .col(string_len(ApiKeys::CreatedByName, 400))
                    .col(string_len_null(ApiKeys::RotatedFromId, 36))
                    .col(string_len_null(ApiKeys::ReplacedById, 36))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::EnvironmentId)
                            .to(Environments::Table, Environments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Authentication looks keys up by hash; two keys never share one.
        manager
            .create_index(
                Index::create()
                    .name("ux_api_keys_key_hash")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::KeyHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Keyset pagination of an environment's keys, newest first (ids are UUIDv7).
        manager
            .create_index(
                Index::create()
                    .name("ix_api_keys_environment_id")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::EnvironmentId)
                    .col(ApiKeys::Id)
                    .to_owned(),
            )
            .await?;
        // Exactly one current full-access and one current publishable key per environment: a
        // rotation marks the old key replaced before it inserts the new one. Partial indexes
        // read the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_api_keys_current_default ON api_keys (environment_id, key_type) \
                 WHERE key_type IN ('FULL_ACCESS', 'PUBLISHABLE') AND replaced_by_id IS NULL",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(string_len(AuditEvents::EnvironmentId, 36))
                    .col(string_len(AuditEvents::ApiKeyId, 36))
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
                            .from(AuditEvents::Table, AuditEvents::ApiKeyId)
                            .to(ApiKeys::Table, ApiKeys::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Newest events of one key, and of one environment: both keyset on the id.
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

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Environments::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
