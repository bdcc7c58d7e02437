#![doc = include_str!("../README.md")]

mod account;
mod account_audit;
mod activity;
mod audit;
mod backup;
mod change;
mod client_security;
mod entity;
mod error;
mod event;
mod event_queue;
mod expiry;
mod idempotency;
mod integration;
mod key;
mod leak;
mod link;
mod page;
mod recoverable;
mod session;
mod usage;
mod user;
mod webhook;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

pub use account::{BootstrapEnvironment, BootstrapKey, BootstrapRequest, Bootstrapped};
pub use activity::ActivityFilter;
pub use audit::AuditFilter;
pub use backup::sqlite_file;
pub use change::{CHANNEL, Change, ChangeEvent, ChangeListener};
pub use client_security::{SealedSigningSecret, new_signing_secret_id};
pub use error::StoreError;
pub use event::MAX_EVENTS_PER_READ;
pub use idempotency::Claim;
pub use key::{
    BulkRevocation, KeyChange, KeyContext, KeyFilter, KeySelection, NewKey, QuotaGrant,
    RevocationBatch, Rotation, TimeRange,
};
pub use link::{Acceptance, NewLink};
pub use page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest};
pub use session::NewSession;
pub use usage::{Retained, UsageIncrement};
pub use user::UserChange;
pub use webhook::{
    ClaimedDelivery, DeliveryOutcome, NewWebhookEndpoint, WebhookEndpointChange,
    new_webhook_endpoint_id,
};

/// How long a SQLite connection waits for another writer before it gives up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The advisory lock id that serialises migrations across replicas. Must never change.
const MIGRATION_LOCK_ID: i64 = 0x6b65_7970_6d69;

/// Held while migrations run; see [`Store::lock_for_migrations`].
#[derive(Debug)]
pub struct MigrationLock(Option<DatabaseTransaction>);

impl MigrationLock {
    pub async fn release(self) -> Result<(), StoreError> {
        match self.0 {
            Some(txn) => Ok(txn.commit().await?),
            None => Ok(()),
        }
    }
}

/// The repositories of Keyplane over one connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    queries: Arc<AtomicU64>,
    failed_queries: Arc<AtomicU64>,
    /// Bumped after every write of this process that committed events, and for every other
    /// replica's events notice, so event readers and webhook deliveries wake and look again.
    written: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). SQLite runs in WAL mode with a busy
    /// timeout, so readers never block the writer and writers queue instead of failing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        // A SQLite connection is a file handle that cannot drop, so checking it before every
        // use is a wasted round-trip through its worker thread. A PostgreSQL connection can
        // (a restart, `pg_terminate_backend`): there the pool checks, and a read or an
        // uncommitted write that still meets a dead one is retried once.
        let is_sqlite = url.starts_with("sqlite:");
        options
            .test_before_acquire(!is_sqlite)
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        let mut db = Database::connect(options).await?;
        let queries = Arc::new(AtomicU64::new(0));
        let failed_queries = Arc::new(AtomicU64::new(0));
        let (counter, failures) = (Arc::clone(&queries), Arc::clone(&failed_queries));
        // Counts statements and failures only; the statement itself (which may hold a key hash)
        // is never looked at.
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::Relaxed);
            if info.failed {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Self {
            db,
            queries,
            failed_queries,
            written: Arc::new(tokio::sync::watch::Sender::new(0)),
        })
    }

    /// Changes whenever new events may have committed: here, after a write that inserted one, and
    /// on another replica, when [`Store::note_events_elsewhere`] is told of its notice. A
    /// wake-up is a hint to read again, never a promise that there is something new.
    pub fn watch_writes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.written.subscribe()
    }

    /// Another replica committed events (its `Change::Events` notice arrived), or notices
    /// may have been missed.
    pub fn note_events_elsewhere(&self) {
        self.written.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Statements this store has sent to the database since it connected.
    pub fn queries_issued(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Statements of those the database answered with an error (a constraint refusal
    /// included). A connection that could not be had is not a statement and not counted.
    pub fn queries_failed(&self) -> u64 {
        self.failed_queries.load(Ordering::Relaxed)
    }

    /// The pool, for running migrations.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// On PostgreSQL, waits for and holds the lock that serialises migrations, so replicas
    /// started together migrate one after the other (the later ones find nothing pending).
    /// Release it once migrations have run. SQLite needs none: its migrations take the write
    /// lock.
    pub async fn lock_for_migrations(&self) -> Result<MigrationLock, StoreError> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(MigrationLock(None));
        }
        // A transaction-scoped lock: it holds one pooled connection until released, and is let
        // go by PostgreSQL itself if this process dies.
        let txn = self.db.begin().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [MIGRATION_LOCK_ID.into()],
        ))
        .await?;
        Ok(MigrationLock(Some(txn)))
    }

    /// One round-trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from)
    }

    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.map_err(StoreError::from)
    }

    /// Runs a read. A connection lost on the way is retried once, on a fresh connection (the
    /// pool tests idle connections before it hands them out): a read changes nothing, so
    /// running it again is always safe.
    pub(crate) async fn read<T, F, Fut>(&self, attempt: F) -> Result<T, StoreError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        match attempt().await {
            Err(err) if matches!(err, StoreError::Unavailable { .. }) => {
                tracing::warn!(error = %err, "a read lost its database connection; retrying once");
                attempt().await
            }
            result => result,
        }
    }

    /// Runs one write transaction, from `begin_write` to [`commit`]. When the connection is
    /// lost before `COMMIT` was sent, nothing was written and the whole transaction is run once
    /// more on a fresh connection; a failure during the commit itself is never retried, since
    /// the change may have been written.
    pub(crate) async fn write<T, F, Fut>(&self, attempt: F) -> Result<T, StoreError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let wrote_events = std::cell::Cell::new(false);
        let result = event::WROTE_EVENTS
            .scope(wrote_events, async {
                let result = match attempt().await {
                    Err(err) if err.is_retryable() => {
                        tracing::warn!(error = %err, "a write lost its database connection before committing; retrying once");
                        attempt().await
                    }
                    result => result,
                };
                (result, event::WROTE_EVENTS.with(std::cell::Cell::get))
            })
            .await;
        let (result, wrote_events) = result;
        if result.is_ok() && wrote_events {
            self.note_events_elsewhere();
        }
        result
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at `BEGIN`
    /// (`IMMEDIATE`), so two writers queue on the busy timeout instead of one failing when it
    /// upgrades a read lock; on PostgreSQL rows are locked with `FOR UPDATE` where they are read.
    async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }
}

