//! When a failed attempt is tried again, and after how long: bounded exponential backoff that
//! honours `Retry-After`, for failures a retry can safely mend.

use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;

use crate::error::ErrorCode;

/// How many times a call is attempted and how long it waits between attempts.
///
/// A call is retried after a connection failure, a `429` or a `503` (and, for a POST, a `409`
/// saying its `Idempotency-Key`'s first request has not finished). The wait doubles from
/// `base_delay` up to `max_delay`, with jitter; a `Retry-After` longer than the backoff is
/// waited instead, and one longer than `max_delay` ends the retries (the error carries it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, 200 ms then 400 ms apart (with jitter), `Retry-After` up to 10 s.
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// `attempts` in all (at least 1, at most [`RetryPolicy::MAX_ATTEMPTS`]), waits from
    /// `base_delay` up to `max_delay`.
    pub fn new(attempts: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            attempts: attempts.clamp(1, Self::MAX_ATTEMPTS),
            base_delay,
            max_delay: max_delay.max(base_delay),
        }
    }

    /// One attempt, no retry.
    pub fn none() -> Self {
        Self::new(1, Duration::ZERO, Duration::ZERO)
    }

    /// The most attempts a policy makes of one call.
    pub const MAX_ATTEMPTS: u32 = 10;

    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The wait before the next attempt after `done` attempts failed with `failure`, or `None`
    /// to give up.
    pub(crate) fn wait(&self, done: u32, failure: Failure<'_>, safety: Safety) -> Option<Duration> {
        if done >= self.attempts || !failure.retryable(safety) {
            return None;
        }
        let doubled = self
            .base_delay
            .saturating_mul(1u32 << (done - 1).min(16))
            .min(self.max_delay);
        // Equal jitter: half the backoff, plus a random part of the other half, so clients
        // refused together do not come back together.
        let half = doubled / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
        let backoff = half + Duration::from_millis(jitter);
        match failure.retry_after() {
            Some(asked) if asked > self.max_delay => None,
            Some(asked) => Some(asked.max(backoff)),
            None => Some(backoff),
        }
    }
}

/// What a retry of a call could do twice, which decides the failures it may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Running it again changes nothing more: a GET, a PATCH (it sets values), a POST under an
    /// `Idempotency-Key` (the server answers a retry with the first answer). Any failure is
    /// retried, a connection lost after the request was sent included.
    Replayable,
    /// Each run counts (a verification spends rate limit and quota; a login opens a
    /// session): retried only when the server surely did not run it.
    Counted,
}

/// How an attempt failed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Failure<'a> {
    /// No connection was made: the request was never sent.
    Connect,
    /// The request may have been sent, and its answer was lost.
    Lost,
    /// The server answered with this status and code.
    Refused {
        status: StatusCode,
        code: &'a ErrorCode,
        retry_after: Option<Duration>,
    },
}

impl Failure<'_> {
    fn retryable(self, safety: Safety) -> bool {
        match self {
            Self::Connect => true,
            Self::Lost => safety == Safety::Replayable,
            Self::Refused { status, code, .. } => {
                status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::SERVICE_UNAVAILABLE
                    // The first request under this Idempotency-Key is still running; its answer
                    // is replayed once it finishes.
                    || (safety == Safety::Replayable
                        && status == StatusCode::CONFLICT
                        && *code == ErrorCode::IdempotencyConflict)
            }
        }
    }

    fn retry_after(self) -> Option<Duration> {
        match self {
            Self::Refused { retry_after, .. } => retry_after,
            _ => None,
        }
    }
}

/// `Retry-After` in seconds, as Keyplane sends it. An HTTP date, or anything else, is ignored
/// and the backoff applies.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: &ErrorCode, retry_after: Option<u64>) -> Failure<'_> {
        Failure::Refused {
            status: StatusCode::from_u16(status).unwrap(),
            code,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn only_failures_a_retry_can_mend_are_retried() {
        let policy = RetryPolicy::default();
        let unavailable = ErrorCode::Unavailable;
        let conflict = ErrorCode::IdempotencyConflict;
        let not_found = ErrorCode::NotFound;
        let plain_conflict = ErrorCode::Conflict;
        let cases = [
            (Failure::Connect, Safety::Counted, true),
            (Failure::Lost, Safety::Replayable, true),
            (Failure::Lost, Safety::Counted, false),
            (refused(503, &unavailable, None), Safety::Counted, true),
            (refused(429, &unavailable, None), Safety::Replayable, true),
            (refused(409, &conflict, Some(1)), Safety::Replayable, true),
            (refused(409, &conflict, Some(1)), Safety::Counted, false),
            (
                refused(409, &plain_conflict, None),
                Safety::Replayable,
                false,
            ),
            (refused(404, &not_found, None), Safety::Replayable, false),
            (refused(500, &unavailable, None), Safety::Replayable, false),
        ];
        for (failure, safety, retried) in cases {
            assert_eq!(
                policy.wait(1, failure, safety).is_some(),
                retried,
                "{failure:?} {safety:?}"
            );
        }
    }

    #[test]
    fn attempts_are_bounded() {
        let policy = RetryPolicy::new(3, Duration::from_millis(10), Duration::from_secs(1));
        assert!(
            policy
                .wait(1, Failure::Connect, Safety::Replayable)
                .is_some()
        );
        assert!(
            policy
                .wait(2, Failure::Connect, Safety::Replayable)
                .is_some()
        );
        assert!(
            policy
                .wait(3, Failure::Connect, Safety::Replayable)
                .is_none()
        );
        assert!(
            RetryPolicy::none()
                .wait(1, Failure::Connect, Safety::Replayable)
                .is_none()
        );
        assert_eq!(
            RetryPolicy::new(1_000, Duration::ZERO, Duration::ZERO).attempts(),
            10
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_bound_with_jitter() {
        let policy = RetryPolicy::new(10, Duration::from_millis(100), Duration::from_millis(400));
        for _ in 0..50 {
            let first = policy
                .wait(1, Failure::Connect, Safety::Replayable)
                .unwrap();
            assert!((50..=100).contains(&first.as_millis()), "{first:?}");
            let second = policy
                .wait(2, Failure::Connect, Safety::Replayable)
                .unwrap();
            assert!((100..=200).contains(&second.as_millis()), "{second:?}");
            let late = policy
                .wait(9, Failure::Connect, Safety::Replayable)
                .unwrap();
            assert!((200..=400).contains(&late.as_millis()), "{late:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured_within_the_bound() {
        let policy = RetryPolicy::new(3, Duration::from_millis(10), Duration::from_secs(5));
        let code = ErrorCode::RateLimited;
        assert_eq!(
            policy.wait(1, refused(429, &code, Some(2)), Safety::Replayable),
            Some(Duration::from_secs(2))
        );
        // Asked to wait longer than the policy allows: the error goes back to the caller.
        assert_eq!(
            policy.wait(1, refused(429, &code, Some(60)), Safety::Replayable),
            None
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds_only() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            "retry-after",
            "Wed, 21 Oct 2026 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
