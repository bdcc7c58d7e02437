//! The one list of error codes a client can see (`extensions.code`), and the error every domain
//! rule returns.

use std::fmt;

use crate::scope::Scope;

/// Every `extensions.code` Keyplane answers with. Each error type in the workspace says which of
/// these it is; nothing else is ever sent to a client as a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    PlanUpgradeRequired,
    IdempotencyConflict,
    RateLimited,
    /// The request body was not a GraphQL document.
    GraphqlParseFailed,
    /// The document does not fit the schema or breaks a query limit (depth, complexity, aliases).
    GraphqlValidationFailed,
    /// The HTTP request itself is wrong: bad content type, method, body size or JSON.
    BadRequest,
    /// The database could not be reached, or lost the connection mid-request, and the request
    /// could not be retried safely inside the server. Retry later (HTTP 503, `Retry-After`).
    Unavailable,
    InternalServerError,
}

impl ErrorCode {
    /// Every code, so a caller can map text back to one of them (the metrics' outcome label
    /// is only ever one of these). A new code fails to compile the test below until listed.
    pub const ALL: [Self; 13] = [
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::BadUserInput,
        Self::Conflict,
        Self::PlanUpgradeRequired,
        Self::IdempotencyConflict,
        Self::RateLimited,
        Self::GraphqlParseFailed,
        Self::GraphqlValidationFailed,
        Self::BadRequest,
        Self::Unavailable,
        Self::InternalServerError,
    ];

    /// The code whose wire name is `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == text)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::PlanUpgradeRequired => "PLAN_UPGRADE_REQUIRED",
            Self::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::BadRequest => "BAD_REQUEST",
            Self::Unavailable => "UNAVAILABLE",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule said no. Carries the code, a message fit for a client, and where useful the input field
/// at fault or the scope that was missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleViolation {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, for `BAD_USER_INPUT`.
    pub field: Option<&'static str>,
    /// The scope the caller lacks, for `FORBIDDEN`.
    pub required_scope: Option<Scope>,
}

impl RuleViolation {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            required_scope: None,
        }
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            ..Self::new(ErrorCode::BadUserInput, message)
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn forbidden(message: impl Into<String>, required_scope: Option<Scope>) -> Self {
        Self {
            required_scope,
            ..Self::new(ErrorCode::Forbidden, message)
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_code_once_and_each_parses_back() {
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            // Exhaustive on purpose: a new code does not compile here until it is in `ALL`.
            let position = match code {
                ErrorCode::Unauthenticated => 0,
                ErrorCode::Forbidden => 1,
                ErrorCode::NotFound => 2,
                ErrorCode::BadUserInput => 3,
                ErrorCode::Conflict => 4,
                ErrorCode::PlanUpgradeRequired => 5,
                ErrorCode::IdempotencyConflict => 6,
                ErrorCode::RateLimited => 7,
                ErrorCode::GraphqlParseFailed => 8,
                ErrorCode::GraphqlValidationFailed => 9,
                ErrorCode::BadRequest => 10,
                ErrorCode::Unavailable => 11,
                ErrorCode::InternalServerError => 12,
            };
            assert_eq!(i, position, "{code}");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("forbidden"), None);
        assert_eq!(ErrorCode::parse("MADE_UP"), None);
    }
}
