//! Idempotency records: claimed atomically before a mutation runs, completed with its (sealed)
//! response, replayed to retries, purged after they expire. Each belongs to one caller in one
//! environment: another caller's record under the same Idempotency-Key is never seen.

use chrono::{DateTime, Duration, Utc};
use keyplane_domain::idempotency::Authority;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, SqlErr,
};

use crate::entity::idempotency_record::{self, Column};
use crate::{Store, StoreError, commit, stored_instant};

const IN_PROGRESS: &str = "IN_PROGRESS";
const COMPLETED: &str = "COMPLETED";

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the key now and must complete or release it.
    Claimed,
    /// The same request already ran: here is its response, and the authority the caller ran
    /// it with (`None` for a record kept from before authorities were stored).
    Replay {
        http_status: u16,
        sealed_response: String,
        authority: Option<Authority>,
    },
    /// The same key is in use by a request that has not finished.
    InProgress,
    /// The caller used the key for another request (another body).
    Mismatch,
}

impl Store {
    /// Claims `key` for `caller_id`'s request with `fingerprint`, run with `authority`, or
    /// says why not. Expired records do not count. Two concurrent claims never both succeed.
    #[expect(clippy::too_many_arguments, reason = "one claim's whole identity")]
    pub async fn claim_idempotency_key(
        &self,
        environment_id: &str,
        caller_id: &str,
        key: &str,
        fingerprint: &str,
        authority: &Authority,
        now: DateTime<Utc>,
        retention: Duration,
    ) -> Result<Claim, StoreError> {
        let authority = authority.to_stored();
        let record = RecordId {
            environment_id,
            caller_id,
            key,
        };
        self.write(|| {
            self.claim_idempotency_key_once(record, fingerprint, &authority, now, retention)
        })
        .await
    }

    async fn claim_idempotency_key_once(
        &self,
        record: RecordId<'_>,
        fingerprint: &str,
        authority: &str,
        now: DateTime<Utc>,
        retention: Duration,
    ) -> Result<Claim, StoreError> {
        let now = stored_instant(now);
        let txn = self.begin_write().await?;
        let existing = idempotency_record::Entity::find_by_id(record.id())
            .lock_exclusive()
            .one(&txn)
            .await?;
        if let Some(existing) = existing {
            if existing.expires_at > now {
                let claim = if existing.fingerprint != fingerprint {
                    Claim::Mismatch
                } else if existing.state == COMPLETED {
                    let status = existing.http_status.and_then(|s| u16::try_from(s).ok());
                    match (status, existing.sealed_response) {
                        (Some(http_status), Some(sealed_response)) => Claim::Replay {
                            http_status,
                            sealed_response,
                            authority: existing
                                .authority
                                .as_deref()
                                .and_then(Authority::from_stored),
                        },
                        _ => {
                            return Err(StoreError::corrupt(
                                "completed idempotency record without a response",
                            ));
                        }
                    }
                } else {
                    Claim::InProgress
                };
                commit(txn).await?;
                return Ok(claim);
            }
            idempotency_record::Entity::delete_by_id(record.id())
                .exec(&txn)
                .await?;
        }
        let inserted = idempotency_record::Entity::insert(idempotency_record::ActiveModel {
            environment_id: Set(record.environment_id.to_owned()),
            caller_id: Set(record.caller_id.to_owned()),
            idempotency_key: Set(record.key.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            state: Set(IN_PROGRESS.to_owned()),
            http_status: Set(None),
            sealed_response: Set(None),
            authority: Set(Some(authority.to_owned())),
            created_at: Set(now),
            expires_at: Set(now + retention),
        })
        .exec_without_returning(&txn)
        .await;
        match inserted {
            Ok(_) => {
                commit(txn).await?;
                Ok(Claim::Claimed)
            }
            // PostgreSQL: another transaction inserted the same key since our read.
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Ok(Claim::InProgress)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Stores the response of `caller_id`'s claimed request, for replays until the record
    /// expires.
    pub async fn complete_idempotency_key(
        &self,
        environment_id: &str,
        caller_id: &str,
        key: &str,
        http_status: u16,
        sealed_response: String,
    ) -> Result<(), StoreError> {
        let record = RecordId {
            environment_id,
            caller_id,
            key,
        };
        self.write(move || {
            self.complete_idempotency_key_once(record, http_status, sealed_response.clone())
        })
        .await
    }

    async fn complete_idempotency_key_once(
        &self,
        record: RecordId<'_>,
        http_status: u16,
        sealed_response: String,
    ) -> Result<(), StoreError> {
        idempotency_record::ActiveModel {
            environment_id: Set(record.environment_id.to_owned()),
            caller_id: Set(record.caller_id.to_owned()),
            idempotency_key: Set(record.key.to_owned()),
            state: Set(COMPLETED.to_owned()),
            http_status: Set(Some(i32::from(http_status))),
            sealed_response: Set(Some(sealed_response)),
            ..Default::default()
        }
        .update(&self.db)
        .await?;
        Ok(())
    }

    /// Gives up a claim whose request failed before changing anything, so a retry may run.
    pub async fn release_idempotency_key(
        &self,
        environment_id: &str,
        caller_id: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let record = RecordId {
            environment_id,
            caller_id,
            key,
        };
        self.write(move || self.release_idempotency_key_once(record))
            .await
    }

    async fn release_idempotency_key_once(&self, record: RecordId<'_>) -> Result<(), StoreError> {
        idempotency_record::Entity::delete_many()
            .filter(Column::EnvironmentId.eq(record.environment_id))
            .filter(Column::CallerId.eq(record.caller_id))
            .filter(Column::IdempotencyKey.eq(record.key))
            .filter(Column::State.eq(IN_PROGRESS))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Deletes expired records; answers how many.
    pub async fn purge_idempotency_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = idempotency_record::Entity::delete_many()
            .filter(Column::ExpiresAt.lte(stored_instant(now)))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

/// Which record: one caller's Idempotency-Key in one environment.
#[derive(Debug, Clone, Copy)]
struct RecordId<'a> {
    environment_id: &'a str,
    caller_id: &'a str,
    key: &'a str,
}

impl RecordId<'_> {
    fn id(&self) -> (String, String, String) {
        (
            self.environment_id.to_owned(),
            self.caller_id.to_owned(),
            self.key.to_owned(),
        )
    }
}
