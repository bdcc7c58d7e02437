//! What bounds password work: [`PasswordWork`], the one gate every argon2 hash and
//! verification passes (login, `changePassword`, accepting a link), and [`GuessLimiter`], the
//! throttles on guessing a password (login and `changePassword`).

use std::net::IpAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use keyplane_domain::ErrorCode;
use keyplane_domain::password::client_network;
use tokio::sync::Semaphore;

use crate::error::ServiceError;

/// How password work is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordSettings {
    /// Hashes and verifications that may run at once (each holds 19 MiB for its duration).
    pub concurrent_hashes: NonZeroUsize,
    /// How many more may wait for one to finish; past that, the request is answered
    /// `UNAVAILABLE` (503, `Retry-After`) at once.
    pub waiting_hashes: usize,
    /// The guessing throttles.
    pub throttle: GuessThrottle,
}

/// Requests that may wait for a hash, per hash that may run.
pub const WAITING_PER_HASH: usize = 8;

impl PasswordSettings {
    /// `concurrent` at once (by default one per core) and eight times as many waiting.
    pub fn with_concurrency(concurrent: Option<NonZeroUsize>) -> Self {
        let concurrent = concurrent
            .or_else(|| std::thread::available_parallelism().ok())
            .unwrap_or(NonZeroUsize::MIN);
        Self {
            concurrent_hashes: concurrent,
            waiting_hashes: concurrent.get() * WAITING_PER_HASH,
            throttle: GuessThrottle::default(),
        }
    }
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self::with_concurrency(None)
    }
}

/// `burst` attempts at once, then one more every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub burst: NonZeroU32,
    pub period: Duration,
}

impl Allowance {
    fn quota(self) -> Quota {
        Quota::with_period(self.period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(self.burst)
    }
}

/// The guessing throttles. Each counts every attempt, and both are checked before the password
/// is. A client is a network ([`client_network`]: an IPv4 address, an IPv6 /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuessThrottle {
    /// Attempts from one client, whatever the email (trying many people).
    pub per_client: Allowance,
    /// Attempts on one email from one client (guessing one person's password). Per client, so
    /// someone else failing on the same email never locks its owner out.
    pub per_email: Allowance,
}

impl Default for GuessThrottle {
    /// Twenty attempts at once from a client, then ten a minute; five at once on one email
    /// from one client, then one a minute.
    fn default() -> Self {
        Self {
            per_client: Allowance {
                burst: NonZeroU32::new(20).expect("non-zero"),
                period: Duration::from_secs(6),
            },
            per_email: Allowance {
                burst: NonZeroU32::new(5).expect("non-zero"),
                period: Duration::from_secs(60),
            },
        }
    }
}

/// The throttles' state, in this process.
#[derive(Debug)]
pub struct GuessLimiter {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_email: DefaultKeyedRateLimiter<(String, Option<IpAddr>)>,
}

/// Entries past which idle ones are forgotten, so the maps stay as large as recent attempts.
const RETAIN_PAST: usize = 10_000;

impl GuessLimiter {
    pub fn new(throttle: GuessThrottle) -> Self {
        Self {
            per_client: RateLimiter::keyed(throttle.per_client.quota()),
            per_email: RateLimiter::keyed(throttle.per_email.quota()),
        }
    }

    /// Counts one attempt on `email` (normalised) from `client`; `false` when either throttle
    /// says wait. A client without an address (a router driven in process) shares one count
    /// per email.
    pub fn admit(&self, email: &str, client: Option<IpAddr>) -> bool {
        if self.per_email.len() > RETAIN_PAST || self.per_client.len() > RETAIN_PAST {
            self.per_email.retain_recent();
            self.per_client.retain_recent();
        }
        let network = client.map(client_network);
        let client_ok = network.is_none_or(|net| self.per_client.check_key(&net).is_ok());
        let email_ok = self
            .per_email
            .check_key(&(email.to_owned(), network))
            .is_ok();
        client_ok && email_ok
    }
}

impl Default for GuessLimiter {
    fn default() -> Self {
        Self::new(GuessThrottle::default())
    }
}

