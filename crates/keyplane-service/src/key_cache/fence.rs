//! Fences between a cache fill and the evictions that run while it reads. A fill reads the
//! database and then installs what it read; an eviction that lands in between (a revocation
//! committed after the read, its eviction finding nothing to remove yet) must not be undone by
//! the install, or the cache would serve the row as it was before the change.
//!
//! Every eviction takes the next generation and stamps it on its id's stripe (one of
//! [`STRIPES`], so the record stays a fixed size whatever the number of ids); a clear stamps
//! everything. A fill notes the generation before it reads and installs only if nothing it
//! could have missed is stamped later.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

/// Stripes of ids. Two ids sharing one only make a fill of one dropped by an eviction of the
/// other: a cache miss, never a stale entry.
const STRIPES: usize = 1024;

/// When a fill began, as the eviction generation it saw. Take it before reading the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill(u64);

#[derive(Debug)]
pub(super) struct Fences {
    /// The last generation handed to an eviction or a clear.
    generation: AtomicU64,
    /// Per stripe, the generation of the last eviction of an id in it.
    evicted: Box<[AtomicU64]>,
    /// The generation of the last clear.
    cleared: AtomicU64,
}

impl Fences {
    pub(super) fn new() -> Self {
        Self {
            generation: AtomicU64::new(0),
            evicted: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            cleared: AtomicU64::new(0),
        }
    }

    pub(super) fn begin(&self) -> Fill {
        Fill(self.generation.load(SeqCst))
    }

    /// Stamps an eviction of `id`. Call it before removing the id's entries: a fill that
    /// installs after that removal then sees the stamp when it checks again.
    pub(super) fn evicting(&self, id: &str) {
        let generation = self.generation.fetch_add(1, SeqCst) + 1;
        self.evicted[stripe(id)].fetch_max(generation, SeqCst);
    }

    /// Stamps a clear; call it before clearing.
    pub(super) fn clearing(&self) {
        let generation = self.generation.fetch_add(1, SeqCst) + 1;
        self.cleared.fetch_max(generation, SeqCst);
    }

    /// Whether a fill that began at `fill` may install `id` (or, with `None`, an entry no
    /// change names, such as an unknown hash): neither an eviction of `id` nor a clear came
    /// after it began. A fill that began after the stamp read after the change committed.
    pub(super) fn admits(&self, fill: Fill, id: Option<&str>) -> bool {
        self.cleared.load(SeqCst) <= fill.0
            && id.is_none_or(|id| self.evicted[stripe(id)].load(SeqCst) <= fill.0)
    }
}

/// Ids are UUIDs (whose low bits are random): fold their bits; hash anything else.
fn stripe(id: &str) -> usize {
    let folded = match uuid::Uuid::parse_str(id) {
        Ok(uuid) => {
            let bits = uuid.as_u128();
            (bits as u64) ^ ((bits >> 64) as u64)
        }
        Err(_) => {
            let mut hasher = DefaultHasher::new();
            id.hash(&mut hasher);
            hasher.finish()
        }
    };
    (folded % STRIPES as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> String {
        uuid::Uuid::from_u128(n).to_string()
    }

    #[test]
    fn a_fill_is_admitted_unless_its_id_was_evicted_or_everything_cleared_since() {
        // (evict before the fill began, evict after, clear after, id asked) -> admitted
        let cases = [
            (Some(1), None, false, Some(1), true),
            (None, Some(1), false, Some(1), false),
            (None, Some(2), false, Some(1), true),
            (None, Some(1), false, None, true),
            (None, None, true, Some(1), false),
            (None, None, true, None, false),
            (None, None, false, Some(1), true),
        ];
        for (before, after, clear, asked, admitted) in cases {
            let fences = Fences::new();
            if let Some(n) = before {
                fences.evicting(&id(n));
            }
            let fill = fences.begin();
            if let Some(n) = after {
                fences.evicting(&id(n));
            }
            if clear {
                fences.clearing();
            }
            let asked = asked.map(id);
            assert_eq!(
                fences.admits(fill, asked.as_deref()),
                admitted,
                "evicted before {before:?}, after {after:?}, cleared {clear}, asked {asked:?}"
            );
        }
    }

    #[test]
    fn ids_that_are_not_uuids_have_a_stripe_too() {
        let fences = Fences::new();
        let fill = fences.begin();
        fences.evicting("not-a-uuid");
        assert!(!fences.admits(fill, Some("not-a-uuid")));
    }
}
