//! Relay connection plumbing shared by every listing: the names of its page arguments, handed
//! to the service's one pagination (`keyplane_service::paging`), and its complexity.

use async_graphql::SimpleObject;
use keyplane_service::paging::{self, PageArgs, PageNames};
use keyplane_store::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest};

use crate::error::ApiError;

#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A connection pages forward only: `first` items after the cursor `after`.
const NAMES: PageNames = PageNames {
    size: "first",
    after: "after",
    before: "before",
};

/// The complexity of a connection field: its page size times what one item costs, so nested
/// listings cannot multiply into an expensive query.
pub fn connection_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.map_or(DEFAULT_PAGE_SIZE as usize, |f| {
        f.clamp(0, MAX_PAGE_SIZE as i32) as usize
    });
    first
        .max(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

fn args(first: Option<i32>, after: Option<&str>) -> PageArgs<'_> {
    PageArgs {
        size: first.map(i64::from),
        after,
        before: None,
    }
}

/// Cursors of the listings by id (keys, webhook endpoints, integrations, users, sessions) are
/// the items' ids.
pub fn id_page(first: Option<i32>, after: Option<String>) -> Result<PageRequest<String>, ApiError> {
    Ok(paging::id_page(args(first, after.as_deref()), NAMES)?)
}

/// Cursors of audit and activity listings are event sequence numbers.
pub fn audit_page(first: Option<i32>, after: Option<String>) -> Result<PageRequest<i64>, ApiError> {
    Ok(paging::sequence_page(args(first, after.as_deref()), NAMES)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_connection_arguments() {
        assert_eq!(id_page(Some(101), None).unwrap_err().field, Some("first"));
        assert_eq!(
            audit_page(None, Some("x".into())).unwrap_err().field,
            Some("after")
        );
    }

    #[test]
    fn nested_connections_multiply_complexity() {
        assert_eq!(connection_complexity(Some(100), 10), 1001);
        assert_eq!(connection_complexity(None, 10), 201);
        assert_eq!(connection_complexity(Some(0), 10), 11);
    }
}
