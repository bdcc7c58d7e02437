//! The store's one error type.

use keyplane_domain::{ErrorCode, RuleViolation};
use sea_orm::{DbErr, SqlErr};

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
}

impl StoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Rejected(violation) => violation.code,
            Self::Corrupt(_) | Self::Database(_) => ErrorCode::InternalServerError,
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
            _ => Self::Database(err),
        }
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        Self::Database(err)
    }
}
