//! Key events: the environment's event log (the transactional outbox), its per-environment
//! sequence, the event queue's temporary credentials, webhook endpoints with their deliveries
//! and attempts, the expiry notices already sent for a key, and the environment's leak policy.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    EnvironmentId,
    Seq,
    EventType,
    ApiKeyId,
    Payload,
    OccurredAt,
}

#[derive(DeriveIden)]
enum EventSequences {
    Table,
    EnvironmentId,
    LastSeq,
}

#[derive(DeriveIden)]
enum EventQueueCredentials {
    Table,
    Id,
    EnvironmentId,
    TokenDigest,
    ActorType,
    ActorId,
    ActorName,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    EnvironmentId,
    Url,
    Description,
    EventTypes,
    Enabled,
    SealedSecret,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    OrderKey,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    GiveUpAt,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    StatusCode,
    DurationMs,
    ResponseExcerpt,
    Error,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    ExpiringSoonNoticedFor,
    ExpiredNoticedFor,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    LeakPolicy,
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Id))
                    .col(string_len(Events::EnvironmentId, 36))
                    .col(big_integer(Events::Seq))
                    .col(string_len(Events::EventType, 48))
                    .col(string_len_null(Events::ApiKeyId, 36))
                    .col(text(Events::Payload))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_events_environment_seq",
            Events::Table,
            vec![Events::EnvironmentId.into_iden(), Events::Seq.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_events_occurred_at",
            Events::Table,
            vec![Events::OccurredAt.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventSequences::Table)
                    .col(string_len(EventSequences::EnvironmentId, 36).primary_key())
                    .col(big_integer(EventSequences::LastSeq))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventQueueCredentials::Table)
                    .col(string_len(EventQueueCredentials::Id, 36).primary_key())
                    .col(string_len(EventQueueCredentials::EnvironmentId, 36))
                    .col(string_len(EventQueueCredentials::TokenDigest, 64).unique_key())
                    .col(string_len(EventQueueCredentials::ActorType, 16))
                    .col(string_len_null(EventQueueCredentials::ActorId, 36))
                    .col(string_len(EventQueueCredentials::ActorName, 400))
                    .col(timestamp_with_time_zone(EventQueueCredentials::CreatedAt))
                    .col(timestamp_with_time_zone(EventQueueCredentials::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_event_queue_credentials_expires_at",
            EventQueueCredentials::Table,
            vec![EventQueueCredentials::ExpiresAt.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(string_len(WebhookEndpoints::Id, 36).primary_key())
                    .col(string_len(WebhookEndpoints::EnvironmentId, 36))
                    .col(text(WebhookEndpoints::Url))
                    .col(text_null(WebhookEndpoints::Description))
                    .col(text(WebhookEndpoints::EventTypes))
                    .col(boolean(WebhookEndpoints::Enabled))
                    .col(text(WebhookEndpoints::SealedSecret))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_endpoints_environment_id",
            WebhookEndpoints::Table,
            vec![WebhookEndpoints::EnvironmentId.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(string_len(WebhookDeliveries::EndpointId, 36))
                    .col(big_integer(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::OrderKey, 36))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::ClaimedUntil,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::GiveUpAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::CompletedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_deliveries_due",
            WebhookDeliveries::Table,
            vec![
                WebhookDeliveries::Status.into_iden(),
                WebhookDeliveries::NextAttemptAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "ix_webhook_deliveries_order",
            WebhookDeliveries::Table,
            vec![
                WebhookDeliveries::EndpointId.into_iden(),
                WebhookDeliveries::OrderKey.into_iden(),
                WebhookDeliveries::Status.into_iden(),
                WebhookDeliveries::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "ix_webhook_deliveries_event_id",
            WebhookDeliveries::Table,
            vec![WebhookDeliveries::EventId.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(big_pk_auto(WebhookAttempts::Id))
                    .col(big_integer(WebhookAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                    .col(integer_null(WebhookAttempts::StatusCode))
                    .col(integer(WebhookAttempts::DurationMs))
                    .col(text_null(WebhookAttempts::ResponseExcerpt))
                    .col(text_null(WebhookAttempts::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_attempts_delivery_id",
            WebhookAttempts::Table,
            vec![
                WebhookAttempts::DeliveryId.into_iden(),
                WebhookAttempts::Id.into_iden(),
            ],
            false,
        )
        .await?;
        // SQLite alters one column per statement.
        for column in [
            timestamp_with_time_zone_null(ApiKeys::ExpiringSoonNoticedFor),
            timestamp_with_time_zone_null(ApiKeys::ExpiredNoticedFor),
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
            .alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .add_column(string_len_null(Environments::LeakPolicy, 16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .drop_column(Environments::LeakPolicy)
                    .to_owned(),
            )
            .await?;
        for column in [ApiKeys::ExpiredNoticedFor, ApiKeys::ExpiringSoonNoticedFor] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            EventQueueCredentials::Table.into_iden(),
            EventSequences::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
