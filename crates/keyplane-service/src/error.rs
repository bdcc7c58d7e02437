//! The application layer's one error type: every use case fails with a code a client may see
//! (`extensions.code`), a message fit for it, and where useful the input field at fault or the
//! scope that was missing.
//!
//! `ServiceError` deliberately does not implement `Display`: a front end turns it into its own
//! error shape through the one conversion it defines, never through a generic `to_string`.

use keyplane_domain::{ErrorCode, RuleViolation};
use keyplane_store::StoreError;

#[derive(Debug, Clone)]
pub struct ServiceError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<&'static str>,
    pub required_scope: Option<String>,
    /// Which check refused, where a code alone does not say (`IP_NOT_ALLOWED`).
    pub reason: Option<&'static str>,
}

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            required_scope: None,
            reason: None,
        }
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        RuleViolation::bad_input(field, message).into()
    }

    pub fn not_found(what: &str) -> Self {
        RuleViolation::not_found(what).into()
    }

    pub fn unauthenticated(message: &str) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        RuleViolation::forbidden(message, None).into()
    }

    /// Names the input field at fault, for an error raised by a rule that knew it by another name.
    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// Names the check that refused, as `extensions.reason`.
    pub fn with_reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalServerError, "internal error")
    }
}

impl From<RuleViolation> for ServiceError {
    fn from(violation: RuleViolation) -> Self {
        Self {
            code: violation.code,
            message: violation.message,
            field: violation.field,
            required_scope: violation.required_scope.map(|s| s.to_string()),
            reason: None,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Rejected(violation) => violation.into(),
            unavailable @ StoreError::Unavailable { .. } => {
                // Logged once, here, as a warning: the database's state is an operator's
                // concern, and `/readyz` reports it too.
                tracing::warn!(error = %unavailable, "database unavailable");
                Self::new(
                    ErrorCode::Unavailable,
                    "the database is unavailable; retry shortly",
                )
            }
            other => {
                // Logged once, here; the client learns only that it was internal.
                tracing::error!(error = %other, "store failure");
                Self::internal()
            }
        }
    }
}
