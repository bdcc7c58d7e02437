//! Webhook deliveries: claimed by one replica at a time, attempted, recorded, retried or
//! replayed. A claim is a lease (`claimed_until`): a replica that dies mid-attempt loses it
//! when the lease runs out, and another takes the delivery again, so nothing acknowledged
//! is lost (delivery is at least once). On PostgreSQL replicas claim with
//! `FOR UPDATE SKIP LOCKED`, so two never wait on or take the same rows; SQLite's single
//! writer does the same by taking the write lock at `BEGIN`.
//!
//! Deliveries of one key's events (or of one environment's settings events) to one endpoint
//! go in order: a delivery is claimable only when no earlier one of its stream is pending.

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::event::Event;
use keyplane_domain::webhook::{DELIVERY_WINDOW, DeliveryStatus, WebhookAttempt, WebhookDelivery};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};

use crate::entity::{event, webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::event::event_from_model;
use crate::page::{Page, PageRequest, newest_first};
use crate::{Store, StoreError, commit, stored_instant};

/// A delivery this replica holds until `claimed_until`, with what sending it needs.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery_id: i64,
    pub attempts: u32,
    pub give_up_at: DateTime<Utc>,
    pub endpoint_id: String,
    pub environment_id: String,
    pub url: String,
    pub sealed_secret: String,
    pub event: Event,
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Succeeded,
    RetryAt(DateTime<Utc>),
    Failed,
}

const CLAIM_SQL: &str = "UPDATE webhook_deliveries SET claimed_until = $1 WHERE id IN ( \
    SELECT d.id FROM webhook_deliveries d \
    WHERE d.status = 'PENDING' AND d.next_attempt_at <= $2 \
      AND (d.claimed_until IS NULL OR d.claimed_until < $2) \
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
        WHERE e.endpoint_id = d.endpoint_id AND e.order_key = d.order_key \
          AND e.status = 'PENDING' AND e.id < d.id) \
    ORDER BY d.id LIMIT $3{lock}) RETURNING id";

/// When the first delivery that could be claimed comes due: the head of each stream, at its
/// next attempt or when its claim runs out.
const NEXT_DUE_SQL: &str = "SELECT MIN(CASE WHEN d.claimed_until IS NOT NULL \
      AND d.claimed_until > d.next_attempt_at THEN d.claimed_until ELSE d.next_attempt_at END) AS due \
    FROM webhook_deliveries d WHERE d.status = 'PENDING' \
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
        WHERE e.endpoint_id = d.endpoint_id AND e.order_key = d.order_key \
          AND e.status = 'PENDING' AND e.id < d.id)";

fn delivery_from_model(
    model: webhook_delivery::Model,
    event: Event,
) -> Result<WebhookDelivery, StoreError> {
    Ok(WebhookDelivery {
        status: DeliveryStatus::parse(&model.status)
            .ok_or_else(|| StoreError::corrupt("webhook delivery status"))?,
        id: model.id,
        endpoint_id: model.endpoint_id,
        event,
        attempts: u32::try_from(model.attempts).unwrap_or(0),
        next_attempt_at: model.next_attempt_at,
        give_up_at: model.give_up_at,
        created_at: model.created_at,
        completed_at: model.completed_at,
    })
}

fn attempt_from_model(model: webhook_attempt::Model) -> WebhookAttempt {
    WebhookAttempt {
        id: model.id,
        delivery_id: model.delivery_id,
        attempted_at: model.attempted_at,
        status_code: model.status_code.and_then(|c| u16::try_from(c).ok()),
        duration_ms: u32::try_from(model.duration_ms).unwrap_or(0),
        response_excerpt: model.response_excerpt,
        error: model.error,
    }
}

