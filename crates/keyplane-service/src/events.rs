//! The event queue: temporary credentials for an environment's events (the caller needs
//! `event_queue:read`), and reads that wait for the next event when none is ready.

use std::time::Duration;

use chrono::Utc;
use keyplane_domain::event::Event;
use keyplane_domain::event_queue::{EventQueueCredential, EventRead, parse_ttl};
use keyplane_domain::scope::Scope;
use keyplane_domain::token::{Token, TokenKind};

use crate::Services;
use crate::error::ServiceError;
use crate::principal::Principal;

/// However quiet the environment, a waiting read looks again this often: a lost notice
/// delays an event by this much at most.
const RECHECK: Duration = Duration::from_secs(5);

/// New credentials and their token, shown this once.
#[derive(Debug)]
pub struct IssuedCredentials {
    pub credential: EventQueueCredential,
    pub token: Token,
}

/// Issues read-only credentials for the caller's environment, lasting `ttl_seconds`
/// (15 minutes unless asked, at most an hour).
pub async fn create_credentials(
    services: &Services,
    principal: &Principal,
    ttl_seconds: Option<i64>,
) -> Result<IssuedCredentials, ServiceError> {
    let ttl = parse_ttl(ttl_seconds)?;
    principal.require(Scope::EVENT_QUEUE_READ)?;
    let token = Token::generate(TokenKind::EventQueue, &mut rand::rng());
    let now = Utc::now();
    let credential = services
        .store
        .create_event_queue_credential(
            &principal.environment.id,
            &token.digest(),
            &principal.actor(),
            now,
            now + ttl,
        )
        .await?;
    Ok(IssuedCredentials { credential, token })
}

/// The credentials a presented token opens; unknown, malformed and expired ones are
/// `UNAUTHENTICATED`, all alike.
pub async fn authenticate(
    services: &Services,
    presented: &str,
) -> Result<EventQueueCredential, ServiceError> {
    let refused = || {
        ServiceError::unauthenticated(
            "event-queue credentials are unknown or expired; create new ones with createEventQueueCredentials",
        )
    };
    let token = Token::parse(TokenKind::EventQueue, presented).ok_or_else(refused)?;
    let credential = services
        .store
        .find_event_queue_credential(&token.digest())
        .await?
        .ok_or_else(refused)?;
    if credential.expires_at <= Utc::now() {
        return Err(refused());
    }
    Ok(credential)
}

/// The events after `read.after`, waiting up to `read.wait_seconds` (and no longer than the
/// credentials last) for the first one when none is ready. An empty answer means none came.
pub async fn read(
    services: &Services,
    credential: &EventQueueCredential,
    read: EventRead,
) -> Result<Vec<Event>, ServiceError> {
    let until_expiry = (credential.expires_at - Utc::now())
        .to_std()
        .unwrap_or_default();
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(read.wait_seconds).min(until_expiry);
    let mut written = services.store.watch_writes();
    loop {
        // Marked seen before reading, so a write that lands during the read wakes the wait.
        written.borrow_and_update();
        let events = services
            .store
            .events_after(&credential.environment_id, read.after, read.limit)
            .await?;
        let now = tokio::time::Instant::now();
        if !events.is_empty() || now >= deadline {
            return Ok(events);
        }
        let wake = deadline.min(now + RECHECK);
        let _ = tokio::time::timeout_at(wake, written.changed()).await;
    }
}
