//! The enums of both front ends, each mirroring a domain enum (`remote` derives the
//! conversions both ways): GraphQL enums, and in REST JSON and query parameters the same
//! upper-case names (serde, utoipa).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use async_graphql::Enum;

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::key::ApiKeyType")]
pub enum ApiKeyType {
    FullAccess,
    Publishable,
    Scoped,
    Integration,
}

/// `DEFAULT` groups the system keys (full-access, publishable, integration); `SCOPED` the keys
/// users create.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::key::ApiKeyKind")]
pub enum ApiKeyKind {
    Default,
    Scoped,
}

/// Derived from revocation, expiry and disabling at the moment of the request; never stored.
/// `REVOKED` wins, then `EXPIRED`, then `DISABLED`.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::key::KeyStatus")]
pub enum ApiKeyStatus {
    Active,
    ExpiringSoon,
    Expired,
    Revoked,
    /// Switched off by `disableApiKey` until `enableApiKey`.
    Disabled,
}

/// How long a rotated key's old secret keeps working.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::rotation::GracePeriod")]
pub enum GracePeriod {
    Now,
    OneHour,
    OneDay,
    ThreeDays,
    SevenDays,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::scope::ScopePreset")]
pub enum ScopePreset {
    FullAccess,
    ReadOnly,
    CustomersWrite,
    SubscriptionsWrite,
    CouponsWrite,
    ApiKeysReadWrite,
    EventQueueRead,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::account::Plan")]
pub enum Plan {
    Free,
    Growth,
    Scale,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::environment::EnvironmentType")]
pub enum EnvironmentType {
    Production,
    Staging,
    Development,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::audit::ActorType")]
pub enum ActorType {
    ApiKey,
    User,
    System,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::audit::AuditEventType")]
pub enum AuditEventType {
    KeyCreated,
    KeyUpdated,
    ScopesUpdated,
    KeyRotated,
    ExpirationChanged,
    KeyRevoked,
    DefaultRateLimitChanged,
    ClientSecurityUpdated,
    SigningSecretRotated,
    IntegrationConnected,
    IntegrationDisconnected,
    KeyRevealed,
    KeyDisabled,
    KeyEnabled,
    KeyLeaked,
    WebhookEndpointCreated,
    WebhookEndpointUpdated,
    WebhookEndpointDeleted,
    LeakPolicyChanged,
}

/// What a leak report does to a scoped key: revoke it at once, or only record and announce
/// it. Full-access, publishable and integration keys are always only announced.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::leak::LeakPolicy")]
pub enum LeakPolicy {
    Revoke,
    Notify,
}

/// What a leak report did to the key.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::leak::LeakAction")]
pub enum LeakAction {
    Revoked,
    Notified,
}

/// Where a webhook delivery stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::webhook::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Due, waiting for its next attempt, or behind an earlier event of the same key.
    Pending,
    Succeeded,
    /// Every attempt within 24 hours failed; `replayWebhookDelivery` sends it again.
    Failed,
}

/// What a user may do: see the roles table in docs/people.md.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::user::Role")]
pub enum UserRole {
    Owner,
    Member,
    ReadOnly,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::account_audit::AccountEventType")]
pub enum AccountAuditEventType {
    UserInvited,
    UserJoined,
    UserRoleChanged,
    UserDisabled,
    UserEnabled,
    UserRemoved,
    PasswordChanged,
    PasswordResetIssued,
    RecoverableKeysUpdated,
}

/// What an audit event is about: one key, or the environment's settings (client-side
/// security, signing secrets, the default rate limit, integrations).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::audit::AuditSubject")]
pub enum AuditEventSubject {
    ApiKey,
    Environment,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::activity::OperationType")]
pub enum OperationType {
    Query,
    Mutation,
    Subscription,
}

/// Third-party providers Keyplane can provision an integration key for.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::integration::IntegrationProvider")]
pub enum IntegrationProvider {
    Salesforce,
    Hubspot,
}
