//! People: users of an account, their roles, and what each role may do.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::error::RuleViolation;
use crate::scope::{ScopePreset, ScopeSet};

/// What a user may do. Fixed sets; an account always keeps at least one active owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything: environment settings, the full-access key, users and roles.
    Owner,
    /// Everything a key holding every scope may do to keys, and revealing recoverable keys.
    Member,
    /// Reads keys (masked), audit, activity, usage and settings; changes nothing.
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 3] = [Self::Owner, Self::Member, Self::ReadOnly];

    /// The stored and wire name. Must never change: it is persisted.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "OWNER",
            Self::Member => "MEMBER",
            Self::ReadOnly => "READ_ONLY",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The scopes the role acts with in an environment. An owner holds full access (`*`), as
    /// the full-access key does; a member holds every current scope but not full access, so the
    /// key rules keep the full-access key and environment settings from it; a read-only user
    /// holds every `read`.
    pub fn scopes(self) -> ScopeSet {
        match self {
            Self::Owner => ScopeSet::All,
            Self::Member => ScopePreset::FullAccess.scopes(),
            Self::ReadOnly => ScopePreset::ReadOnly.scopes(),
        }
    }

    /// Whether the role may read a recoverable key's full secret.
    pub const fn may_reveal(self) -> bool {
        matches!(self, Self::Owner | Self::Member)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }

    pub fn is_active_owner(&self) -> bool {
        self.is_active() && self.role == Role::Owner
    }
}

/// Only owners manage users, roles and account-wide settings.
pub fn ensure_owner(role: Role, what: &str) -> Result<(), RuleViolation> {
    if role == Role::Owner {
        Ok(())
    } else {
        Err(RuleViolation::forbidden(
            format!("only an owner may {what}"),
            None,
        ))
    }
}

/// The last-owner rule: a change that would leave the account without an active owner is
/// refused. `active_owners_after` counts them as the change would leave them.
pub fn ensure_keeps_an_owner(active_owners_after: u64) -> Result<(), RuleViolation> {
    if active_owners_after == 0 {
        Err(RuleViolation::conflict(
            "the account must keep at least one active owner",
        ))
    } else {
        Ok(())
    }
}

/// An email address as users are found by: trimmed and lower-cased. Checked only for shape
/// (one `@` with text on both sides, a dot in the domain, no spaces, at most 254 characters);
/// delivery is the inviter's concern.
pub fn parse_email(field: &'static str, text: &str) -> Result<String, RuleViolation> {
    let email = text.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(RuleViolation::bad_input(
            field,
            "give a valid email address",
        ))
    }
}

/// A display name: 1 to 100 characters once trimmed.
pub fn parse_display_name(field: &'static str, text: &str) -> Result<String, RuleViolation> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(RuleViolation::bad_input(
            field,
            "a name is 1 to 100 characters",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::scope::Scope;

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("owner"), None);
    }

    #[test]
    fn roles_act_with_their_scopes() {
        assert!(Role::Owner.scopes().is_all());
        let member = Role::Member.scopes();
        assert!(!member.is_all());
        assert!(member.allows(Scope::API_KEYS_WRITE));
        let read_only = Role::ReadOnly.scopes();
        assert!(read_only.allows(Scope::API_KEYS_READ));
        assert!(!read_only.allows(Scope::API_KEYS_WRITE));
    }

    #[test]
    fn only_owners_and_members_reveal() {
        let table = [
            (Role::Owner, true),
            (Role::Member, true),
            (Role::ReadOnly, false),
        ];
        for (role, may) in table {
            assert_eq!(role.may_reveal(), may, "{role}");
        }
    }

    #[test]
    fn the_last_active_owner_stays() {
        assert_eq!(
            ensure_keeps_an_owner(0).unwrap_err().code,
            ErrorCode::Conflict
        );
        assert!(ensure_keeps_an_owner(1).is_ok());
        assert_eq!(
            ensure_owner(Role::Member, "invite").unwrap_err().code,
            ErrorCode::Forbidden
        );
    }

    #[test]
    fn emails_are_normalised_and_checked_for_shape() {
        assert_eq!(
            parse_email("email", "  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert!(parse_email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_are_bounded() {
        assert_eq!(parse_display_name("n", " Ada ").unwrap(), "Ada");
        assert!(parse_display_name("n", "  ").is_err());
        assert!(parse_display_name("n", &"x".repeat(101)).is_err());
    }
}
