//! What a key listing (or a bulk revocation) filters by, and its conditions: type, derived
//! status, external id, a metadata value, a name fragment, creation time.

use std::ops::Bound;

use chrono::{DateTime, Duration, Utc};
use keyplane_domain::key::{ApiKeyType, KeyStatus};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, QueryFilter};

use crate::entity::api_key::{self, Column};
use crate::stored_instant;

/// Filters of a key listing; `None` means no filter. Several values of one filter are OR-ed.
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    pub types: Option<Vec<ApiKeyType>>,
    pub statuses: Option<Vec<KeyStatus>>,
    pub name_contains: Option<String>,
    pub external_id: Option<String>,
    /// Keys whose metadata holds this key with this string value.
    pub metadata: Option<(String, String)>,
    /// Keys created within these bounds (each unbounded, inclusive or exclusive).
    pub created: TimeRange,
}

/// An interval of instants; `Unbounded` on both ends is every instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeRange {
    pub start: Bound<DateTime<Utc>>,
    pub end: Bound<DateTime<Utc>>,
}

impl Default for TimeRange {
    fn default() -> Self {
        Self {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }
}

impl TimeRange {
    pub fn is_unbounded(&self) -> bool {
        matches!(
            (&self.start, &self.end),
            (Bound::Unbounded, Bound::Unbounded)
        )
    }
}

impl KeyFilter {
    /// Whether the filter names no criterion at all, so it matches every key.
    pub fn is_unrestricted(&self) -> bool {
        self.types.is_none()
            && self.statuses.is_none()
            && self.name_contains.is_none()
            && self.external_id.is_none()
            && self.metadata.is_none()
            && self.created.is_unbounded()
    }
}

/// `query` narrowed to the keys `filter` matches.
pub(super) fn filtered(
    mut query: sea_orm::Select<api_key::Entity>,
    filter: &KeyFilter,
    backend: sea_orm::DbBackend,
    now: DateTime<Utc>,
    expiring_soon: Duration,
) -> sea_orm::Select<api_key::Entity> {
    if let Some(types) = &filter.types {
        query = query.filter(Column::KeyType.is_in(types.iter().map(|t| t.as_str())));
    }
    if let Some(statuses) = &filter.statuses {
        let any = statuses.iter().fold(Condition::any(), |any, status| {
            any.add(status_condition(*status, now, expiring_soon))
        });
        query = query.filter(any);
    }
    if let Some(external_id) = &filter.external_id {
        query = query.filter(Column::ExternalId.eq(external_id.as_str()));
    }
    if let Some((key, value)) = &filter.metadata {
        query = query.filter(metadata_condition(backend, key, value));
    }
    if let Some(fragment) = &filter.name_contains {
        let pattern = format!("%{}%", escape_like(&fragment.to_lowercase()));
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(Column::Name)))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    match filter.created.start {
        Bound::Included(at) => query = query.filter(Column::CreatedAt.gte(stored_instant(at))),
        Bound::Excluded(at) => query = query.filter(Column::CreatedAt.gt(stored_instant(at))),
        Bound::Unbounded => {}
    }
    match filter.created.end {
        Bound::Included(at) => query = query.filter(Column::CreatedAt.lte(stored_instant(at))),
        Bound::Excluded(at) => query = query.filter(Column::CreatedAt.lt(stored_instant(at))),
        Bound::Unbounded => {}
    }
    query
}

pub(super) fn status_condition(
    status: KeyStatus,
    now: DateTime<Utc>,
    expiring_soon: Duration,
) -> Condition {
    let soon = now + expiring_soon;
    // The order of `derive_status`: revoked, expired, disabled, then by expiry.
    let live = Condition::all().add(Column::RevokedAt.is_null());
    let unexpired = Condition::any()
        .add(Column::ExpiresAt.is_null())
        .add(Column::ExpiresAt.gt(now));
    let enabled = live.clone().add(Column::DisabledAt.is_null());
    match status {
        KeyStatus::Revoked => Condition::all().add(Column::RevokedAt.is_not_null()),
        KeyStatus::Expired => live.add(Column::ExpiresAt.lte(now)),
        KeyStatus::Disabled => live.add(Column::DisabledAt.is_not_null()).add(unexpired),
        KeyStatus::ExpiringSoon => enabled
            .add(Column::ExpiresAt.gt(now))
            .add(Column::ExpiresAt.lte(soon)),
        KeyStatus::Active => enabled.add(
            Condition::any()
                .add(Column::ExpiresAt.is_null())
                .add(Column::ExpiresAt.gt(soon)),
        ),
    }
}

/// Metadata holding `key` with the string `value`, through bound parameters (any key, no JSON
/// path to build). Numbers and booleans never match a string.
pub(super) fn metadata_condition(backend: sea_orm::DbBackend, key: &str, value: &str) -> Expr {
    let (key, value) = (key.to_owned(), value.to_owned());
    match backend {
        sea_orm::DbBackend::Postgres => Expr::cust_with_values(
            "(api_keys.metadata::jsonb -> $1) = to_jsonb($2::text)",
            [key, value],
        ),
        _ => Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM json_each(api_keys.metadata) \
             WHERE json_each.key = ? AND json_each.type = 'text' AND json_each.value = ?)",
            [key, value],
        ),
    }
}

pub(super) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_name_fragment_match_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("plain"), "plain");
    }
}
