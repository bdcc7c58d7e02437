//! The expiry scheduler: every `interval`, one replica (the store sees to that) writes
//! `key.expiring_soon` for keys entering the expiring-soon window and `key.expired` for keys
//! that expired, each once per expiry, so owners learn of a grace period ending without
//! polling.

use std::time::Duration;

use chrono::Utc;
use keyplane_store::Store;
use tokio::task::JoinHandle;

pub fn start(store: Store, interval: Duration, expiring_soon: chrono::Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            match store.notice_expiries(Utc::now(), expiring_soon).await {
                Ok(_) => failing = false,
                Err(err) => {
                    if !failing {
                        tracing::warn!(error = %err, "expiry notices could not be written; retrying");
                    }
                    failing = true;
                }
            }
        }
    })
}
