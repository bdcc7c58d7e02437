//! Parsed documents by query text, with their alias count, so repeated operations skip
//! parsing. A least-recently-used cache (`lru`): past its capacity the document used longest
//! ago is dropped, so a stream of distinct documents can neither grow it nor keep the
//! operations clients really repeat out of it for good. Texts longer than
//! [`MAX_CACHED_QUERY_BYTES`] are parsed every time and never kept, which bounds its memory at
//! the capacity times that.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// The longest query text kept parsed. The console's and typical clients' documents are a few
/// kilobytes; a longer one is parsed on each request.
pub const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;

/// A parsed document and how many aliases it writes.
pub type Parsed = Arc<(ExecutableDocument, usize)>;

#[derive(Debug, Default)]
pub struct ParseCache {
    /// `None` with a capacity of 0: every request is parsed.
    documents: Option<Mutex<LruCache<String, Parsed>>>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl ParseCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            documents: NonZeroUsize::new(capacity)
                .map(|capacity| Mutex::new(LruCache::new(capacity))),
            ..Self::default()
        }
    }

    /// The document parsed from `query`, when it is cached (it becomes the most recently used).
    pub fn get(&self, query: &str) -> Option<Parsed> {
        let documents = self.documents.as_ref()?;
        let found = documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(query)
            .map(Arc::clone);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `parsed` for `query`, dropping the least recently used document when full.
    pub fn put(&self, query: &str, parsed: Parsed) {
        if query.len() > MAX_CACHED_QUERY_BYTES {
            return;
        }
        if let Some(documents) = &self.documents {
            documents
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .put(query.to_owned(), parsed);
        }
    }

    /// Documents cached.
    pub fn len(&self) -> usize {
        self.documents.as_ref().map_or(0, |documents| {
            documents
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(query: &str) -> Parsed {
        Arc::new((async_graphql::parser::parse_query(query).unwrap(), 0))
    }

    fn query(n: usize) -> String {
        format!("# {n}\n{{ viewer {{ account {{ id }} }} }}")
    }

    #[test]
    fn distinct_documents_evict_the_least_recently_used_and_never_grow_it() {
        let cache = ParseCache::new(3);
        for n in 0..3 {
            cache.put(&query(n), parsed(&query(n)));
        }
        // 0 is used again, so 1 is the least recently used when 3 arrives.
        assert!(cache.get(&query(0)).is_some());
        cache.put(&query(3), parsed(&query(3)));
        assert_eq!(cache.len(), 3);
        assert!(
            cache.get(&query(1)).is_none(),
            "the least recently used went"
        );
        assert!(cache.get(&query(0)).is_some());
        for n in 4..1_000 {
            cache.put(&query(n), parsed(&query(n)));
        }
        assert_eq!(cache.len(), 3, "never past its capacity");
        assert!(
            cache.get(&query(999)).is_some(),
            "a new document is still cached"
        );
    }

    #[test]
    fn a_capacity_of_zero_and_long_texts_cache_nothing() {
        let off = ParseCache::new(0);
        off.put(&query(0), parsed(&query(0)));
        assert!(off.get(&query(0)).is_none());
        let cache = ParseCache::new(3);
        let long = format!(
            "# {}\n{{ viewer {{ account {{ id }} }} }}",
            "x".repeat(MAX_CACHED_QUERY_BYTES)
        );
        cache.put(&long, parsed(&long));
        assert_eq!(cache.len(), 0);
    }
}
