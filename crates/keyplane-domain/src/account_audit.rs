//! The account's own audit trail: changes to people and to account-wide choices, which belong
//! to no one environment's key log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::Actor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountEventType {
    UserInvited,
    /// An invitation or the setup link was accepted: the user exists from now on.
    UserJoined,
    UserRoleChanged,
    UserDisabled,
    UserEnabled,
    UserRemoved,
    /// A password was changed by its user, or reset through a reset link.
    PasswordChanged,
    /// A reset link was issued (`keyplane user reset-password`).
    PasswordResetIssued,
    /// Recoverable keys were turned on or off in an environment.
    RecoverableKeysUpdated,
}

impl AccountEventType {
    pub const ALL: [AccountEventType; 9] = [
        Self::UserInvited,
        Self::UserJoined,
        Self::UserRoleChanged,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::UserRemoved,
        Self::PasswordChanged,
        Self::PasswordResetIssued,
        Self::RecoverableKeysUpdated,
    ];

    /// The stored and wire name. Must never change: it is persisted.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserInvited => "USER_INVITED",
            Self::UserJoined => "USER_JOINED",
            Self::UserRoleChanged => "USER_ROLE_CHANGED",
            Self::UserDisabled => "USER_DISABLED",
            Self::UserEnabled => "USER_ENABLED",
            Self::UserRemoved => "USER_REMOVED",
            Self::PasswordChanged => "PASSWORD_CHANGED",
            Self::PasswordResetIssued => "PASSWORD_RESET_ISSUED",
            Self::RecoverableKeysUpdated => "RECOVERABLE_KEYS_UPDATED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// What an account event records besides its actor. Only the fields the event concerns are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountEventDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_after: Option<String>,
    /// For `RECOVERABLE_KEYS_UPDATED`: the environment and the new setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recoverable_keys: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccountEvent {
    pub event_type: AccountEventType,
    pub actor: Actor,
    /// The user the event is about, if any (kept after the user is removed).
    pub user_id: Option<String>,
    pub details: AccountEventDetails,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEvent {
    pub id: i64,
    pub account_id: String,
    pub event: NewAccountEvent,
    pub occurred_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for t in AccountEventType::ALL {
            assert_eq!(AccountEventType::parse(t.as_str()), Some(t));
        }
    }
}
