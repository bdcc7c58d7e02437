//! Usage quotas on the verification path. The count lives with the key in the database; each
//! replica claims units in leases ([`lease_size`]: a sixteenth of what is left, 1 to 1,000) and
//! spends them locally, so a verification touches the database only when its replica's lease
//! runs out. Claims lock the key row, so no two replicas ever spend the same unit. Unspent
//! units go back after [`IDLE_LEASE`] without use and when the replica stops; a replica that
//! crashes loses at most its lease (counted as spent, never spent twice). A refusal is
//! remembered for as long, so an exhausted key costs the database little. A lease down to a
//! quarter of the next is renewed in the background, so a busy key's verifications rarely
//! wait for the database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use keyplane_domain::key::ApiKey;
use keyplane_domain::quota::lease_size;
use keyplane_store::{QuotaGrant, Store};

use crate::error::ServiceError;

/// How long a lease may sit unspent before its units go back to the key's count.
pub const IDLE_LEASE: Duration = Duration::from_millis(250);
/// How long a key's lease entry is kept after its last use.
const FORGET_LEASE: Duration = Duration::from_secs(60);

/// What a verification's spend came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaDecision {
    pub allowed: bool,
    pub limit: u64,
    /// Units left: the key's count, less what this replica holds unspent.
    pub remaining: u64,
    /// When the quota refills; `None` if it never does.
    pub resets_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct QuotaLeases {
    slots: DashMap<String, Arc<Slot>>,
}

/// One key's lease on this replica, and the turn to renew it.
#[derive(Debug, Default)]
struct Slot {
    lease: Mutex<Option<Lease>>,
    leasing: tokio::sync::Mutex<()>,
    /// A background claim is under way.
    prefetching: AtomicBool,
}

