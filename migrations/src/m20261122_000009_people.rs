//! People: users, their sessions, one-time links (setup, invitation, password reset), the
//! account's audit trail, recoverable keys, and the user behind an activity row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    AccountId,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    CreatedAt,
    LastLoginAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    TokenDigest,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    UserAgent,
}

#[derive(DeriveIden)]
enum UserLinks {
    Table,
    Id,
    AccountId,
    Purpose,
    TokenDigest,
    Email,
    Role,
    UserId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum AccountAuditEvents {
    Table,
    Id,
    AccountId,
    EventType,
    ActorType,
    ActorId,
    ActorName,
    UserId,
    Details,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    RecoverableKeys,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    SealedSecret,
}

#[derive(DeriveIden)]
enum ActivityEvents {
    Table,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(string_len(Users::Id, 36).primary_key())
                    .col(string_len(Users::AccountId, 36))
                    .col(string_len(Users::Email, 254))
                    .col(string_len(Users::DisplayName, 100))
                    .col(text(Users::PasswordHash))
                    .col(string_len(Users::Role, 16))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .col(timestamp_with_time_zone_null(Users::DisabledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Login names no account: an email is one person across the installation.
        manager
            .create_index(
                Index::create()
                    .name("ux_users_email")
                    .table(Users::Table)
                    .col(Users::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::Id, 36).primary_key())
                    .col(string_len(Sessions::UserId, 36))
                    .col(string_len(Sessions::TokenDigest, 64).unique_key())
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(string_len_null(Sessions::UserAgent, 200))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserLinks::Table)
                    .col(string_len(UserLinks::Id, 36).primary_key())
                    .col(string_len(UserLinks::AccountId, 36))
                    .col(string_len(UserLinks::Purpose, 16))
                    .col(string_len(UserLinks::TokenDigest, 64).unique_key())
                    .col(string_len_null(UserLinks::Email, 254))
                    .col(string_len_null(UserLinks::Role, 16))
                    .col(string_len_null(UserLinks::UserId, 36))
                    .col(timestamp_with_time_zone(UserLinks::CreatedAt))
                    .col(timestamp_with_time_zone(UserLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(UserLinks::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserLinks::Table, UserLinks::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountAuditEvents::Table)
                    .col(
                        big_integer(AccountAuditEvents::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(AccountAuditEvents::AccountId, 36))
                    .col(string_len(AccountAuditEvents::EventType, 32))
                    .col(string_len(AccountAuditEvents::ActorType, 16))
                    .col(string_len_null(AccountAuditEvents::ActorId, 36))
                    .col(string_len(AccountAuditEvents::ActorName, 200))
                    .col(string_len_null(AccountAuditEvents::UserId, 36))
                    .col(text(AccountAuditEvents::Details))
                    .col(timestamp_with_time_zone(AccountAuditEvents::OccurredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccountAuditEvents::Table, AccountAuditEvents::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_account_audit_events_account")
                    .table(AccountAuditEvents::Table)
                    .col(AccountAuditEvents::AccountId)
                    .col(AccountAuditEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .add_column(boolean(Environments::RecoverableKeys).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .add_column(text_null(ApiKeys::SealedSecret))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ActivityEvents::Table)
                    .add_column(string_len_null(ActivityEvents::UserId, 36))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (
                ActivityEvents::Table.into_iden(),
                ActivityEvents::UserId.into_iden(),
            ),
            (
                ApiKeys::Table.into_iden(),
                ApiKeys::SealedSecret.into_iden(),
            ),
            (
                Environments::Table.into_iden(),
                Environments::RecoverableKeys.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        for table in [
            AccountAuditEvents::Table.into_iden(),
            UserLinks::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
