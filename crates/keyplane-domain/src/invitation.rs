//! One-time links that let a person in: the first owner's setup, an invitation, a password
//! reset. Each is used once, before it expires.

use chrono::{DateTime, Duration, Utc};

use crate::error::RuleViolation;
use crate::user::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Made at bootstrap: accepting it creates an owner with the email given then.
    Setup,
    /// Made by an owner (or `keyplane user add`): accepting it creates the invited user.
    Invitation,
    /// Made by `keyplane user reset-password`: accepting it sets a new password.
    PasswordReset,
}

impl LinkPurpose {
    /// The stored name. Must never change: it is persisted.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Setup => "SETUP",
            Self::Invitation => "INVITATION",
            Self::PasswordReset => "PASSWORD_RESET",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Setup, Self::Invitation, Self::PasswordReset]
            .into_iter()
            .find(|p| p.as_str() == text)
    }

    /// How long a link of this purpose is valid.
    pub fn validity(self) -> Duration {
        match self {
            Self::Setup | Self::PasswordReset => Duration::hours(24),
            Self::Invitation => Duration::hours(72),
        }
    }

    /// The link a person opens: the console page, with the token in the fragment (which
    /// browsers never send to a server, so it stays out of access logs).
    pub fn url(self, public_url: &str, token: &crate::token::Token) -> String {
        format!(
            "{}{}#{}",
            public_url.trim_end_matches('/'),
            self.console_path(),
            token.expose()
        )
    }

    /// The console page the link opens.
    pub const fn console_path(self) -> &'static str {
        match self {
            Self::Setup => "/console/setup",
            Self::Invitation => "/console/invitation",
            Self::PasswordReset => "/console/reset-password",
        }
    }
}

/// A stored link (never its token, only the token's digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: String,
    pub account_id: String,
    pub purpose: LinkPurpose,
    /// The invited email (`INVITATION`); `None` for setup, where the owner gives theirs.
    pub email: Option<String>,
    /// The role the accepted user gets (`SETUP` is always `OWNER`).
    pub role: Option<Role>,
    /// The user whose password is reset (`PASSWORD_RESET`).
    pub user_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl Link {
    /// A link is good once, before it expires. Every other state reads the same to the person
    /// holding it, so nothing about the link leaks.
    pub fn ensure_usable(&self, now: DateTime<Utc>) -> Result<(), RuleViolation> {
        if self.used_at.is_some() || now >= self.expires_at {
            Err(invalid_link())
        } else {
            Ok(())
        }
    }
}

pub fn invalid_link() -> RuleViolation {
    RuleViolation::bad_input(
        "token",
        "the link is not valid: it may have expired or been used",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_once_before_it_expires() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut link = Link {
            id: "l".into(),
            account_id: "a".into(),
            purpose: LinkPurpose::Invitation,
            email: Some("ada@example.com".into()),
            role: Some(Role::Member),
            user_id: None,
            created_at: now,
            expires_at: now + LinkPurpose::Invitation.validity(),
            used_at: None,
        };
        assert!(link.ensure_usable(now + Duration::hours(71)).is_ok());
        assert!(link.ensure_usable(now + Duration::hours(72)).is_err());
        link.used_at = Some(now);
        assert!(link.ensure_usable(now).is_err());
        for purpose in [
            LinkPurpose::Setup,
            LinkPurpose::Invitation,
            LinkPurpose::PasswordReset,
        ] {
            assert_eq!(LinkPurpose::parse(purpose.as_str()), Some(purpose));
        }
    }
}
