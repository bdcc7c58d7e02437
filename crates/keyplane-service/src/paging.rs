//! The one pagination of every listing, below the front ends: page size, cursors and their
//! parsing. Every listing is newest first and keyset-paginated; a page is asked for after a
//! cursor (older items) or before one (newer items), never both.
//!
//! Front ends name the parameters differently (GraphQL `first`/`after`, REST
//! `limit`/`starting_after`/`ending_before`): they pass their names in [`PageNames`], and
//! errors name the parameter the caller sent.

use keyplane_store::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest};

use crate::error::ServiceError;

/// What a front end calls the page size and the two cursors.
#[derive(Debug, Clone, Copy)]
pub struct PageNames {
    pub size: &'static str,
    pub after: &'static str,
    pub before: &'static str,
}

/// A page as the caller asked for it, unparsed.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageArgs<'a> {
    pub size: Option<i64>,
    pub after: Option<&'a str>,
    pub before: Option<&'a str>,
}

fn page<C>(
    args: PageArgs<'_>,
    names: PageNames,
    parse: impl Fn(&str) -> Option<C>,
) -> Result<PageRequest<C>, ServiceError> {
    let first = match args.size {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => n as u64,
        Some(_) => {
            return Err(ServiceError::bad_input(
                names.size,
                format!("{} must be between 1 and {MAX_PAGE_SIZE}", names.size),
            ));
        }
    };
    if args.after.is_some() && args.before.is_some() {
        return Err(ServiceError::bad_input(
            names.before,
            format!("send {} or {}, not both", names.after, names.before),
        ));
    }
    let cursor = |text: Option<&str>, field: &'static str| {
        text.map(|text| {
            parse(text).ok_or_else(|| {
                ServiceError::bad_input(field, "the cursor is not one this listing returned")
            })
        })
        .transpose()
    };
    Ok(PageRequest {
        first,
        after: cursor(args.after, names.after)?,
        before: cursor(args.before, names.before)?,
    })
}

/// Whether `text` is a lower-case hyphenated UUID, the form of every id Keyplane makes.
pub fn is_id(text: &str) -> bool {
    text.len() == 36
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
}

/// Whether `at` is an instant every database keeps: years 1 to 9999 (PostgreSQL refuses
/// timestamps before 4713 BC, and no key lives past 9999).
pub fn is_storable_instant(at: chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::Datelike;
    (1..=9999).contains(&at.year())
}

/// Refuses an instant outside [`is_storable_instant`], naming `field`.
pub fn storable_instant(
    field: &'static str,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ServiceError> {
    match at {
        Some(at) if !is_storable_instant(at) => Err(ServiceError::bad_input(
            field,
            format!("{field} must fall in the years 1 to 9999"),
        )),
        at => Ok(at),
    }
}

/// Refuses text with a control character (NUL included, which PostgreSQL cannot store),
/// naming `field`.
pub fn printable(field: &'static str, text: Option<&str>) -> Result<(), ServiceError> {
    if text.is_some_and(|t| t.chars().any(char::is_control)) {
        return Err(ServiceError::bad_input(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(())
}

/// The distinct values of a filter's list, in their first order. Filter lists hold enum
/// values, so this bounds whatever a caller sends (one value fifty thousand times) to the
/// enum's size before it becomes a query.
pub fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// A page of a listing whose cursors are ids (UUIDs, time-ordered): keys, webhook endpoints,
/// integrations, users, sessions.
pub fn id_page(args: PageArgs<'_>, names: PageNames) -> Result<PageRequest<String>, ServiceError> {
    page(args, names, |text| is_id(text).then(|| text.to_owned()))
}

/// A page of a listing whose cursors are sequence numbers: audit, activity, account events,
/// webhook deliveries.
pub fn sequence_page(
    args: PageArgs<'_>,
    names: PageNames,
) -> Result<PageRequest<i64>, ServiceError> {
    page(args, names, |text| {
        text.parse::<i64>().ok().filter(|n| *n > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyplane_domain::ErrorCode;

    const NAMES: PageNames = PageNames {
        size: "limit",
        after: "starting_after",
        before: "ending_before",
    };

    fn sized(size: Option<i64>) -> Result<PageRequest<String>, ServiceError> {
        id_page(
            PageArgs {
                size,
                ..PageArgs::default()
            },
            NAMES,
        )
    }

    #[test]
    fn page_sizes_outside_one_to_a_hundred_are_bad_input() {
        for (size, ok) in [
            (None, true),
            (Some(1), true),
            (Some(100), true),
            (Some(0), false),
            (Some(101), false),
            (Some(-1), false),
            (Some(i64::MAX), false),
        ] {
            let result = sized(size);
            assert_eq!(result.is_ok(), ok, "{size:?}");
            if let Err(e) = result {
                assert_eq!((e.code, e.field), (ErrorCode::BadUserInput, Some("limit")));
            }
        }
        assert_eq!(sized(None).unwrap().first, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn foreign_cursors_are_bad_input_naming_the_parameter() {
        let after = |cursor: &str| {
            id_page(
                PageArgs {
                    after: Some(cursor),
                    ..PageArgs::default()
                },
                NAMES,
            )
        };
        assert!(after("0192f3a4-0000-7000-8000-000000000000").is_ok());
        for cursor in [
            "",
            "1",
            "0192F3A4-0000-7000-8000-000000000000",
            "' OR 1=1 --",
        ] {
            let err = after(cursor).unwrap_err();
            assert_eq!(err.field, Some("starting_after"), "{cursor}");
            assert!(!err.message.contains(cursor) || cursor.is_empty());
        }
        let before = |cursor: &str| {
            sequence_page(
                PageArgs {
                    before: Some(cursor),
                    ..PageArgs::default()
                },
                NAMES,
            )
        };
        assert_eq!(before("42").unwrap().before, Some(42));
        for cursor in ["", "-1", "0", "x", "99999999999999999999"] {
            assert_eq!(
                before(cursor).unwrap_err().field,
                Some("ending_before"),
                "{cursor}"
            );
        }
    }

    #[test]
    fn both_cursors_at_once_are_bad_input() {
        let args = PageArgs {
            size: None,
            after: Some("1"),
            before: Some("2"),
        };
        let err = sequence_page(args, NAMES).unwrap_err();
        assert_eq!(
            (err.code, err.field),
            (ErrorCode::BadUserInput, Some("ending_before"))
        );
    }
}
