//! Sessions: what a successful login opens, and when it ends.

use chrono::{DateTime, Duration, Utc};

/// When a session ends: after `idle` without a request, and `absolute` after login whatever
/// happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::hours(12),
            absolute: Duration::days(7),
        }
    }
}

/// How stale `last_seen_at` may get before a request writes it again: idle expiry is exact to
/// this, and a busy console writes once a minute, not once a request.
pub const LAST_SEEN_RESOLUTION: Duration = Duration::seconds(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute end, fixed at login.
    pub expires_at: DateTime<Utc>,
    /// The client's `User-Agent` at login, cut to 200 characters, to tell sessions apart.
    pub user_agent: Option<String>,
}

impl Session {
    /// When the session ends if no request comes first.
    pub fn ends_at(&self, policy: SessionPolicy) -> DateTime<Utc> {
        self.expires_at.min(self.last_seen_at + policy.idle)
    }

    pub fn is_live(&self, policy: SessionPolicy, now: DateTime<Utc>) -> bool {
        now < self.ends_at(policy)
    }

    /// Whether this request should record itself as the session's last activity.
    pub fn needs_touch(&self, now: DateTime<Utc>) -> bool {
        now - self.last_seen_at >= LAST_SEEN_RESOLUTION
    }
}

/// A `User-Agent` as kept with a session.
pub fn clip_user_agent(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn a_session_ends_idle_or_absolute_whichever_is_first() {
        let policy = SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::minutes(100),
        };
        let mut session = Session {
            id: "s".into(),
            user_id: "u".into(),
            created_at: at(0),
            last_seen_at: at(0),
            expires_at: at(100),
            user_agent: None,
        };
        let table = [(29, true), (30, false)];
        for (minute, live) in table {
            assert_eq!(session.is_live(policy, at(minute)), live, "minute {minute}");
        }
        session.last_seen_at = at(90);
        assert!(session.is_live(policy, at(99)));
        assert!(!session.is_live(policy, at(100)), "absolute end");
        assert!(!session.needs_touch(at(90)));
        assert!(session.needs_touch(at(91)));
    }
}
