//! Open event streams: one per credential, and at most a configured number per server, so
//! no credential holder can tie up the server's connections and tasks.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use keyplane_domain::ErrorCode;

use crate::error::ServiceError;

/// The credentials with an open stream on this server.
#[derive(Debug)]
pub struct StreamSlots {
    max: usize,
    open: Mutex<HashSet<String>>,
}

/// One open stream's place; dropping it (the stream ended or the client left) frees it.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    credential_id: String,
}

impl StreamSlots {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            open: Mutex::new(HashSet::new()),
        })
    }

    /// A place for a stream of `credential_id`: refused (`RATE_LIMITED`) when those
    /// credentials already have one open, or the server has as many as it allows.
    pub fn open(self: &Arc<Self>, credential_id: &str) -> Result<StreamSlot, ServiceError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.contains(credential_id) {
            return Err(ServiceError::new(
                ErrorCode::RateLimited,
                "these credentials already have an open stream; close it first",
            ));
        }
        if open.len() >= self.max {
            return Err(ServiceError::new(
                ErrorCode::RateLimited,
                "the server has as many open event streams as it allows; retry later or read with /v1/events",
            ));
        }
        open.insert(credential_id.to_owned());
        Ok(StreamSlot {
            slots: Arc::clone(self),
            credential_id: credential_id.to_owned(),
        })
    }

    /// Streams open now.
    pub fn len(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.credential_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_stream_per_credential_and_a_cap_per_server() {
        let slots = StreamSlots::new(2);
        let a = slots.open("a").expect("a first stream");
        assert_eq!(
            slots.open("a").map(drop).unwrap_err().code,
            ErrorCode::RateLimited,
            "a second stream of the same credentials"
        );
        let b = slots.open("b").expect("other credentials");
        assert_eq!(
            slots.open("c").map(drop).unwrap_err().code,
            ErrorCode::RateLimited,
            "over the cap"
        );
        drop(a);
        assert_eq!(slots.len(), 1);
        let _a = slots.open("a").expect("a closed stream frees its place");
        drop(b);
        let _c = slots.open("c").expect("and so does another");
    }
}
