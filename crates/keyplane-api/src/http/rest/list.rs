//! Cursor lists: `limit` (default 20, 1 to 100), `starting_after` or `ending_before` (never
//! both), answered newest first as `{"data": [...], "has_more": bool, "next_cursor": …}`.
//! The rules are the service's one pagination (`keyplane_service::paging`).

use keyplane_service::paging::{self, PageArgs, PageNames};
use keyplane_store::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

const NAMES: PageNames = PageNames {
    size: "limit",
    after: "starting_after",
    before: "ending_before",
};

/// A list's page parameters, flattened into each list operation's query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PageQuery {
    /// Items per page: 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// The page after this cursor (older items): a `next_cursor` this list returned.
    pub starting_after: Option<String>,
    /// The page before this cursor (newer items). Not with `starting_after`.
    pub ending_before: Option<String>,
}

impl PageQuery {
    /// The page parameters as every list reads them from its query: `limit` as text, so one
    /// that is not a whole number is refused naming it (a typed field would fail the whole
    /// query, and a flattened one cannot be typed at all).
    pub(super) fn parse(
        limit: Option<&str>,
        starting_after: Option<&str>,
        ending_before: Option<&str>,
    ) -> Result<Self, ApiError> {
        let limit = limit
            .map(|text| {
                text.parse::<i64>().map_err(|_| {
                    ApiError::bad_input("limit", "limit must be a whole number from 1 to 100")
                })
            })
            .transpose()?;
        Ok(Self {
            limit,
            starting_after: starting_after.map(str::to_owned),
            ending_before: ending_before.map(str::to_owned),
        })
    }

    fn args(&self) -> PageArgs<'_> {
        PageArgs {
            size: self.limit,
            after: self.starting_after.as_deref(),
            before: self.ending_before.as_deref(),
        }
    }

    /// A page of a list whose cursors are ids.
    pub(super) fn id_page(&self) -> Result<PageRequest<String>, ApiError> {
        Ok(paging::id_page(self.args(), NAMES)?)
    }

    /// A page of a list whose cursors are sequence numbers.
    pub(super) fn sequence_page(&self) -> Result<PageRequest<i64>, ApiError> {
        Ok(paging::sequence_page(self.args(), NAMES)?)
    }
}

/// The query of a list that takes nothing but the page parameters; unknown ones are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PageParameters {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
}

impl PageParameters {
    pub(super) fn page(&self) -> Result<PageQuery, ApiError> {
        PageQuery::parse(
            self.limit.as_deref(),
            self.starting_after.as_deref(),
            self.ending_before.as_deref(),
        )
    }
}

/// One page of a list, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct List<T> {
    pub data: Vec<T>,
    /// Whether more items lie beyond this page, in the direction it was asked.
    pub has_more: bool,
    /// Pass it as `starting_after` (or, for a page asked with `ending_before`, as
    /// `ending_before`) for the next page that way; null when there is none.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    /// The page as a list, its cursor taken from the item the next page continues from.
    pub(super) fn of<I, C>(
        page: Page<I>,
        request: &PageRequest<C>,
        cursor: impl Fn(&I) -> String,
        item: impl FnMut(I) -> T,
    ) -> Self {
        let edge = if request.before.is_some() {
            page.items.first()
        } else {
            page.items.last()
        };
        let next_cursor = edge.filter(|_| page.has_more).map(cursor);
        Self {
            has_more: page.has_more,
            next_cursor,
            data: page.items.into_iter().map(item).collect(),
        }
    }
}