impl Store {
    /// Claims up to `limit` due deliveries until `claimed_until`.
    pub async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        claimed_until: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let (now, claimed_until) = (stored_instant(now), stored_instant(claimed_until));
        self.write(move || async move {
            let txn = self.begin_write().await?;
            let backend = txn.get_database_backend();
            let sql = match backend {
                DbBackend::Postgres => CLAIM_SQL.replace("{lock}", " FOR UPDATE SKIP LOCKED"),
                _ => CLAIM_SQL.replace("{lock}", "").replace('$', "?"),
            };
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    sql,
                    [claimed_until.into(), now.into(), limit.into()],
                ))
                .await?;
            let ids = rows
                .iter()
                .map(|row| row.try_get::<i64>("", "id"))
                .collect::<Result<Vec<_>, _>>()?;
            let claimed = if ids.is_empty() {
                Vec::new()
            } else {
                load_claimed(&txn, &ids).await?
            };
            commit(txn).await?;
            Ok(claimed)
        })
        .await
    }

    /// When the next delivery comes due, if any is pending: how long the sender may sleep.
    pub async fn next_delivery_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(move || async move {
            let backend = self.db.get_database_backend();
            let row = self
                .db
                .query_one_raw(Statement::from_string(backend, NEXT_DUE_SQL))
                .await?;
            Ok(match row {
                Some(row) => row.try_get::<Option<DateTime<Utc>>>("", "due")?,
                None => None,
            })
        })
        .await
    }

    /// Records one attempt and what it leads to. A delivery deleted meanwhile (its endpoint
    /// went) is left gone.
    pub async fn record_attempt(
        &self,
        delivery_id: i64,
        attempt: &WebhookAttempt,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError> {
        let attempted_at = stored_instant(attempt.attempted_at);
        self.write(move || async move {
            let txn = self.begin_write().await?;
            let Some(current) = webhook_delivery::Entity::find_by_id(delivery_id)
                .one(&txn)
                .await?
            else {
                return Ok(());
            };
            let mut model = webhook_delivery::ActiveModel {
                id: Set(delivery_id),
                attempts: Set(current.attempts.saturating_add(1)),
                claimed_until: Set(None),
                ..Default::default()
            };
            match outcome {
                DeliveryOutcome::Succeeded => {
                    model.status = Set(DeliveryStatus::Succeeded.as_str().to_owned());
                    model.completed_at = Set(Some(attempted_at));
                }
                DeliveryOutcome::Failed => {
                    model.status = Set(DeliveryStatus::Failed.as_str().to_owned());
                    model.completed_at = Set(Some(attempted_at));
                }
                DeliveryOutcome::RetryAt(at) => {
                    model.next_attempt_at = Set(stored_instant(at));
                }
            }
            webhook_delivery::Entity::update(model).exec(&txn).await?;
            webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
                id: NotSet,
                delivery_id: Set(delivery_id),
                attempted_at: Set(attempted_at),
                status_code: Set(attempt.status_code.map(i32::from)),
                duration_ms: Set(i32::try_from(attempt.duration_ms).unwrap_or(i32::MAX)),
                response_excerpt: Set(attempt.response_excerpt.clone()),
                error: Set(attempt.error.clone()),
            })
            .exec_without_returning(&txn)
            .await?;
            commit(txn).await
        })
        .await
    }

    /// Lets go of a claim without an attempt (the replica is stopping), so another replica
    /// takes the delivery at once.
    pub async fn release_delivery(&self, delivery_id: i64) -> Result<(), StoreError> {
        self.write(move || async move {
            webhook_delivery::Entity::update_many()
                .col_expr(
                    webhook_delivery::Column::ClaimedUntil,
                    sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(webhook_delivery::Column::Id.eq(delivery_id))
                .exec(&self.db)
                .await?;
            Ok(())
        })
        .await
    }

    /// Makes a delivery of the environment pending and due now, with a fresh delivery window:
    /// it is sent again (after any earlier pending event of its key).
    pub async fn replay_delivery(
        &self,
        environment_id: &str,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> Result<WebhookDelivery, StoreError> {
        let now = stored_instant(now);
        self.write(move || async move {
            let txn = self.begin_write().await?;
            let (model, event) = find_in_environment(&txn, environment_id, delivery_id)
                .await?
                .ok_or_else(|| RuleViolation::not_found("webhook delivery"))?;
            let updated = webhook_delivery::Entity::update(webhook_delivery::ActiveModel {
                id: Set(model.id),
                status: Set(DeliveryStatus::Pending.as_str().to_owned()),
                next_attempt_at: Set(now),
                give_up_at: Set(now + DELIVERY_WINDOW),
                completed_at: Set(None),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            commit(txn).await?;
            // Wakes the senders, as a new event would.
            let _ = crate::event::WROTE_EVENTS.try_with(|wrote| wrote.set(true));
            delivery_from_model(updated, event)
        })
        .await
    }

    /// An endpoint's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        environment_id: &str,
        endpoint_id: &str,
        page: &PageRequest<i64>,
    ) -> Result<Page<WebhookDelivery>, StoreError> {
        self.read(move || async move {
            let endpoint = webhook_endpoint::Entity::find_by_id(endpoint_id.to_owned())
                .filter(webhook_endpoint::Column::EnvironmentId.eq(environment_id))
                .one(&self.db)
                .await?;
            if endpoint.is_none() {
                return Err(RuleViolation::not_found("webhook endpoint").into());
            }
            let query = webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id));
            let rows = newest_first(query, webhook_delivery::Column::Id, page)
                .find_also_related(event::Entity)
                .all(&self.db)
                .await?;
            let deliveries = rows
                .into_iter()
                .map(|(delivery, event)| {
                    let event = event.ok_or_else(|| StoreError::corrupt("delivery's event"))?;
                    delivery_from_model(delivery, event_from_model(event)?)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_overfetch(deliveries, page))
        })
        .await
    }

    /// A delivery's attempts, oldest first.
    pub async fn delivery_attempts(
        &self,
        delivery_id: i64,
    ) -> Result<Vec<WebhookAttempt>, StoreError> {
        self.read(move || async move {
            Ok(webhook_attempt::Entity::find()
                .filter(webhook_attempt::Column::DeliveryId.eq(delivery_id))
                .order_by_asc(webhook_attempt::Column::Id)
                .all(&self.db)
                .await?
                .into_iter()
                .map(attempt_from_model)
                .collect())
        })
        .await
    }
}

async fn find_in_environment(
    db: &impl ConnectionTrait,
    environment_id: &str,
    delivery_id: i64,
) -> Result<Option<(webhook_delivery::Model, Event)>, StoreError> {
    let Some((delivery, Some(event))) = webhook_delivery::Entity::find_by_id(delivery_id)
        .find_also_related(event::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if event.environment_id != environment_id {
        return Ok(None);
    }
    Ok(Some((delivery, event_from_model(event)?)))
}

async fn load_claimed(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let rows = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(webhook_delivery::Column::Id)
        .find_also_related(event::Entity)
        .all(db)
        .await?;
    let endpoint_ids: Vec<String> = rows.iter().map(|(d, _)| d.endpoint_id.clone()).collect();
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(endpoint_ids))
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for (delivery, event) in rows {
        let event = event.ok_or_else(|| StoreError::corrupt("delivery's event"))?;
        let Some(endpoint) = endpoints.iter().find(|e| e.id == delivery.endpoint_id) else {
            continue;
        };
        claimed.push(ClaimedDelivery {
            delivery_id: delivery.id,
            attempts: u32::try_from(delivery.attempts).unwrap_or(0),
            give_up_at: delivery.give_up_at,
            endpoint_id: endpoint.id.clone(),
            environment_id: endpoint.environment_id.clone(),
            url: endpoint.url.clone(),
            sealed_secret: endpoint.sealed_secret.clone(),
            event: event_from_model(event)?,
        });
    }
    Ok(claimed)
}
