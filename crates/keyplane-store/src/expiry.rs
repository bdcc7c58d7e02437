//! Expiry notices: `key.expiring_soon` once when a key enters the expiring-soon window, and
//! `key.expired` once when it expires. Each key remembers the expiry it was told about, so a
//! changed expiration is told about again and a repeated sweep tells nothing twice.
//!
//! One replica sweeps at a time: on PostgreSQL the sweep's transaction first takes a
//! transaction-scoped advisory lock, and a replica that does not get it skips its turn.
//! SQLite serialises writers by itself.

use chrono::{DateTime, Duration, Utc};
use keyplane_domain::event::{EventType, NewEvent};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    Statement,
};

use crate::entity::api_key::{self, Column};
use crate::{Store, StoreError, commit, event, stored_instant};

/// The advisory lock id of the expiry sweep. Must never change.
const EXPIRY_LOCK_ID: i64 = 0x6b65_7970_6578;
/// Keys one sweep tells about at most, per kind; the next sweep takes the rest.
const SWEEP_BATCH: u64 = 500;
/// Keys that expired longer ago than this when first swept (before notices existed, or while
/// every replica was down) are not told about.
const EXPIRED_LOOKBACK: Duration = Duration::days(7);

impl Store {
    /// Writes the notices due at `now`; answers how many, or `None` when another replica
    /// holds the sweep.
    pub async fn notice_expiries(
        &self,
        now: DateTime<Utc>,
        expiring_soon: Duration,
    ) -> Result<Option<u64>, StoreError> {
        let now = stored_instant(now);
        // Most sweeps find nothing: a read says so without taking the write lock.
        let soon = due(
            &self.db,
            EventType::KeyExpiringSoon,
            soon_window(now, expiring_soon),
            Column::ExpiringSoonNoticedFor,
        );
        let expired = due(
            &self.db,
            EventType::KeyExpired,
            expired_window(now),
            Column::ExpiredNoticedFor,
        );
        if soon.await?.is_empty() && expired.await?.is_empty() {
            return Ok(Some(0));
        }
        self.write(move || async move {
            let txn = self.begin_write().await?;
            if txn.get_database_backend() == DbBackend::Postgres {
                let row = txn
                    .query_one_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT pg_try_advisory_xact_lock($1) AS locked",
                        [EXPIRY_LOCK_ID.into()],
                    ))
                    .await?;
                let locked = match row {
                    Some(row) => row.try_get::<bool>("", "locked")?,
                    None => false,
                };
                if !locked {
                    return Ok(None);
                }
            }
            let soon = due(
                &txn,
                EventType::KeyExpiringSoon,
                soon_window(now, expiring_soon),
                Column::ExpiringSoonNoticedFor,
            )
            .await?;
            let expired = due(
                &txn,
                EventType::KeyExpired,
                expired_window(now),
                Column::ExpiredNoticedFor,
            )
            .await?;
            // Every key row is written before the first event takes the sequence lock.
            let notices: Vec<_> = soon.into_iter().chain(expired).collect();
            for (event_type, key) in &notices {
                let marker = match event_type {
                    EventType::KeyExpired => Column::ExpiredNoticedFor,
                    _ => Column::ExpiringSoonNoticedFor,
                };
                api_key::Entity::update_many()
                    .col_expr(marker, Expr::value(key.expires_at))
                    .filter(Column::Id.eq(key.id.as_str()))
                    .exec(&txn)
                    .await?;
            }
            for (event_type, key) in &notices {
                let Some(expires_at) = key.expires_at else {
                    continue;
                };
                let new = NewEvent::expiry(*event_type, &key.id, expires_at);
                event::insert(&txn, &key.environment_id, new, now).await?;
            }
            commit(txn).await?;
            Ok(Some(notices.len() as u64))
        })
        .await
    }
}

fn soon_window(now: DateTime<Utc>, expiring_soon: Duration) -> Condition {
    Condition::all()
        .add(Column::ExpiresAt.gt(now))
        .add(Column::ExpiresAt.lte(now + expiring_soon))
}

fn expired_window(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Column::ExpiresAt.lte(now))
        .add(Column::ExpiresAt.gt(now - EXPIRED_LOOKBACK))
}

/// Unrevoked keys matching `window` whose `marker` is not their current expiry.
async fn due(
    db: &impl ConnectionTrait,
    event_type: EventType,
    window: Condition,
    marker: Column,
) -> Result<Vec<(EventType, api_key::Model)>, StoreError> {
    let keys = api_key::Entity::find()
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.is_not_null())
        .filter(window)
        .filter(
            Condition::any()
                .add(marker.is_null())
                .add(Expr::col(marker).ne(Expr::col(Column::ExpiresAt))),
        )
        .limit(SWEEP_BATCH)
        .all(db)
        .await?;
    Ok(keys.into_iter().map(|key| (event_type, key)).collect())
}
