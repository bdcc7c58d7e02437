#![doc = include_str!("../README.md")]

mod api_keys;
mod bulk;
mod client;
mod credentials;
mod error;
#[cfg(feature = "layer")]
pub mod layer;
mod list;
mod records;
mod retry;
mod secret;
mod sessions;
mod types;
mod verify;

pub use api_keys::{
    ApiKeyFilter, CreateApiKey, CreatedApiKey, Patch, RotateApiKey, RotatedApiKey, UpdateApiKey,
};
pub use bulk::{BulkFilter, BulkRevoke, BulkRevoked, SkippedApiKey};
pub use client::{Client, ClientBuilder};
pub use credentials::{Credentials, IdempotencyKey};
pub use error::{ApiError, Error, ErrorCode, SecretKept};
pub use list::{Cursor, Page, PageRequest, Pages};
pub use records::{AuditEvent, AuditFilter, OutcomeCount, UsagePoint, UsageQuery};
/// The URL type of [`Client::base_url`].
pub use reqwest::Url;
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use sessions::{Login, SessionEnvironment, SessionUser};
pub use types::{
    Actor, ActorType, ApiKey, ApiKeyKind, ApiKeyStatus, ApiKeyType, AuditEventSubject,
    AuditEventType, GracePeriod, Quota, QuotaRefill, QuotaState, RateLimit, RateLimitMode,
    ScopePreset, UsageGranularity, VerificationCode,
};
pub use verify::{QuotaLeft, RateLimitState, VerifiedKey, VerifyAnswer, VerifyRequest};
