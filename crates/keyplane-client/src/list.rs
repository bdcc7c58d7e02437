//! Lists: one page as Keyplane answers it (`{data, has_more, next_cursor}`), which page to ask
//! for, and `Pages`, which follows `next_cursor` until the list ends.

use std::future::Future;
use std::pin::Pin;

use serde::Deserialize;

use crate::error::Error;

/// One page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Whether more items lie beyond this page, in the direction it was asked.
    pub has_more: bool,
    /// The cursor of the next page that way; `None` when there is none.
    pub next_cursor: Option<String>,
}

/// Where a page starts: after a cursor (older items), or before one (newer items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    StartingAfter(String),
    EndingBefore(String),
}

/// Which page to ask for: `limit` items (the server takes 1 to 100, 20 when omitted) from
/// `cursor`, or from the newest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: Option<u32>,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The most items Keyplane answers in one page (its default is 20).
    pub const MAX_LIMIT: u32 = 100;

    /// The newest `limit` items.
    pub fn first(limit: u32) -> Self {
        Self {
            limit: Some(limit),
            cursor: None,
        }
    }

    /// The page after `page` in the same direction, if the list goes on.
    pub fn next<T>(&self, page: &Page<T>) -> Option<Self> {
        let cursor = page.next_cursor.clone().filter(|_| page.has_more)?;
        Some(Self {
            limit: self.limit,
            cursor: Some(match self.cursor {
                Some(Cursor::EndingBefore(_)) => Cursor::EndingBefore(cursor),
                _ => Cursor::StartingAfter(cursor),
            }),
        })
    }

    pub(crate) fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if let Some(limit) = self.limit {
            pairs.push(("limit".to_owned(), limit.to_string()));
        }
        match &self.cursor {
            Some(Cursor::StartingAfter(c)) => pairs.push(("starting_after".to_owned(), c.clone())),
            Some(Cursor::EndingBefore(c)) => pairs.push(("ending_before".to_owned(), c.clone())),
            None => {}
        }
        pairs
    }
}

type PageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<Page<T>, Error>> + Send + 'a>>;

/// Every page of a list, one request at a time, each from the previous page's `next_cursor`.
/// A page that fails ends nothing: the same `next` can be awaited again.
pub struct Pages<'a, T> {
    fetch: Box<dyn Fn(PageRequest) -> PageFuture<'a, T> + Send + Sync + 'a>,
    next: Option<PageRequest>,
    /// Every cursor followed so far: a server answering one twice would loop forever.
    seen: std::collections::HashSet<String>,
}

impl<T> std::fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").field("next", &self.next).finish()
    }
}

impl<'a, T> Pages<'a, T> {
    pub(crate) fn new(
        first: PageRequest,
        fetch: impl Fn(PageRequest) -> PageFuture<'a, T> + Send + Sync + 'a,
    ) -> Self {
        Self {
            fetch: Box::new(fetch),
            next: Some(first),
            seen: std::collections::HashSet::new(),
        }
    }

    /// The next page's items, or `None` once the list has ended. A `next_cursor` answered
    /// before ends the list with an error: following it again would never end.
    pub async fn next(&mut self) -> Result<Option<Vec<T>>, Error> {
        let Some(request) = self.next.clone() else {
            return Ok(None);
        };
        let page = (self.fetch)(request.clone()).await?;
        let next = request.next(&page);
        if let Some(Cursor::StartingAfter(cursor) | Cursor::EndingBefore(cursor)) =
            next.as_ref().and_then(|n| n.cursor.as_ref())
            && !self.seen.insert(cursor.clone())
        {
            self.next = None;
            return Err(Error::Decode(
                "Keyplane answered a next_cursor it had answered before: the list would never end"
                    .into(),
            ));
        }
        self.next = next;
        Ok(Some(page.data))
    }

    /// Every remaining item, in list order.
    pub async fn collect(mut self) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(items) = self.next().await? {
            all.extend(items);
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(has_more: bool, next: Option<&str>) -> Page<u8> {
        Page {
            data: vec![1],
            has_more,
            next_cursor: next.map(str::to_owned),
        }
    }

    #[test]
    fn the_next_page_goes_the_way_the_first_went() {
        let older = PageRequest::first(2);
        assert_eq!(
            older.next(&page(true, Some("c1"))).unwrap().cursor,
            Some(Cursor::StartingAfter("c1".into()))
        );
        let newer = PageRequest {
            limit: Some(2),
            cursor: Some(Cursor::EndingBefore("c0".into())),
        };
        let next = newer.next(&page(true, Some("c2"))).unwrap();
        assert_eq!(next.cursor, Some(Cursor::EndingBefore("c2".into())));
        assert_eq!(
            next.pairs(),
            [
                ("limit".into(), "2".into()),
                ("ending_before".into(), "c2".into())
            ]
        );
        assert_eq!(older.next(&page(false, Some("c1"))), None);
        assert_eq!(older.next(&page(true, None)), None);
    }

    #[tokio::test]
    async fn a_cursor_answered_twice_ends_the_list_with_an_error() {
        // A server that always answers the same next page.
        let mut pages = Pages::new(PageRequest::first(1), |_| {
            Box::pin(async { Ok(page(true, Some("c1"))) })
        });
        assert_eq!(pages.next().await.unwrap(), Some(vec![1]));
        assert!(matches!(pages.next().await, Err(Error::Decode(_))));
        assert_eq!(pages.next().await.unwrap(), None);
    }

    #[test]
    fn the_list_body_is_read_as_keyplane_writes_it() {
        let page: Page<String> =
            serde_json::from_str(r#"{"data":["a"],"has_more":false,"next_cursor":null}"#).unwrap();
        assert_eq!(page.data, ["a"]);
        assert!(!page.has_more);
    }
}
