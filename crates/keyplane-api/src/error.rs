//! The API's one error type, and the one place that turns it into a GraphQL error.
//!
//! `ApiError` deliberately does not implement `Display`: async-graphql converts anything
//! `Display` into an error without `extensions.code`, so resolvers return `Result<_, ApiError>`
//! and every failure goes through [`From<ApiError> for async_graphql::Error`].

use async_graphql::ErrorExtensions;
use keyplane_domain::{ErrorCode, RuleViolation};
use keyplane_store::StoreError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<&'static str>,
    pub required_scope: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            required_scope: None,
        }
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        RuleViolation::bad_input(field, message).into()
    }

    pub fn not_found(what: &str) -> Self {
        RuleViolation::not_found(what).into()
    }

    /// Names the input field at fault, for an error raised by a rule that knew it by another name.
    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalServerError, "internal error")
    }
}

impl From<RuleViolation> for ApiError {
    fn from(violation: RuleViolation) -> Self {
        Self {
            code: violation.code,
            message: violation.message,
            field: violation.field,
            required_scope: violation.required_scope.map(|s| s.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
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

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        async_graphql::Error::new(err.message).extend_with(|_, ext| {
            ext.set("code", err.code.as_str());
            if let Some(field) = err.field {
                ext.set("field", field);
            }
            if let Some(scope) = &err.required_scope {
                ext.set("requiredScope", scope.as_str());
            }
        })
    }
}