/// The one gate of argon2 work: at most `concurrent_hashes` run at once, at most
/// `waiting_hashes` more wait, and the rest are refused `UNAVAILABLE` without waiting.
#[derive(Debug)]
pub struct PasswordWork {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// One place in the wait queue, given back however the wait ends (a client that hangs up drops
/// the waiting future).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn too_busy() -> ServiceError {
    ServiceError::new(
        ErrorCode::Unavailable,
        "too many password checks at once; try again in a moment",
    )
}

impl PasswordWork {
    pub fn new(settings: &PasswordSettings) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(settings.concurrent_hashes.get())),
            waiting: AtomicUsize::new(0),
            max_waiting: settings.waiting_hashes,
        }
    }

    /// Runs `work` (a hash or a verification) on a blocking thread once a place is free. The
    /// place is held until `work` returns, even when the caller stops waiting for it.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let _place = self.queue()?;
                Arc::clone(&self.permits)
                    .acquire_owned()
                    .await
                    .map_err(|_| ServiceError::internal())?
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| ServiceError::internal())
    }

    fn queue(&self) -> Result<Waiting<'_>, ServiceError> {
        self.waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |waiting| {
                (waiting < self.max_waiting).then_some(waiting + 1)
            })
            .map_err(|_| too_busy())?;
        Ok(Waiting(&self.waiting))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(concurrent: usize, waiting: usize) -> PasswordSettings {
        PasswordSettings {
            concurrent_hashes: NonZeroUsize::new(concurrent).unwrap(),
            waiting_hashes: waiting,
            throttle: GuessThrottle::default(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_runs_a_bounded_number_at_once_and_refuses_past_the_queue() {
        let work = Arc::new(PasswordWork::new(&settings(2, 3)));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs: Vec<_> = (0..10)
            .map(|_| {
                let (work, running, peak) = (work.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    work.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        let mut refused = 0;
        for job in jobs {
            match job.await.unwrap() {
                Ok(()) => {}
                Err(err) => {
                    assert_eq!(err.code, ErrorCode::Unavailable);
                    refused += 1;
                }
            }
        }
        assert!(peak.load(Ordering::SeqCst) <= 2, "at most two at once");
        assert_eq!(refused, 5, "two run, three wait, five are refused");
        assert_eq!(work.waiting.load(Ordering::SeqCst), 0);
        // Once the queue has drained, work is admitted again.
        work.run(|| ()).await.unwrap();
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_gives_its_place_back() {
        let work = PasswordWork::new(&settings(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let first = work.run(move || hold.recv().ok());
        tokio::pin!(first);
        // The first takes the only permit; the second waits and then gives up.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut first)
                .await
                .is_err()
        );
        let second = tokio::time::timeout(Duration::from_millis(50), work.run(|| ())).await;
        assert!(second.is_err(), "still waiting when dropped");
        assert_eq!(work.waiting.load(Ordering::SeqCst), 0);
        release.send(()).unwrap();
        first.await.unwrap();
    }

    #[test]
    fn the_throttles_count_per_client_network_and_per_email_from_each_client() {
        let limiter = GuessLimiter::new(GuessThrottle {
            per_client: Allowance {
                burst: NonZeroU32::new(3).unwrap(),
                period: Duration::from_secs(3600),
            },
            per_email: Allowance {
                burst: NonZeroU32::new(2).unwrap(),
                period: Duration::from_secs(3600),
            },
        });
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        // One /64 is one client: three attempts across its addresses, then it waits.
        assert!(limiter.admit("a@example.com", ip("2001:db8::1")));
        assert!(limiter.admit("b@example.com", ip("2001:db8::2")));
        assert!(limiter.admit("c@example.com", ip("2001:db8::ffff")));
        assert!(!limiter.admit("d@example.com", ip("2001:db8::3")));
        assert!(limiter.admit("d@example.com", ip("2001:db8:0:1::3")));
        // A bot spending one email's attempts from its address leaves others theirs.
        assert!(limiter.admit("owner@example.com", ip("203.0.113.9")));
        assert!(limiter.admit("owner@example.com", ip("203.0.113.9")));
        assert!(!limiter.admit("owner@example.com", ip("203.0.113.9")));
        assert!(limiter.admit("owner@example.com", ip("198.51.100.4")));
        assert!(limiter.admit("owner@example.com", ip("::ffff:198.51.100.4")));
        assert!(!limiter.admit("owner@example.com", ip("198.51.100.4")));
    }
}
