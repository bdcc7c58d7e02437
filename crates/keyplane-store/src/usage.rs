//! Verification usage counters (by minute and by hour), written as batched upserts, read as
//! sums per bucket and outcome; and retention, which deletes old activity rows and counters in
//! bounded batches.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use keyplane_domain::usage::{Granularity, UsageCount, UsageRange};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::{Store, StoreError, commit};

/// Verifications counted in memory since the last flush, for one counter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsageIncrement {
    pub environment_id: String,
    /// The verified key, when it exists in the environment.
    pub api_key_id: Option<String>,
    /// The minute the verifications were answered in.
    pub minute: DateTime<Utc>,
    /// The permission asked, when one was.
    pub permission: Option<String>,
    /// The verification code answered.
    pub outcome: &'static str,
    pub count: u64,
}

/// A counter table and its upsert, per backend. The rows travel as one JSON array parameter, so
/// each statement's text never changes.
struct CounterTable {
    name: &'static str,
    upsert_sqlite: &'static str,
    upsert_postgres: &'static str,
}

macro_rules! counter_table {
    ($name:literal) => {
        CounterTable {
            name: $name,
            upsert_sqlite: concat!(
                "INSERT INTO ",
                $name,
                " (environment_id, api_key_id, bucket_at, permission, outcome, count) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 \
                 FROM jsonb_each(?) WHERE true \
                 ON CONFLICT (environment_id, api_key_id, bucket_at, permission, outcome) \
                 DO UPDATE SET count = count + excluded.count"
            ),
            upsert_postgres: concat!(
                "INSERT INTO ",
                $name,
                " (environment_id, api_key_id, bucket_at, permission, outcome, count) \
                 SELECT e ->> 0, e ->> 1, (e ->> 2)::timestamptz, e ->> 3, e ->> 4, (e ->> 5)::bigint \
                 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS rows(e, n) ORDER BY n \
                 ON CONFLICT (environment_id, api_key_id, bucket_at, permission, outcome) \
                 DO UPDATE SET count = ",
                $name,
                ".count + EXCLUDED.count"
            ),
        }
    };
}

/// The `api_key_id` of an environment's own counters, which sum every verification in it (of
/// any key, or of none found), so an environment's series reads one row per bucket and outcome
/// instead of one per key. Cannot collide with a key id (a UUID).
const ENVIRONMENT_TOTAL: &str = "*";

const MINUTES: CounterTable = counter_table!("usage_minutes");
const HOURS: CounterTable = counter_table!("usage_hours");

/// The counters of one table, summed per bucket, in key order: one row per counter (PostgreSQL
/// refuses an upsert that touches a row twice), and every writer locks rows in the same order.
fn counter_rows(batch: &[UsageIncrement], granularity: Granularity) -> String {
    let mut counters: BTreeMap<(&str, &str, DateTime<Utc>, &str, &str), u64> = BTreeMap::new();
    for increment in batch {
        let key = increment.api_key_id.as_deref().unwrap_or("");
        for key in [key, ENVIRONMENT_TOTAL] {
            let counter = (
                increment.environment_id.as_str(),
                key,
                granularity.bucket(increment.minute),
                increment.permission.as_deref().unwrap_or(""),
                increment.outcome,
            );
            *counters.entry(counter).or_default() += increment.count;
        }
    }
    let rows: Vec<_> = counters
        .into_iter()
        .map(|((environment, key, at, permission, outcome), count)| {
            // Written as the SQLite driver writes instants, so they compare with bound values.
            let at = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
            (environment, key, at, permission, outcome, count)
        })
        .collect();
    serde_json::to_string(&rows).expect("counter rows are plain strings and numbers")
}

impl Store {
    /// Adds a batch of verification counts to the minute and hour counters, one upsert each,
    /// in one transaction: both or neither.
    pub async fn record_usage(&self, batch: &[UsageIncrement]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let minutes = counter_rows(batch, Granularity::Minute);
        let hours = counter_rows(batch, Granularity::Hour);
        let (minutes, hours) = (minutes.as_str(), hours.as_str());
        self.write(move || self.record_usage_once(minutes, hours))
            .await
    }