/// Units this replica holds of one count: which count (the key that counts, after any
/// rotation; the quota; the period), how many, and what the count said was left.
#[derive(Debug, Clone)]
struct Lease {
    environment_id: String,
    counted_key_id: String,
    set_at: DateTime<Utc>,
    period_start: DateTime<Utc>,
    resets_at: Option<DateTime<Utc>>,
    limit: u64,
    units: u64,
    remaining: u64,
    last_used: Instant,
    /// A spend of at least `refused_spend` is refused locally until then.
    refused_until: Option<Instant>,
    refused_spend: u64,
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Lease>> {
        self.lease.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl QuotaLeases {
    /// Spends `spend` units of `key`'s quota; `None` when it has none.
    pub async fn spend(
        &self,
        store: &Store,
        key: &ApiKey,
        spend: u64,
        now: DateTime<Utc>,
    ) -> Result<Option<QuotaDecision>, ServiceError> {
        let Some(quota) = key.quota else {
            return Ok(None);
        };
        let period_start = quota.quota.period(quota.set_at, now).0;
        let slot = self.slot(&key.id);
        if let Some((decision, low)) = spend_leased(&slot, quota.set_at, period_start, spend) {
            if low {
                self.prefetch(store, key, Arc::clone(&slot));
            }
            return Ok(Some(decision));
        }
        let _leasing = slot.leasing.lock().await;
        if let Some((decision, _)) = spend_leased(&slot, quota.set_at, period_start, spend) {
            return Ok(Some(decision));
        }
        // What this replica still holds of the current count counts towards the spend.
        let (held, known) = match slot.lock().as_ref() {
            Some(l) if l.set_at == quota.set_at && l.period_start == period_start => {
                (l.units, l.remaining)
            }
            Some(l) => (0, l.remaining),
            None => (0, quota.remaining_at(now)),
        };
        let need = spend - held.min(spend);
        let wanted = lease_size(known, spend).max(need);
        let Some(grant) = store
            .claim_quota(&key.environment_id, &key.id, need, wanted, now)
            .await?
        else {
            return Ok(None);
        };
        let mut lease = slot.lock();
        let lease = absorb(&mut lease, &key.environment_id, &grant, now);
        let allowed = lease.units >= spend && grant.claim.granted >= need;
        if allowed {
            lease.units -= spend;
            lease.refused_until = None;
            lease.last_used = Instant::now();
        } else {
            lease.refused_until = Some(Instant::now() + IDLE_LEASE);
            lease.refused_spend = spend;
        }
        Ok(Some(QuotaDecision {
            allowed,
            limit: lease.limit,
            remaining: lease.remaining + lease.units,
            resets_at: lease.resets_at,
        }))
    }

    /// Claims the next lease in the background once this replica's runs low, so the
    /// verifications of a busy key rarely wait for the database. One at a time per key.
    fn prefetch(&self, store: &Store, key: &ApiKey, slot: Arc<Slot>) {
        if slot.prefetching.swap(true, Ordering::AcqRel) {
            return;
        }
        let (store, environment_id, key_id) =
            (store.clone(), key.environment_id.clone(), key.id.clone());
        tokio::spawn(async move {
            let _leasing = slot.leasing.lock().await;
            let wanted = slot
                .lock()
                .as_ref()
                .filter(|l| runs_low(l))
                .map(|l| lease_size(l.remaining, 1));
            if let Some(wanted) = wanted {
                let now = Utc::now();
                match store
                    .claim_quota(&environment_id, &key_id, 1, wanted, now)
                    .await
                {
                    Ok(Some(grant)) if grant.claim.granted > 0 => {
                        absorb(&mut slot.lock(), &environment_id, &grant, now);
                    }
                    Ok(_) => {}
                    // The next verification that finds the lease empty claims it itself.
                    Err(err) => tracing::debug!(error = %err, "could not claim quota ahead"),
                }
            }
            slot.prefetching.store(false, Ordering::Release);
        });
    }

    fn slot(&self, key_id: &str) -> Arc<Slot> {
        if let Some(slot) = self.slots.get(key_id) {
            return Arc::clone(&slot);
        }
        Arc::clone(self.slots.entry(key_id.to_owned()).or_default().value())
    }

    /// Returns the leases idle for at least `idle` (all of them with `Duration::ZERO`), and
    /// forgets keys unused for a minute.
    pub async fn give_back_idle(&self, store: &Store, idle: Duration) {
        let mut unspent = Vec::new();
        self.slots.retain(|_, slot| {
            let mut lease = slot.lock();
            // A slot whose first claim is still under way has no lease yet: kept, so the
            // units that claim brings are never orphaned.
            let Some(held) = lease.as_mut() else {
                return true;
            };
            let unused_for = held.last_used.elapsed();
            if held.units > 0 && unused_for >= idle {
                let mut taken = held.clone();
                taken.units = std::mem::take(&mut held.units);
                held.remaining += taken.units;
                unspent.push(taken);
            }
            unused_for < FORGET_LEASE
        });
        for lease in unspent {
            let returned = store
                .give_back_quota(
                    &lease.environment_id,
                    &lease.counted_key_id,
                    lease.set_at,
                    lease.period_start,
                    lease.units,
                )
                .await;
            if let Err(err) = returned {
                // Units not returned stay counted as spent: the quota is only stricter.
                tracing::warn!(error = %err, "could not return unspent quota units");
            }
        }
    }
}

/// Whether a lease is down to a quarter of the next one while the count has more to give.
fn runs_low(lease: &Lease) -> bool {
    lease.remaining > 0 && lease.units * 4 < lease_size(lease.remaining, 1)
}

/// Adds what `grant` claimed to the lease, which starts afresh when the grant is of another
/// count: units of a replaced quota or an ended period are moot.
fn absorb<'l>(
    lease: &'l mut Option<Lease>,
    environment_id: &str,
    grant: &QuotaGrant,
    now: DateTime<Utc>,
) -> &'l mut Lease {
    let current = lease.as_ref().is_some_and(|l| {
        l.counted_key_id == grant.counted_key_id
            && l.set_at == grant.quota.set_at
            && l.period_start == grant.claim.period_start
    });
    if !current {
        *lease = Some(Lease {
            environment_id: environment_id.to_owned(),
            counted_key_id: grant.counted_key_id.clone(),
            set_at: grant.quota.set_at,
            period_start: grant.claim.period_start,
            resets_at: grant.quota.resets_at(now),
            limit: grant.quota.quota.limit,
            units: 0,
            remaining: 0,
            last_used: Instant::now(),
            refused_until: None,
            refused_spend: 0,
        });
    }
    let lease = lease.as_mut().expect("set above");
    lease.units += grant.claim.granted;
    lease.remaining = grant.claim.remaining;
    lease
}

/// Spends from the lease when it holds enough of the current count (and says whether it now
/// runs low), or refuses while a recent refusal stands.
fn spend_leased(
    slot: &Slot,
    set_at: DateTime<Utc>,
    period_start: DateTime<Utc>,
    spend: u64,
) -> Option<(QuotaDecision, bool)> {
    let mut guard = slot.lock();
    let lease = guard.as_mut()?;
    if lease.set_at != set_at || lease.period_start != period_start {
        return None;
    }
    let decision = |lease: &Lease, allowed| QuotaDecision {
        allowed,
        limit: lease.limit,
        remaining: lease.remaining + lease.units,
        resets_at: lease.resets_at,
    };
    if lease.units >= spend {
        lease.units -= spend;
        lease.last_used = Instant::now();
        return Some((decision(lease, true), runs_low(lease)));
    }
    let refused = spend >= lease.refused_spend
        && lease
            .refused_until
            .is_some_and(|until| Instant::now() < until);
    refused.then(|| (decision(lease, false), false))
}
