//! Keyset pagination: newest first, by an indexed, strictly ordered column. Never OFFSET.

/// Items per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The most items one page may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A page request: at most `first` items strictly older than `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<C> {
    pub first: u64,
    pub after: Option<C>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from a query that fetched `first + 1` rows: the extra row only tells
    /// whether another page exists.
    pub(crate) fn from_overfetch(mut items: Vec<T>, first: u64) -> Self {
        let has_next_page = items.len() as u64 > first;
        items.truncate(first as usize);
        Self {
            items,
            has_next_page,
        }
    }
}

/// A listing keyset-paginated on an integer id, newest first: the rows after the page's cursor,
/// one more than the page holds (for [`Page::from_overfetch`]).
pub(crate) fn newest_first<E: sea_orm::EntityTrait>(
    mut query: sea_orm::Select<E>,
    id: E::Column,
    page: &PageRequest<i64>,
) -> sea_orm::Select<E> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    if let Some(after) = page.after {
        query = query.filter(id.lt(after));
    }
    query.order_by_desc(id).limit(page.first + 1)
}
