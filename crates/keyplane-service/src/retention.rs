//! Retention: a background task that deletes activity rows and usage counters once they are
//! older than the configured ages, and sessions and one-time links once they have ended, in
//! bounded batches so no statement holds the database for long. Audit events are never deleted.

use std::time::Duration;

use chrono::{DateTime, Utc};
use keyplane_domain::session::SessionPolicy;
use keyplane_store::{Retained, Store};
use tokio::task::JoinHandle;

/// Rows one statement deletes at most.
const BATCH: u64 = 5_000;
/// The pause between two batches, so other writers get the database in between.
const BATCH_PAUSE: Duration = Duration::from_millis(10);

/// How long each kind of record is kept, and how often retention runs.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub activity: chrono::Duration,
    pub usage_minutes: chrono::Duration,
    pub usage_hours: chrono::Duration,
    /// Environment events, with their webhook deliveries.
    pub events: chrono::Duration,
    pub interval: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            activity: chrono::Duration::days(90),
            usage_minutes: chrono::Duration::days(14),
            usage_hours: chrono::Duration::days(400),
            events: chrono::Duration::days(30),
            interval: Duration::from_secs(3600),
        }
    }
}

/// The longest a freshly started server waits before its first run: a replica restarted more
/// often than `interval` still purges, and startup itself is left alone.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(60);

/// Runs retention shortly after start and then every `interval`, until aborted. Several
/// replicas may run it at once: a row deleted twice is deleted once.
pub fn start(store: Store, retention: Retention, sessions: SessionPolicy) -> JoinHandle<()> {
    tokio::spawn(async move {
        let first = tokio::time::Instant::now() + retention.interval.min(FIRST_RUN_AFTER);
        let mut tick = tokio::time::interval_at(first, retention.interval);
        loop {
            tick.tick().await;
            enforce(&store, retention, sessions, Utc::now()).await;
        }
    })
}

/// Deletes what is older than its retention at `now`; answers how many rows went.
pub async fn enforce(
    store: &Store,
    retention: Retention,
    sessions: SessionPolicy,
    now: DateTime<Utc>,
) -> u64 {
    let mut deleted = 0;
    for (what, keep) in [
        (Retained::Activity, retention.activity),
        (Retained::UsageMinutes, retention.usage_minutes),
        (Retained::UsageHours, retention.usage_hours),
        // Ended sessions and links open nothing any more; their story is in the audit trails.
        (Retained::SessionsPastTheirEnd, chrono::Duration::zero()),
        (Retained::IdleSessions, sessions.idle),
        (Retained::ExpiredLinks, chrono::Duration::zero()),
        (Retained::Events, retention.events),
        (
            Retained::ExpiredEventQueueCredentials,
            chrono::Duration::zero(),
        ),
    ] {
        let before = now - keep;
        loop {
            match store.purge_older_than(what, before, BATCH).await {
                Ok(batch) => {
                    deleted += batch;
                    if batch < BATCH {
                        break;
                    }
                    tokio::time::sleep(BATCH_PAUSE).await;
                }
                Err(err) => {
                    // Tried again at the next run; nothing is lost by waiting.
                    tracing::warn!(error = %err, what = ?what, "retention could not delete old rows");
                    break;
                }
            }
        }
    }
    if deleted > 0 {
        tracing::info!(
            deleted,
            "retention deleted old activity rows, usage counters, ended sessions and links"
        );
    }
    deleted
}
