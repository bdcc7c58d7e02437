//! Change notifications between replicas. Every transaction that changes what authentication
//! or verification reads sends a notification in the same transaction, so PostgreSQL delivers it
//! exactly when the change commits. Each replica listens and evicts what it cached.
//!
//! SQLite has no notifications: there the caches' TTL backstop bounds staleness across
//! processes sharing one file.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{Store, StoreError};

/// The PostgreSQL notification channel. Must be the same on every replica.
pub const CHANNEL: &str = "keyplane_changes";

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A key's scopes, expiry, revocation or settings.
    Key(String),
    /// An environment's settings (default rate limit, client-side security, signing secrets).
    Environment(String),
    /// An account's plan.
    Account(String),
    /// New events in an environment: wakes event-queue readers and webhook deliveries.
    Events(String),
}

impl Change {
    fn payload(&self) -> String {
        match self {
            Self::Key(id) => format!("key:{id}"),
            Self::Environment(id) => format!("env:{id}"),
            Self::Account(id) => format!("account:{id}"),
            Self::Events(id) => format!("events:{id}"),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        let (kind, id) = payload.split_once(':')?;
        let id = id.to_owned();
        match kind {
            "key" => Some(Self::Key(id)),
            "env" => Some(Self::Environment(id)),
            "account" => Some(Self::Account(id)),
            "events" => Some(Self::Events(id)),
            _ => None,
        }
    }
}

/// Sends `change` to the other replicas when the surrounding transaction commits.
pub(crate) async fn notify(db: &impl ConnectionTrait, change: &Change) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), change.payload().into()],
        ))
        .await?;
    }
    Ok(())
}

/// What a listener heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeEvent {
    Changed(Change),
    /// The connection dropped and was made again: notifications sent meanwhile are lost, so
    /// everything cached must be dropped.
    Reconnected,
}

#[derive(Debug)]
pub struct ChangeListener {
    listener: PgListener,
}

impl ChangeListener {
    /// Waits for the next change. Reconnects by itself, and says so.
    pub async fn next(&mut self) -> ChangeEvent {
        loop {
            match self.listener.try_recv().await {
                Ok(Some(notification)) => {
                    if let Some(change) = Change::parse(notification.payload()) {
                        return ChangeEvent::Changed(change);
                    }
                    tracing::warn!("ignoring an unknown change notification");
                }
                // The connection was lost; the next call reconnects and listens again.
                Ok(None) => return ChangeEvent::Reconnected,
                Err(err) => {
                    tracing::warn!(error = %err, "change listener failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    return ChangeEvent::Reconnected;
                }
            }
        }
    }
}

impl Store {
    /// A listener for other replicas' changes; `None` on SQLite, which cannot notify.
    pub async fn listen_changes(&self) -> Result<Option<ChangeListener>, StoreError> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let pool = self.db.get_postgres_connection_pool();
        let mut listener = PgListener::connect_with(pool).await.map_err(|e| {
            StoreError::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
                e.into(),
            )))
        })?;
        listener.listen(CHANNEL).await.map_err(|e| {
            StoreError::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
                e.into(),
            )))
        })?;
        Ok(Some(ChangeListener { listener }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [
            Change::Key("k".into()),
            Change::Environment("e".into()),
            Change::Account("a".into()),
        ] {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
        assert_eq!(Change::parse("nonsense"), None);
        assert_eq!(Change::parse("user:1"), None);
    }
}
