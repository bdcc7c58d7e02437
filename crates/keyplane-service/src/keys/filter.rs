//! What a key listing (and a bulk revocation) may filter by, as a caller asks for it, and its
//! validation: the one place either front end's filter becomes the store's.

use keyplane_domain::key::{ApiKeyKind, ApiKeyType, KeyStatus};
use keyplane_domain::metadata::{parse_external_id, parse_metadata_filter_key};
use keyplane_store::{KeyFilter, TimeRange};

use std::ops::Bound;

use crate::error::ServiceError;
use crate::paging;

/// The longest name fragment a listing searches for.
pub const MAX_NAME_FILTER_CHARS: usize = 100;

/// Filters of a key listing, unvalidated. Several values of one filter match any of them;
/// filters combine with AND; an empty list matches nothing.
#[derive(Debug, Clone, Default)]
pub struct KeyQuery<'a> {
    pub kinds: Option<Vec<ApiKeyKind>>,
    pub types: Option<Vec<ApiKeyType>>,
    pub statuses: Option<Vec<KeyStatus>>,
    /// Case-insensitive substring of the key's name.
    pub name_contains: Option<&'a str>,
    pub external_id: Option<&'a str>,
    /// A metadata key and the string value it must hold.
    pub metadata: Option<(&'a str, &'a str)>,
    pub created: TimeRange,
}

/// The names a front end gives the filters whose values can be wrong, for `field`.
#[derive(Debug, Clone, Copy)]
pub struct KeyQueryNames {
    pub name_contains: &'static str,
    pub external_id: &'static str,
    pub metadata: &'static str,
}

impl KeyQuery<'_> {
    /// The store's filter of a bulk revocation, or why it cannot be run. As a listing's, but
    /// a name or an external id given empty (`name=""`, an unset shell variable) is refused:
    /// a listing drops an empty name, which only shows more, while a revocation would revoke
    /// every key the other criteria match. Every front end's bulk revocation comes here.
    pub fn validate_for_revocation(self, names: KeyQueryNames) -> Result<KeyFilter, ServiceError> {
        for (field, value) in [
            (names.name_contains, self.name_contains),
            (names.external_id, self.external_id),
        ] {
            if value.is_some_and(|v| v.trim().is_empty()) {
                return Err(ServiceError::bad_input(
                    field,
                    format!("{field} is empty: a bulk revocation's filter names what it matches"),
                ));
            }
        }
        self.validate(names)
    }

    /// The store's filter, or why the query cannot be run.
    pub fn validate(self, names: KeyQueryNames) -> Result<KeyFilter, ServiceError> {
        let by_kind = self.kinds.map(|kinds| {
            paging::distinct(
                paging::distinct(kinds)
                    .into_iter()
                    .flat_map(ApiKeyKind::types),
            )
        });
        let types = match (by_kind, self.types.map(paging::distinct)) {
            (Some(a), Some(b)) => Some(a.into_iter().filter(|t| b.contains(t)).collect()),
            (a, b) => a.or(b),
        };
        let name_contains = self.name_contains.filter(|s| !s.is_empty());
        paging::printable(names.name_contains, name_contains)?;
        paging::printable(names.metadata, self.metadata.map(|(_, value)| value))?;
        for bound in [&self.created.start, &self.created.end] {
            if let Bound::Included(at) | Bound::Excluded(at) = bound {
                paging::storable_instant("createdAt", Some(*at))?;
            }
        }
        if name_contains.is_some_and(|s| s.chars().count() > MAX_NAME_FILTER_CHARS) {
            return Err(ServiceError::bad_input(
                names.name_contains,
                format!(
                    "{} must be at most {MAX_NAME_FILTER_CHARS} characters",
                    names.name_contains
                ),
            ));
        }
        let external_id = self
            .external_id
            .map(parse_external_id)
            .transpose()
            .map_err(|e| ServiceError::from(e).with_field(names.external_id))?;
        let metadata = self
            .metadata
            .map(|(key, value)| parse_metadata_filter_key(key).map(|key| (key, value.to_owned())))
            .transpose()
            .map_err(|e| ServiceError::from(e).with_field(names.metadata))?;
        Ok(KeyFilter {
            types,
            statuses: self.statuses.map(paging::distinct),
            name_contains: name_contains.map(str::to_owned),
            external_id,
            metadata,
            created: self.created,
        })
    }
}