/// Commits `txn`. A connection lost here leaves the outcome unknown, which the error says.
async fn commit(txn: DatabaseTransaction) -> Result<(), StoreError> {
    txn.commit()
        .await
        .map_err(|err| StoreError::from(err).at_commit())
}

/// Instants are stored at microsecond precision, PostgreSQL's, so both databases hand back the
/// same value that was written.
fn stored_instant(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(6)
}

/// A rate limit as it is kept: two nullable columns, both set or neither, and its mode (null
/// reads as `EXACT`).
struct RateLimitColumns {
    requests: Option<i32>,
    period_seconds: Option<i32>,
    mode: Option<String>,
}

impl RateLimitColumns {
    fn of(limit: Option<keyplane_domain::rate_limit::RateLimit>) -> Self {
        match limit {
            // Both fit: `RateLimit` bounds requests to 1e6 and the period to a day.
            Some(limit) => Self {
                requests: Some(limit.requests as i32),
                period_seconds: Some(limit.period_seconds as i32),
                mode: Some(limit.mode.as_str().to_owned()),
            },
            None => Self {
                requests: None,
                period_seconds: None,
                mode: None,
            },
        }
    }

    fn read(self) -> Result<Option<keyplane_domain::rate_limit::RateLimit>, StoreError> {
        use keyplane_domain::rate_limit::{RateLimit, RateLimitMode};
        let mode = match self.mode.as_deref() {
            None => RateLimitMode::Exact,
            Some(text) => {
                RateLimitMode::parse(text).ok_or_else(|| StoreError::corrupt("rate limit mode"))?
            }
        };
        match (self.requests, self.period_seconds) {
            (None, None) => Ok(None),
            (Some(requests), Some(period)) => {
                RateLimit::parse("rateLimit", requests.into(), period.into())
                    .map(|limit| Some(limit.with_mode(mode)))
                    .map_err(|_| StoreError::corrupt("rate limit columns"))
            }
            _ => Err(StoreError::corrupt("rate limit columns set by halves")),
        }
    }
}

/// A fresh, time-ordered id (UUIDv7): ids sort by creation, which keyset pagination relies on.
fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
