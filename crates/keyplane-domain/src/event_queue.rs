//! The event queue: temporary, read-only credentials bound to one environment, and the
//! bounds of a read (how long it may wait, how many events it answers).

use chrono::{DateTime, Duration, Utc};

use crate::RuleViolation;
use crate::secret::KeyHash;

pub const DEFAULT_TTL: Duration = Duration::minutes(15);
pub const MIN_TTL: Duration = Duration::minutes(1);
pub const MAX_TTL: Duration = Duration::hours(1);
/// The longest a read waits for an event when none is ready.
pub const MAX_WAIT_SECONDS: u64 = 30;
pub const DEFAULT_READ_LIMIT: u64 = 100;
pub const MAX_READ_LIMIT: u64 = 1_000;

/// How long new credentials last: 15 minutes unless asked, between 1 minute and 1 hour.
pub fn parse_ttl(seconds: Option<i64>) -> Result<Duration, RuleViolation> {
    let Some(seconds) = seconds else {
        return Ok(DEFAULT_TTL);
    };
    // `Duration::seconds` panics on a count it cannot hold: such a count is simply too long.
    let ttl = Duration::try_seconds(seconds).unwrap_or(Duration::MAX);
    if ttl < MIN_TTL || ttl > MAX_TTL {
        return Err(RuleViolation::bad_input(
            "ttlSeconds",
            format!(
                "credentials last between {} and {} seconds",
                MIN_TTL.num_seconds(),
                MAX_TTL.num_seconds()
            ),
        ));
    }
    Ok(ttl)
}

/// A read's bounds: from `after` (a `seq`, 0 for the oldest kept), at most `limit` events,
/// waiting up to `wait_seconds` when none is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRead {
    pub after: i64,
    pub limit: u64,
    pub wait_seconds: u64,
}

impl EventRead {
    pub fn parse(
        after: Option<i64>,
        limit: Option<u64>,
        wait_seconds: Option<u64>,
    ) -> Result<Self, RuleViolation> {
        let after = after.unwrap_or(0);
        if after < 0 {
            return Err(RuleViolation::bad_input(
                "after",
                "after is a sequence number, 0 or more",
            ));
        }
        let limit = limit.unwrap_or(DEFAULT_READ_LIMIT);
        if !(1..=MAX_READ_LIMIT).contains(&limit) {
            return Err(RuleViolation::bad_input(
                "limit",
                format!("limit is between 1 and {MAX_READ_LIMIT}"),
            ));
        }
        let wait_seconds = wait_seconds.unwrap_or(MAX_WAIT_SECONDS);
        if wait_seconds > MAX_WAIT_SECONDS {
            return Err(RuleViolation::bad_input(
                "wait",
                format!("wait is at most {MAX_WAIT_SECONDS} seconds"),
            ));
        }
        Ok(Self {
            after,
            limit,
            wait_seconds,
        })
    }
}

/// Credentials as presented: which environment they read, until when, and who issued them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQueueCredential {
    pub id: String,
    pub environment_id: String,
    pub expires_at: DateTime<Utc>,
    pub issuer: Issuer,
}

/// Who issued credentials. They read only while the issuer could still authenticate: every
/// read checks it again, the way a request of the issuer itself would be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuer {
    /// A key, with the hash it is found by (so the check is the key cache's lookup).
    Key { id: String, hash: KeyHash },
    /// A person, by user id.
    User { id: String },
    /// Anything else (a key since deleted, a system actor): such credentials never read.
    Gone,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_default_to_15_minutes_within_1_minute_and_1_hour() {
        assert_eq!(parse_ttl(None).unwrap(), Duration::minutes(15));
        assert_eq!(parse_ttl(Some(3600)).unwrap(), Duration::hours(1));
        assert!(parse_ttl(Some(3601)).is_err());
        assert!(parse_ttl(Some(59)).is_err());
        for huge in [16_457_973_043_976_844, i64::MAX, i64::MIN] {
            assert!(parse_ttl(Some(huge)).is_err(), "{huge}");
        }
    }

    #[test]
    fn reads_are_bounded() {
        let read = EventRead::parse(None, None, None).unwrap();
        assert_eq!((read.after, read.limit, read.wait_seconds), (0, 100, 30));
        assert!(EventRead::parse(Some(-1), None, None).is_err());
        assert!(EventRead::parse(None, Some(0), None).is_err());
        assert!(EventRead::parse(None, Some(1001), None).is_err());
        assert!(EventRead::parse(None, None, Some(31)).is_err());
        assert_eq!(
            EventRead::parse(Some(5), Some(1), Some(0)).unwrap().after,
            5
        );
    }
}
