//! The conditions a key listing filters by: derived status, a metadata value, a name fragment.

use chrono::{DateTime, Duration, Utc};
use keyplane_domain::key::KeyStatus;
use sea_orm::ColumnTrait;
use sea_orm::sea_query::{Condition, Expr};

use crate::entity::api_key::Column;

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
