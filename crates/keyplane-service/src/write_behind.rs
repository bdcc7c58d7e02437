//! Writes that must not slow a request: activity events, verification counts and last-used
//! times. Handlers hand them over in memory; one background task writes activity in batches (one
//! statement each), verification counts as upserts (one per counter table per flush) and
//! last-used times coalesced (one statement per flush). A graceful shutdown flushes all three.
//! The same task deletes expired idempotency records now and then.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use keyplane_domain::activity::NewActivityEvent;
use keyplane_domain::scope::Scope;
use keyplane_domain::verification::VerificationCode;
use keyplane_store::Store;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::usage_counters::UsageCounters;

/// Largest activity batch one statement writes.
const MAX_BATCH: usize = 500;
/// Events that may wait in memory before handlers wait for the writer (backpressure, not loss).
const QUEUE_CAPACITY: usize = 10_000;
/// How often expired idempotency records are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);
/// How many times a failed flush is retried, with doubling pauses, before it is given up.
const FLUSH_ATTEMPTS: u32 = 5;

/// How often each kind of write is flushed.
#[derive(Debug, Clone, Copy)]
pub struct FlushIntervals {
    pub activity: Duration,
    pub last_used: Duration,
}

/// The handlers' side: cheap to clone.
#[derive(Debug, Clone)]
pub struct WriteBehind {
    activity: mpsc::Sender<NewActivityEvent>,
    last_used: Arc<DashMap<String, DateTime<Utc>>>,
    /// Verifications counted since the last flush.
    usage: Arc<UsageCounters>,
    /// Activity events handed over and not yet written (queued or in the writer's batch).
    pending: Arc<AtomicUsize>,
}

/// Stops the writer after a final flush.
#[derive(Debug)]
pub struct WriteBehindHandle {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl WriteBehindHandle {
    /// Flushes everything handed over so far and stops. Call after requests have finished.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "the write-behind task failed");
        }
    }
}

impl WriteBehind {
    pub fn start(store: Store, intervals: FlushIntervals) -> (Self, WriteBehindHandle) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let last_used = Arc::new(DashMap::new());
        let (stop, stopped) = oneshot::channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let usage = Arc::new(UsageCounters::default());
        let task = tokio::spawn(run(
            store,
            rx,
            Queues {
                last_used: Arc::clone(&last_used),
                usage: Arc::clone(&usage),
                pending: Arc::clone(&pending),
            },
            intervals,
            stopped,
        ));
        (
            Self {
                activity: tx,
                last_used,
                usage,
                pending,
            },
            WriteBehindHandle { stop, task },
        )
    }

    /// Queues an activity event, bounded (what the caller named is cut to size, so neither
    /// the queue nor the row grows with the request). Waits only when the writer is a whole
    /// queue behind.
    pub async fn record(&self, event: NewActivityEvent) {
        self.pending.fetch_add(1, Ordering::Relaxed);
        if self.activity.send(event.bounded()).await.is_err() {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            tracing::error!("activity event after the writer stopped; not recorded");
        }
    }

    /// Notes that a key was used at `at`; only the latest time per key is kept until the flush.
    pub fn touch(&self, key_id: &str, at: DateTime<Utc>) {
        self.last_used
            .entry(key_id.to_owned())
            .and_modify(|t| *t = (*t).max(at))
            .or_insert(at);
    }

    /// Counts one verification answered at `at`: of `key_id` when the key exists in the
    /// environment, asking for `permission`, ending with `outcome`.
    pub fn count_verification(
        &self,
        environment_id: &str,
        key_id: Option<&str>,
        permission: Option<Scope>,
        outcome: VerificationCode,
        at: DateTime<Utc>,
    ) {
        self.usage
            .count(environment_id, key_id, permission, outcome, at);
    }

    /// Activity events handed over and not yet written.
    pub fn queue_depth(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }
}

/// What the handlers fill and the writer empties, besides the activity queue.
struct Queues {
    last_used: Arc<DashMap<String, DateTime<Utc>>>,
    usage: Arc<UsageCounters>,
    pending: Arc<AtomicUsize>,
}

