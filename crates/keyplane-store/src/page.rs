//! Keyset pagination: newest first, by an indexed, strictly ordered column. Never OFFSET.

/// Items per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The most items one page may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A page request: at most `first` items strictly older than `after`, or strictly newer than
/// `before` (the page before a cursor; at most one of the two is set). A page is always
/// answered newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<C> {
    pub first: u64,
    pub after: Option<C>,
    pub before: Option<C>,
}

impl<C> PageRequest<C> {
    /// The first page: the `first` newest items.
    pub fn newest(first: u64) -> Self {
        Self {
            first,
            after: None,
            before: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// Newest first.
    pub items: Vec<T>,
    /// Whether more items lie beyond this page in the direction it was asked: older ones for a
    /// page after a cursor (or the first page), newer ones for a page before a cursor.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from a query that fetched `first + 1` rows in the request's direction
    /// (newest first, or oldest first for a page before a cursor): the extra row only tells
    /// whether another page exists.
    pub(crate) fn from_overfetch<C>(mut items: Vec<T>, page: &PageRequest<C>) -> Self {
        let has_more = items.len() as u64 > page.first;
        items.truncate(page.first as usize);
        if page.before.is_some() {
            items.reverse();
        }
        Self { items, has_more }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_more: self.has_more,
        }
    }
}

/// `query` ordered for `page` by `id`, a strictly ordered column: the rows after the page's
/// cursor newest first, or the rows before it oldest first; one more than the page holds (for
/// [`Page::from_overfetch`]).
pub(crate) fn keyset<E, C>(
    mut query: sea_orm::Select<E>,
    id: E::Column,
    page: &PageRequest<C>,
) -> sea_orm::Select<E>
where
    E: sea_orm::EntityTrait,
    C: Into<sea_orm::Value> + Clone,
{
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    if let Some(after) = &page.after {
        query = query.filter(id.lt(after.clone()));
    }
    let query = match &page.before {
        Some(before) => query.filter(id.gt(before.clone())).order_by_asc(id),
        None => query.order_by_desc(id),
    };
    query.limit(page.first + 1)
}

/// The same for a listing keyset-paginated on an integer id.
pub(crate) fn newest_first<E: sea_orm::EntityTrait>(
    query: sea_orm::Select<E>,
    id: E::Column,
    page: &PageRequest<i64>,
) -> sea_orm::Select<E> {
    keyset(query, id, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_before_a_cursor_is_answered_newest_first() {
        let request = PageRequest {
            first: 2,
            after: None,
            before: Some(1),
        };
        // Fetched oldest first: 2, 3, and the extra 4.
        let page = Page::from_overfetch(vec![2, 3, 4], &request);
        assert_eq!(page.items, vec![3, 2]);
        assert!(page.has_more);
        let page = Page::from_overfetch(vec![2], &request);
        assert_eq!((page.items, page.has_more), (vec![2], false));
    }

    #[test]
    fn a_page_after_a_cursor_keeps_its_order() {
        let page = Page::from_overfetch(vec![9, 8, 7], &PageRequest::<i64>::newest(2));
        assert_eq!((page.items, page.has_more), (vec![9, 8], true));
    }
}
