//! Idempotency records: claimed atomically before a mutation runs, completed with its (sealed)
//! response, replayed to retries, purged after they expire.

use chrono::{DateTime, Duration, Utc};
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
    /// The same request already ran: here is its response.
    Replay {
        http_status: u16,
        sealed_response: String,
    },
    /// The same key is in use by a request that has not finished.
    InProgress,
    /// The key was used for another request (other body or other API key).
    Mismatch,
}

impl Store {
    /// Claims `key` for a request with `fingerprint`, or says why not. Expired records do not
    /// count. Two concurrent claims never both succeed.
    pub async fn claim_idempotency_key(
        &self,
        environment_id: &str,
        key: &str,
        api_key_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        retention: Duration,
    ) -> Result<Claim, StoreError> {
        self.write(move || {
            self.claim_idempotency_key_once(
                environment_id,
                key,
                api_key_id,
                fingerprint,
                now,
                retention,
            )
        })
        .await
    }

    async fn claim_idempotency_key_once(
        &self,
        environment_id: &str,
        key: &str,
        api_key_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        retention: Duration,
    ) -> Result<Claim, StoreError> {
        let now = stored_instant(now);
        let txn = self.begin_write().await?;
        let existing =
            idempotency_record::Entity::find_by_id((environment_id.to_owned(), key.to_owned()))
                .lock_exclusive()
                .one(&txn)
                .await?;
        if let Some(record) = existing {
            if record.expires_at > now {
                let claim = if record.fingerprint != fingerprint || record.api_key_id != api_key_id
                {
                    Claim::Mismatch
                } else if record.state == COMPLETED {
                    let status = record.http_status.and_then(|s| u16::try_from(s).ok());
                    match (status, record.sealed_response) {
                        (Some(http_status), Some(sealed_response)) => Claim::Replay {
                            http_status,
                            sealed_response,
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
            idempotency_record::Entity::delete_by_id((environment_id.to_owned(), key.to_owned()))
                .exec(&txn)
                .await?;
        }
        let inserted = idempotency_record::Entity::insert(idempotency_record::ActiveModel {
            environment_id: Set(environment_id.to_owned()),
            idempotency_key: Set(key.to_owned()),
            api_key_id: Set(api_key_id.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            state: Set(IN_PROGRESS.to_owned()),
            http_status: Set(None),
            sealed_response: Set(None),
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

    /// Stores the response of a claimed request, for replays until the record expires.
    pub async fn complete_idempotency_key(
        &self,
        environment_id: &str,
        key: &str,
        http_status: u16,
        sealed_response: String,
    ) -> Result<(), StoreError> {
        self.write(move || {
            self.complete_idempotency_key_once(
                environment_id,
                key,
                http_status,
                sealed_response.clone(),
            )
        })
        .await
    }

    async fn complete_idempotency_key_once(
        &self,
        environment_id: &str,
        key: &str,
        http_status: u16,
        sealed_response: String,
    ) -> Result<(), StoreError> {
        idempotency_record::ActiveModel {
            environment_id: Set(environment_id.to_owned()),
            idempotency_key: Set(key.to_owned()),
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
        key: &str,
    ) -> Result<(), StoreError> {
        self.write(move || self.release_idempotency_key_once(environment_id, key))
            .await
    }

    async fn release_idempotency_key_once(
        &self,
        environment_id: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        idempotency_record::Entity::delete_many()
            .filter(Column::EnvironmentId.eq(environment_id))
            .filter(Column::IdempotencyKey.eq(key))
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
