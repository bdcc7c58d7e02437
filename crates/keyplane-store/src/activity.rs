//! The activity log (batched inserts, keyset listing) and coalesced last-used times.

use chrono::{DateTime, Utc};
use keyplane_domain::activity::{ActivityEvent, NewActivityEvent, OperationType};
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};

use crate::entity::{activity_event, api_key};
use crate::page::{Page, PageRequest, newest_first};
use crate::{Store, StoreError, stored_instant};

#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub api_key_id: Option<String>,
    pub operation_type: Option<OperationType>,
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The columns, in the order each JSON row lists them (a macro so `concat!` can use it).
macro_rules! activity_columns {
    () => {
        "environment_id, api_key_id, operation_name, operation_type, root_fields, outcome, \
         http_status, duration_micros, occurred_at, user_id"
    };
}

const INSERT_ACTIVITY_SQLITE: &str = concat!(
    "INSERT INTO activity_events (",
    activity_columns!(),
    ") SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
     value ->> 6, value ->> 7, value ->> 8, value ->> 9 FROM jsonb_each(?) ORDER BY key"
);

const INSERT_ACTIVITY_POSTGRES: &str = concat!(
    "INSERT INTO activity_events (",
    activity_columns!(),
    ") SELECT e ->> 0, e ->> 1, e ->> 2, e ->> 3, e ->> 4, e ->> 5, (e ->> 6)::integer, \
     (e ->> 7)::bigint, (e ->> 8)::timestamptz, e ->> 9 \
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS rows(e, n) ORDER BY n"
);

/// The batch as a JSON array of rows, each an array in the order of `activity_columns!`. Instants
/// are written as the SQLite driver writes them (RFC 3339, microseconds), so rows inserted
/// here read back and compare exactly like rows any other statement wrote.
fn activity_rows_json(batch: &[NewActivityEvent]) -> String {
    let rows: Vec<_> = batch
        .iter()
        .map(|e| {
            (
                e.environment_id.as_deref(),
                e.api_key_id.as_deref(),
                e.operation_name.as_deref(),
                e.operation_type.map(OperationType::as_str),
                e.root_fields.join(","),
                e.outcome.as_str(),
                e.http_status,
                e.duration_micros,
                stored_instant(e.occurred_at).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
                e.user_id.as_deref(),
            )
        })
        .collect();
    serde_json::to_string(&rows).expect("activity rows are plain strings and numbers")
}

impl Store {
    /// Writes a batch of activity events in one statement. The statement text never changes
    /// (the rows travel as one JSON array parameter), so the database prepares it once per
    /// connection and binds one value per batch instead of nine per row.
    pub async fn insert_activity(&self, batch: &[NewActivityEvent]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let backend = self.db.get_database_backend();
        let rows = activity_rows_json(batch);
        let sql = match backend {
            DbBackend::Postgres => INSERT_ACTIVITY_POSTGRES,
            _ => INSERT_ACTIVITY_SQLITE,
        };
        self.db
            .execute_raw(Statement::from_sql_and_values(backend, sql, [rows.into()]))
            .await?;
        Ok(())
    }

    /// An environment's activity, newest first.
    pub async fn list_activity(
        &self,
        environment_id: &str,
        filter: &ActivityFilter,
        page: &PageRequest<i64>,
    ) -> Result<Page<ActivityEvent>, StoreError> {
        self.read(move || self.list_activity_once(environment_id, filter, page))
            .await
    }

    async fn list_activity_once(
        &self,
        environment_id: &str,
        filter: &ActivityFilter,
        page: &PageRequest<i64>,
    ) -> Result<Page<ActivityEvent>, StoreError> {
        use activity_event::Column;
        let mut query =
            activity_event::Entity::find().filter(Column::EnvironmentId.eq(environment_id));
        if let Some(key) = &filter.api_key_id {
            query = query.filter(Column::ApiKeyId.eq(key.as_str()));
        }
        if let Some(op) = filter.operation_type {
            query = query.filter(Column::OperationType.eq(op.as_str()));
        }
        if let Some(outcome) = &filter.outcome {
            query = query.filter(Column::Outcome.eq(outcome.as_str()));
        }
        if let Some(since) = filter.since {
            query = query.filter(Column::OccurredAt.gte(since));
        }
        if let Some(until) = filter.until {
            query = query.filter(Column::OccurredAt.lt(until));
        }
        let rows = newest_first(query, Column::Id, page).all(&self.db).await?;
        let events = rows
            .into_iter()
            .map(activity_from_model)
            .collect::<Result<_, _>>()?;
        Ok(Page::from_overfetch(events, page))
    }

    /// Records when keys were last used, in one statement for the whole batch.
    pub async fn touch_last_used(
        &self,
        uses: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        let case = uses.iter().fold(CaseStatement::new(), |case, (id, at)| {
            case.case(
                api_key::Column::Id.eq(id.as_str()),
                Expr::val(stored_instant(*at)),
            )
        });
        let case = case.finally(Expr::col(api_key::Column::LastUsedAt));
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::Case(Box::new(case)))
            .filter(api_key::Column::Id.is_in(uses.iter().map(|(id, _)| id.as_str())))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

fn activity_from_model(model: activity_event::Model) -> Result<ActivityEvent, StoreError> {
    let operation_type = model
        .operation_type
        .as_deref()
        .map(|t| {
            OperationType::parse(t)
                .ok_or_else(|| StoreError::corrupt(format!("operation type {t:?}")))
        })
        .transpose()?;
    Ok(ActivityEvent {
        id: model.id,
        event: NewActivityEvent {
            environment_id: model.environment_id,
            api_key_id: model.api_key_id,
            user_id: model.user_id,
            operation_name: model.operation_name,
            operation_type,
            root_fields: model
                .root_fields
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
            outcome: model.outcome,
            http_status: u16::try_from(model.http_status).unwrap_or(0),
            duration_micros: model.duration_micros,
            occurred_at: model.occurred_at,
        },
    })
}
