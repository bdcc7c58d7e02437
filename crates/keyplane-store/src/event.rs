//! The environment event log, a transactional outbox: [`insert`] runs inside the transaction
//! of the change it reports (every audit event goes through it), numbers the event with the
//! environment's next `seq` and queues one delivery per subscribed webhook endpoint, so an
//! event and its deliveries exist exactly when the change committed.
//!
//! The sequence row is locked (on PostgreSQL, until commit) by the upsert that takes the next
//! number, so events of one environment commit in `seq` order and a reader that has seen
//! `seq` n never later finds an n-1. To keep that lock from deadlocking with row locks, every
//! transaction takes it after the rows it changes: `insert` is the last thing a change does
//! but for inserting rows.

use chrono::{DateTime, Utc};
use keyplane_domain::event::{Event, EventType, NewEvent};
use keyplane_domain::webhook::{DELIVERY_WINDOW, EventFilter};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};

use crate::change::{Change, notify};
use crate::entity::{event, webhook_delivery, webhook_endpoint};
use crate::webhook::{DeliveryStatus, decode_event_types};
use crate::{Store, StoreError};

tokio::task_local! {
    /// Set by [`insert`] inside `Store::write`, which signals readers once the write
    /// committed.
    pub(crate) static WROTE_EVENTS: std::cell::Cell<bool>;
}

/// The most events one read answers.
pub const MAX_EVENTS_PER_READ: u64 = 1_000;

/// Writes `new` as the environment's next event, with its deliveries.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    environment_id: &str,
    new: NewEvent,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let seq = next_seq(db, environment_id).await?;
    let payload =
        serde_json::to_string(&new.data).map_err(|e| StoreError::corrupt(e.to_string()))?;
    let inserted = event::Entity::insert(event::ActiveModel {
        id: NotSet,
        environment_id: Set(environment_id.to_owned()),
        seq: Set(seq),
        event_type: Set(new.event_type.as_str().to_owned()),
        api_key_id: Set(new.api_key_id.clone()),
        payload: Set(payload),
        occurred_at: Set(now),
    })
    .exec(db)
    .await?;
    queue_deliveries(db, environment_id, inserted.last_insert_id, &new, now).await?;
    let _ = WROTE_EVENTS.try_with(|wrote| wrote.set(true));
    notify(db, &Change::Events(environment_id.to_owned())).await
}

async fn next_seq(db: &impl ConnectionTrait, environment_id: &str) -> Result<i64, StoreError> {
    let backend = db.get_database_backend();
    let mut sql = "INSERT INTO event_sequences (environment_id, last_seq) VALUES ($1, 1) \
                   ON CONFLICT (environment_id) DO UPDATE \
                   SET last_seq = event_sequences.last_seq + 1 RETURNING last_seq"
        .to_owned();
    if backend == DbBackend::Sqlite {
        sql = sql.replace('$', "?");
    }
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [environment_id.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::corrupt("the event sequence answered no row"))?;
    Ok(row.try_get("", "last_seq")?)
}

/// One pending delivery for every enabled endpoint of the environment that takes the event.
async fn queue_deliveries(
    db: &impl ConnectionTrait,
    environment_id: &str,
    event_id: i64,
    new: &NewEvent,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::EnvironmentId.eq(environment_id))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .all(db)
        .await?;
    let give_up_at = now + DELIVERY_WINDOW;
    let order_key = new.api_key_id.as_deref().unwrap_or(environment_id);
    let mut deliveries = Vec::new();
    for endpoint in endpoints {
        let filter: EventFilter = decode_event_types(&endpoint.event_types)?;
        if filter.matches(new.event_type) {
            deliveries.push(webhook_delivery::ActiveModel {
                id: NotSet,
                endpoint_id: Set(endpoint.id),
                event_id: Set(event_id),
                order_key: Set(order_key.to_owned()),
                status: Set(DeliveryStatus::Pending.as_str().to_owned()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                claimed_until: Set(None),
                give_up_at: Set(give_up_at),
                created_at: Set(now),
                completed_at: Set(None),
            });
        }
    }
    if !deliveries.is_empty() {
        webhook_delivery::Entity::insert_many(deliveries)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub(crate) fn event_from_model(model: event::Model) -> Result<Event, StoreError> {
    let event_type = EventType::parse(&model.event_type)
        .ok_or_else(|| StoreError::corrupt(format!("event type {:?}", model.event_type)))?;
    let data = serde_json::from_str(&model.payload)
        .map_err(|_| StoreError::corrupt(format!("payload of event {}", model.id)))?;
    Ok(Event {
        id: model.id,
        environment_id: model.environment_id,
        seq: model.seq,
        event_type,
        api_key_id: model.api_key_id,
        data,
        occurred_at: model.occurred_at,
    })
}

impl Store {
    /// The environment's events after `after` (a `seq`), oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        environment_id: &str,
        after: i64,
        limit: u64,
    ) -> Result<Vec<Event>, StoreError> {
        self.read(move || async move {
            let rows = event::Entity::find()
                .filter(event::Column::EnvironmentId.eq(environment_id))
                .filter(event::Column::Seq.gt(after))
                .order_by_asc(event::Column::Seq)
                .limit(limit.min(MAX_EVENTS_PER_READ))
                .all(&self.db)
                .await?;
            rows.into_iter().map(event_from_model).collect()
        })
        .await
    }

    /// The environment's newest `seq`, 0 before its first event.
    pub async fn latest_event_seq(&self, environment_id: &str) -> Result<i64, StoreError> {
        self.read(move || async move {
            let newest = event::Entity::find()
                .filter(event::Column::EnvironmentId.eq(environment_id))
                .order_by_desc(event::Column::Seq)
                .one(&self.db)
                .await?;
            Ok(newest.map_or(0, |e| e.seq))
        })
        .await
    }
}
