//! The event queue: temporary credentials for an environment's events (the caller needs
//! `event_queue:read`), and reads that wait for the next event when none is ready.
//!
//! Credentials live no longer than their issuer: every read, and every second of a waiting
//! read or an open stream, checks that the key or person who issued them could still read
//! (through the key cache and the rules authentication applies), from the reader's address.

mod streams;

use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use keyplane_domain::RuleViolation;
use keyplane_domain::event::Event;
use keyplane_domain::event_queue::{EventQueueCredential, EventRead, Issuer, parse_ttl};
use keyplane_domain::scope::Scope;
use keyplane_domain::token::{Token, TokenKind};
pub use streams::{StreamSlot, StreamSlots};

use crate::Services;
use crate::auth::{admit_key, find_key};
use crate::error::ServiceError;
use crate::principal::Principal;

/// However quiet the environment, a waiting read looks again this often: a lost notice
/// delays an event by this much at most.
const RECHECK: Duration = Duration::from_secs(5);
/// How often a waiting read or an open stream checks that its issuer may still read: a
/// revoked key or a disabled person stops it within this long.
const ISSUER_RECHECK: Duration = Duration::from_secs(1);

/// New credentials and their token, shown this once.
#[derive(Debug)]
pub struct IssuedCredentials {
    pub credential: EventQueueCredential,
    pub token: Token,
}

/// Credentials presented from an address: what every read checks again.
#[derive(Debug, Clone)]
pub struct Reader {
    pub credential: EventQueueCredential,
    /// The reader's address, held to the issuing key's IP allow-list.
    client: Option<IpAddr>,
}

/// Issues read-only credentials for the caller's environment, lasting `ttl_seconds`
/// (15 minutes unless asked, at most an hour), bound to the caller as their issuer.
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

fn refused() -> ServiceError {
    ServiceError::unauthenticated(
        "event-queue credentials are unknown or expired, or their issuer can no longer read; create new ones with createEventQueueCredentials",
    )
}

/// The credentials a presented token opens, read from `client`. Unknown, malformed and
/// expired ones, and those whose issuer could no longer authenticate, are `UNAUTHENTICATED`,
/// all alike; an address the issuing key's allow-list leaves out is `FORBIDDEN`.
pub async fn authenticate(
    services: &Services,
    presented: &str,
    client: Option<IpAddr>,
) -> Result<Reader, ServiceError> {
    let token = Token::parse(TokenKind::EventQueue, presented).ok_or_else(refused)?;
    let credential = services
        .store
        .find_event_queue_credential(&token.digest())
        .await?
        .ok_or_else(refused)?;
    let reader = Reader { credential, client };
    check_reader(services, &reader).await?;
    Ok(reader)
}

/// Whether `reader` may read now: the credentials are unexpired and their issuer could still
/// authenticate and read events. A key is looked up as authentication looks it up (the cache,
/// evicted by every change of the key), so this is cheap for keys; a person is read again.
pub async fn check_reader(services: &Services, reader: &Reader) -> Result<(), ServiceError> {
    let now = Utc::now();
    let credential = &reader.credential;
    if credential.expires_at <= now {
        return Err(refused());
    }
    let scopes = match &credential.issuer {
        Issuer::Key { id, hash } => {
            let key = find_key(services, hash)
                .await?
                .filter(|key| key.id == *id && key.environment_id == credential.environment_id)
                .ok_or_else(refused)?;
            admit_key(&key, reader.client, now)
                .map_err(|err| if err.reason.is_some() { err } else { refused() })?;
            key.scopes
        }
        Issuer::User { id } => {
            let user = services
                .store
                .user(id)
                .await?
                .filter(keyplane_domain::user::User::is_active)
                .ok_or_else(refused)?;
            user.role.scopes()
        }
        Issuer::Gone => return Err(refused()),
    };
    if !scopes.allows(Scope::EVENT_QUEUE_READ) {
        return Err(RuleViolation::forbidden(
            "the issuer of these credentials lacks the scope event_queue:read",
            Some(Scope::EVENT_QUEUE_READ),
        )
        .into());
    }
    Ok(())
}

/// Claims the one open stream `reader`'s credentials may have, within the server's cap on
/// open streams; both refusals are `RATE_LIMITED`. The stream holds the slot until dropped.
pub fn open_stream(services: &Services, reader: &Reader) -> Result<StreamSlot, ServiceError> {
    services.event_streams.open(&reader.credential.id)
}

/// The events after `read.after`, waiting up to `read.wait_seconds` (and no longer than the
/// credentials last) for the first one when none is ready. An empty answer means none came.
/// Refused as soon as the reader may no longer read, waiting or not.
pub async fn read(
    services: &Services,
    reader: &Reader,
    read: EventRead,
) -> Result<Vec<Event>, ServiceError> {
    let until_expiry = (reader.credential.expires_at - Utc::now())
        .to_std()
        .unwrap_or_default();
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(read.wait_seconds).min(until_expiry);
    let mut written = services.store.watch_writes();
    loop {
        check_reader(services, reader).await?;
        // Marked seen before reading, so a write that lands during the read wakes the wait.
        written.borrow_and_update();
        let events = services
            .store
            .events_after(&reader.credential.environment_id, read.after, read.limit)
            .await?;
        let now = tokio::time::Instant::now();
        if !events.is_empty() || now >= deadline {
            return Ok(events);
        }
        let wake = deadline.min(now + RECHECK);
        loop {
            let tick = wake.min(tokio::time::Instant::now() + ISSUER_RECHECK);
            if tokio::time::timeout_at(tick, written.changed())
                .await
                .is_ok()
                || tokio::time::Instant::now() >= wake
            {
                break;
            }
            check_reader(services, reader).await?;
        }
    }
}