    async fn record_usage_once(&self, minutes: &str, hours: &str) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let txn = self.begin_write().await?;
        for (table, rows) in [(&MINUTES, minutes), (&HOURS, hours)] {
            let sql = match backend {
                DbBackend::Postgres => table.upsert_postgres,
                _ => table.upsert_sqlite,
            };
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, [rows.into()]))
                .await?;
        }
        commit(txn).await
    }

    /// The counters of an environment (its totals, or one of its keys'), of one permission
    /// asked or of all, in `range`, summed per stored bucket and outcome.
    pub async fn usage_counts(
        &self,
        environment_id: &str,
        api_key_id: Option<&str>,
        permission: Option<&str>,
        range: UsageRange,
    ) -> Result<Vec<UsageCount>, StoreError> {
        self.read(move || self.usage_counts_once(environment_id, api_key_id, permission, range))
            .await
    }

    async fn usage_counts_once(
        &self,
        environment_id: &str,
        api_key_id: Option<&str>,
        permission: Option<&str>,
        range: UsageRange,
    ) -> Result<Vec<UsageCount>, StoreError> {
        let backend = self.db.get_database_backend();
        let table = match range.granularity.source() {
            Granularity::Minute => MINUTES.name,
            _ => HOURS.name,
        };
        let mut values: Vec<Value> = vec![environment_id.into()];
        let mut conditions = vec!["environment_id = $1".to_owned()];
        let key = Some(api_key_id.unwrap_or(ENVIRONMENT_TOTAL));
        for (column, value) in [("api_key_id", key), ("permission", permission)] {
            if let Some(value) = value {
                values.push(value.into());
                conditions.push(format!("{column} = ${}", values.len()));
            }
        }
        values.push(range.from.into());
        conditions.push(format!("bucket_at >= ${}", values.len()));
        values.push(range.to.into());
        conditions.push(format!("bucket_at < ${}", values.len()));
        let mut sql = format!(
            "SELECT bucket_at, outcome, CAST(SUM(count) AS BIGINT) AS count FROM {table} \
             WHERE {} GROUP BY bucket_at, outcome",
            conditions.join(" AND ")
        );
        if backend == DbBackend::Sqlite {
            // SQLite numbers its parameters `?N`.
            sql = sql.replace('$', "?");
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        rows.into_iter()
            .map(|row| {
                let count: i64 = row.try_get("", "count")?;
                Ok(UsageCount {
                    bucket_at: row.try_get("", "bucket_at")?,
                    outcome: row.try_get("", "outcome")?,
                    count: u64::try_from(count).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Deletes up to `limit` rows of `what` older than `before`; answers how many it deleted.
    /// Retention calls it until a batch comes back short, so no statement holds locks long.
    pub async fn purge_older_than(
        &self,
        what: Retained,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<u64, StoreError> {
        let backend = self.db.get_database_backend();
        let (table, column) = match what {
            Retained::Activity => ("activity_events", "occurred_at"),
            Retained::UsageMinutes => (MINUTES.name, "bucket_at"),
            Retained::UsageHours => (HOURS.name, "bucket_at"),
            Retained::SessionsPastTheirEnd => ("sessions", "expires_at"),
            Retained::IdleSessions => ("sessions", "last_seen_at"),
            Retained::ExpiredLinks => ("user_links", "expires_at"),
            Retained::Events => ("events", "occurred_at"),
            Retained::ExpiredEventQueueCredentials => ("event_queue_credentials", "expires_at"),
        };
        // Any `limit` old rows, found through the index on the age column; no ORDER BY, which
        // would sort every old row to pick the first few.
        let mut sql = format!(
            "DELETE FROM {table} WHERE id IN \
             (SELECT id FROM {table} WHERE {column} < $1 LIMIT $2)"
        );
        if backend == DbBackend::Sqlite {
            sql = sql.replace('$', "?");
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let result = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [before.into(), limit.into()],
            ))
            .await?;
        Ok(result.rows_affected())
    }
}

/// What retention deletes when it is old enough. Audit events are never deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retained {
    Activity,
    UsageMinutes,
    UsageHours,
    /// Sessions whose absolute end is before the cut-off.
    SessionsPastTheirEnd,
    /// Sessions last seen before the cut-off (now minus the idle timeout).
    IdleSessions,
    /// Environment events (with their webhook deliveries and attempts).
    Events,
    /// Event-queue credentials that expired before the cut-off.
    ExpiredEventQueueCredentials,
    /// One-time links that expired before the cut-off, used or not.
    ExpiredLinks,
}
