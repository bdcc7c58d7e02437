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

/// Longest operation name, and longest root field name, an activity row keeps (characters).
/// The caller writes both, so a row stays small whatever the request held.
pub const MAX_RECORDED_NAME_CHARS: usize = 100;
/// Most root fields an activity row keeps.
pub const MAX_RECORDED_ROOT_FIELDS: usize = 20;

fn clip(name: &str) -> String {
    name.chars().take(MAX_RECORDED_NAME_CHARS).collect()
}

impl NewActivityEvent {
    /// The event as it is kept: what the caller named (the operation, the root fields, which
    /// may be made up) cut to [`MAX_RECORDED_NAME_CHARS`] and [`MAX_RECORDED_ROOT_FIELDS`].
    pub fn bounded(self) -> Self {
        Self {
            operation_name: self.operation_name.as_deref().map(clip),
            root_fields: self
                .root_fields
                .iter()
                .take(MAX_RECORDED_ROOT_FIELDS)
                .map(|field| clip(field))
                .collect(),
            ..self
        }
    }
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

    fn event(operation_name: Option<String>, root_fields: Vec<String>) -> NewActivityEvent {
        NewActivityEvent {
            environment_id: None,
            api_key_id: None,
            user_id: None,
            operation_name,
            operation_type: None,
            root_fields,
            outcome: OUTCOME_OK.to_owned(),
            http_status: 200,
            duration_micros: 1,
            occurred_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn what_the_caller_named_is_kept_within_bounds() {
        let long = "é".repeat(MAX_RECORDED_NAME_CHARS + 50);
        let many: Vec<String> = (0..MAX_RECORDED_ROOT_FIELDS + 5)
            .map(|i| format!("f{i}"))
            .collect();
        let cases = [
            (event(None, vec![]), None, 0),
            (
                event(Some("Short".into()), vec!["viewer".into()]),
                Some("Short".to_owned()),
                1,
            ),
            (
                event(Some(long.clone()), vec![long.clone()]),
                Some("é".repeat(MAX_RECORDED_NAME_CHARS)),
                1,
            ),
            (event(None, many.clone()), None, MAX_RECORDED_ROOT_FIELDS),
        ];
        for (given, name, fields) in cases {
            let kept = given.clone().bounded();
            assert_eq!(kept.operation_name, name);
            assert_eq!(kept.root_fields.len(), fields);
            assert!(
                kept.root_fields
                    .iter()
                    .all(|f| f.chars().count() <= MAX_RECORDED_NAME_CHARS)
            );
            let prefixes = kept.root_fields.iter().zip(&given.root_fields);
            assert!(prefixes.into_iter().all(|(k, g)| g.starts_with(k.as_str())));
            assert_eq!(kept.outcome, given.outcome);
        }
    }
}