async fn run(
    store: Store,
    mut rx: mpsc::Receiver<NewActivityEvent>,
    queues: Queues,
    intervals: FlushIntervals,
    mut stopped: oneshot::Receiver<()>,
) {
    let Queues {
        last_used,
        usage,
        pending,
    } = queues;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut activity_tick = tokio::time::interval(intervals.activity);
    let mut last_used_tick = tokio::time::interval(intervals.last_used);
    let mut purge_tick = tokio::time::interval(PURGE_INTERVAL);
    loop {
        let room = MAX_BATCH - batch.len();
        tokio::select! {
            // Takes everything already queued (up to a batch) per wake-up, not one event.
            received = rx.recv_many(&mut batch, room) => {
                if received == 0 {
                    break;
                }
                if batch.len() >= MAX_BATCH {
                    flush_activity(&store, &mut batch, &pending).await;
                }
            },
            _ = activity_tick.tick() => {
                flush_activity(&store, &mut batch, &pending).await;
                flush_usage(&store, &usage).await;
            }
            _ = last_used_tick.tick() => flush_last_used(&store, &last_used).await,
            _ = purge_tick.tick() => purge_idempotency(&store).await,
            _ = &mut stopped => break,
        }
    }
    rx.close();
    while let Ok(event) = rx.try_recv() {
        batch.push(event);
        if batch.len() >= MAX_BATCH {
            flush_activity(&store, &mut batch, &pending).await;
        }
    }
    flush_activity(&store, &mut batch, &pending).await;
    flush_usage(&store, &usage).await;
    flush_last_used(&store, &last_used).await;
}

/// Writes the verification counts. Counts that could not be written go back into the counters
/// for the next flush, so a database outage delays them but loses none.
async fn flush_usage(store: &Store, usage: &UsageCounters) {
    let drained = usage.drain();
    if drained.is_empty() {
        return;
    }
    let increments = drained.increments();
    if !with_retries("usage", || store.record_usage(&increments)).await {
        usage.restore(drained);
    }
}

async fn with_retries<F, Fut>(what: &str, mut attempt: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), keyplane_store::StoreError>>,
{
    let mut pause = Duration::from_millis(100);
    for tries in 1..=FLUSH_ATTEMPTS {
        match attempt().await {
            Ok(()) => return true,
            Err(err) if tries < FLUSH_ATTEMPTS => {
                tracing::warn!(error = %err, what, tries, "flush failed; retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Err(err) => {
                tracing::error!(error = %err, what, "flush failed; giving up on this batch")
            }
        }
    }
    false
}

async fn flush_activity(store: &Store, batch: &mut Vec<NewActivityEvent>, pending: &AtomicUsize) {
    if batch.is_empty() {
        return;
    }
    let written = with_retries("activity", || store.insert_activity(batch)).await;
    if !written {
        tracing::error!(lost = batch.len(), "activity events were not recorded");
    }
    pending.fetch_sub(batch.len(), Ordering::Relaxed);
    batch.clear();
}

/// Deletes expired idempotency records; they are also ignored when read, so this only keeps
/// the table small.
async fn purge_idempotency(store: &Store) {
    match store.purge_idempotency_keys(Utc::now()).await {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "expired idempotency records deleted"),
        Err(err) => tracing::warn!(error = %err, "could not purge expired idempotency records"),
    }
}

async fn flush_last_used(store: &Store, last_used: &DashMap<String, DateTime<Utc>>) {
    let uses: Vec<(String, DateTime<Utc>)> = last_used
        .iter()
        .map(|entry| (entry.key().clone(), *entry.value()))
        .collect();
    if uses.is_empty() {
        return;
    }
    // Remove only what is written: a newer use noted meanwhile stays for the next flush.
    for (id, at) in &uses {
        last_used.remove_if(id, |_, current| current == at);
    }
    if !with_retries("last used", || store.touch_last_used(&uses)).await {
        // Keep them for the next flush rather than lose them.
        for (id, at) in uses {
            last_used
                .entry(id)
                .and_modify(|t| *t = (*t).max(at))
                .or_insert(at);
        }
    }
}
