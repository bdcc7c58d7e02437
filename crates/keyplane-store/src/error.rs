//! The store's one error type.

use keyplane_domain::{ErrorCode, RuleViolation};
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule refused the change, or the data it needs is not there (`NOT_FOUND`, `CONFLICT`, …).
    /// Nothing was written.
    #[error(transparent)]
    Rejected(#[from] RuleViolation),
    /// A stored value no longer parses: a bug or a hand-edited row. Answered as internal.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database failed. Its text is logged once by whoever handles it, never sent to a client.
    #[error("database error: {0}")]
    Database(#[source] DbErr),
    /// The database could not be reached, dropped the connection (a restart, a failover,
    /// `pg_terminate_backend`) or stayed locked past the busy timeout.
    #[error("database unavailable: {source}")]
    Unavailable {
        #[source]
        source: DbErr,
        /// The connection failed after `COMMIT` was sent: the change may or may not have been
        /// written, so it must not be run again.
        outcome_unknown: bool,
    },
}

impl StoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Rejected(violation) => violation.code,
            Self::Corrupt(_) | Self::Database(_) => ErrorCode::InternalServerError,
            Self::Unavailable { .. } => ErrorCode::Unavailable,
        }
    }

    /// Whether running the same work again on a fresh connection is safe and may succeed: the
    /// connection failed, and not while a commit was under way.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable {
                outcome_unknown: false,
                ..
            }
        )
    }

    /// The same error, raised while committing: a lost connection leaves the outcome unknown.
    pub(crate) fn at_commit(self) -> Self {
        match self {
            Self::Unavailable { source, .. } => Self::Unavailable {
                source,
                outcome_unknown: true,
            },
            other => other,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        Self::Corrupt(what.into())
    }

    /// Maps a unique-constraint violation to `CONFLICT` with `message`; anything else stays a
    /// database error.
    pub(crate) fn conflict_on_unique(err: DbErr, message: &str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::Rejected(RuleViolation::conflict(message))
            }
            _ => Self::from(err),
        }
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            Self::Unavailable {
                source: err,
                outcome_unknown: false,
            }
        } else {
            Self::Database(err)
        }
    }
}

/// Whether `err` says the database is out of reach rather than that the statement was wrong.
fn is_unavailable(err: &DbErr) -> bool {
    match err {
        // No connection could be had: the pool timed out, or opening one failed.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            sqlx_unavailable(err)
        }
        _ => false,
    }
}

fn sqlx_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                // Class 08: connection exceptions. 57P01-57P03: the server is shutting down,
                // crashed, or not accepting connections yet (a terminated backend is 57P01).
                // 53300: too many connections.
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
            } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (low byte).
                code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                false
            }
        }
        _ => false,
    }
}
