//! The API's one error type, and the one place that turns it into a GraphQL error.
//!
//! `ApiError` wraps the application layer's `ServiceError` and deliberately does not
//! implement `Display`: async-graphql converts anything `Display` into an error without
//! `extensions.code`, so resolvers return `Result<_, ApiError>` and every failure goes through
//! [`From<ApiError> for async_graphql::Error`].

use std::ops::Deref;

use async_graphql::ErrorExtensions;
use keyplane_domain::{ErrorCode, RuleViolation};
use keyplane_service::ServiceError;
use keyplane_store::StoreError;

#[derive(Debug, Clone)]
pub struct ApiError(pub ServiceError);

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ServiceError::new(code, message))
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self(ServiceError::bad_input(field, message))
    }

    pub fn not_found(what: &str) -> Self {
        Self(ServiceError::not_found(what))
    }

    pub fn with_field(self, field: &'static str) -> Self {
        Self(self.0.with_field(field))
    }

    pub fn internal() -> Self {
        Self(ServiceError::internal())
    }
}

impl Deref for ApiError {
    type Target = ServiceError;

    fn deref(&self) -> &ServiceError {
        &self.0
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        Self(err)
    }
}

impl From<RuleViolation> for ApiError {
    fn from(violation: RuleViolation) -> Self {
        Self(violation.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self(err.into())
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(ApiError(err): ApiError) -> Self {
        async_graphql::Error::new(err.message).extend_with(|_, ext| {
            ext.set("code", err.code.as_str());
            if let Some(field) = err.field {
                ext.set("field", field);
            }
            if let Some(scope) = &err.required_scope {
                ext.set("requiredScope", scope.as_str());
            }
            if let Some(reason) = err.reason {
                ext.set("reason", reason);
            }
        })
    }
}
