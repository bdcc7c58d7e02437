//! Activity events: one API request each, who made it, what it asked and how it ended.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationType {
    Query,
    Mutation,
    Subscription,
}

impl OperationType {
    /// The stored and wire name. Must never change: it is persisted.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Query => "QUERY",
            Self::Mutation => "MUTATION",
            Self::Subscription => "SUBSCRIPTION",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Query, Self::Mutation, Self::Subscription]
            .into_iter()
            .find(|t| t.as_str() == text)
    }
}

/// The outcome of a request that succeeded.
pub const OUTCOME_OK: &str = "OK";

/// A request to record. The environment and key are absent when authentication failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivityEvent {
    pub environment_id: Option<String>,
    pub api_key_id: Option<String>,
    /// The user who made the call, for calls made with a session.
    pub user_id: Option<String>,
    pub operation_name: Option<String>,
    pub operation_type: Option<OperationType>,
    pub root_fields: Vec<String>,
    /// `OK`, or the code of the request's first error.
    pub outcome: String,
    pub http_status: u16,
    pub duration_micros: i64,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEvent {
    pub id: i64,
    pub event: NewActivityEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_types_round_trip() {
        for t in [
            OperationType::Query,
            OperationType::Mutation,
            OperationType::Subscription,
        ] {
            assert_eq!(OperationType::parse(t.as_str()), Some(t));
        }
        assert_eq!(OperationType::parse("query"), None);
    }
}
