//! Relay connection plumbing shared by every listing: page size and cursor parsing.

use async_graphql::SimpleObject;
use keyplane_store::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest};

use crate::error::ApiError;

#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

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

fn page_size(first: Option<i32>) -> Result<u64, ApiError> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => Ok(n as u64),
        Some(_) => Err(ApiError::bad_input(
            "first",
            format!("first must be between 0 and {MAX_PAGE_SIZE}"),
        )),
    }
}

fn bad_cursor() -> ApiError {
    ApiError::bad_input("after", "the cursor is not one this listing returned")
}

/// Cursors of key listings are key ids (UUIDs, time-ordered).
pub fn key_page(
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageRequest<String>, ApiError> {
    let after = after
        .map(|cursor| {
            let valid = cursor.len() == 36
                && cursor
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-');
            valid.then_some(cursor).ok_or_else(bad_cursor)
        })
        .transpose()?;
    Ok(PageRequest {
        first: page_size(first)?,
        after,
    })
}

/// Cursors of audit and activity listings are event sequence numbers.
pub fn audit_page(first: Option<i32>, after: Option<String>) -> Result<PageRequest<i64>, ApiError> {
    let after = after
        .map(|cursor| {
            cursor
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(bad_cursor)
        })
        .transpose()?;
    Ok(PageRequest {
        first: page_size(first)?,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyplane_domain::ErrorCode;

    #[test]
    fn page_sizes_outside_zero_to_a_hundred_are_bad_input() {
        for (first, ok) in [
            (None, true),
            (Some(0), true),
            (Some(100), true),
            (Some(101), false),
            (Some(-1), false),
        ] {
            let result = key_page(first, None);
            assert_eq!(result.is_ok(), ok, "{first:?}");
            if let Err(e) = result {
                assert_eq!((e.code, e.field), (ErrorCode::BadUserInput, Some("first")));
            }
        }
        assert_eq!(key_page(None, None).unwrap().first, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn foreign_cursors_are_bad_input() {
        assert!(key_page(None, Some("0192f3a4-0000-7000-8000-000000000000".into())).is_ok());
        for cursor in [
            "",
            "1",
            "0192F3A4-0000-7000-8000-000000000000",
            "' OR 1=1 --",
        ] {
            assert!(key_page(None, Some(cursor.into())).is_err(), "{cursor}");
        }
        assert_eq!(audit_page(None, Some("42".into())).unwrap().after, Some(42));
        for cursor in ["", "-1", "0", "x", "99999999999999999999"] {
            assert!(audit_page(None, Some(cursor.into())).is_err(), "{cursor}");
        }
    }

    #[test]
    fn nested_connections_multiply_complexity() {
        assert_eq!(connection_complexity(Some(100), 10), 1001);
        assert_eq!(connection_complexity(None, 10), 201);
        assert_eq!(connection_complexity(Some(0), 10), 11);
    }
}
