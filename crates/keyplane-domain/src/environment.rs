//! Environments: the strictly isolated spaces (production, staging, development) keys live in.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvironmentType {
    Production,
    Staging,
    Development,
}

impl EnvironmentType {
    /// The environments `keyplane init` creates, in display order.
    pub const ALL: [EnvironmentType; 3] = [Self::Production, Self::Staging, Self::Development];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Production => "PRODUCTION",
            Self::Staging => "STAGING",
            Self::Development => "DEVELOPMENT",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    pub const fn default_slug(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Staging => "staging",
            Self::Development => "development",
        }
    }

    pub const fn default_name(self) -> &'static str {
        match self {
            Self::Production => "Production",
            Self::Staging => "Staging",
            Self::Development => "Development",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub id: String,
    pub account_id: String,
    pub slug: String,
    pub name: String,
    pub env_type: EnvironmentType,
    /// Applies to keys that have no rate limit of their own; `None` means no limit.
    pub default_rate_limit: Option<crate::rate_limit::RateLimit>,
    pub client_security: crate::client_security::ClientSecurity,
    /// Whether new and rotated secrets are also kept sealed, to be revealed later.
    pub recoverable_keys: bool,
    /// What a leak report does to a scoped key of this environment.
    pub leak_policy: crate::leak::LeakPolicy,
}

/// Environment settings (default rate limit, client-side security) bind every key of the
/// environment, so only full access (`*`: the full-access key, or an owner) may change them.
pub fn ensure_may_configure(caller: &crate::scope::ScopeSet) -> Result<(), crate::RuleViolation> {
    ensure_full_access(caller, "change environment settings")
}

/// Webhook endpoints receive every event of the environment and are configured like its
/// settings: full access only, for people (owners) and keys (the full-access key) alike.
pub fn ensure_may_manage_webhooks(
    caller: &crate::scope::ScopeSet,
) -> Result<(), crate::RuleViolation> {
    ensure_full_access(caller, "manage webhook endpoints")
}

fn ensure_full_access(
    caller: &crate::scope::ScopeSet,
    what: &str,
) -> Result<(), crate::RuleViolation> {
    if caller.is_all() {
        Ok(())
    } else {
        Err(crate::RuleViolation::forbidden(
            format!("only full access (the full-access key or an owner) may {what}"),
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_access_configures_an_environment() {
        use crate::scope::{ScopePreset, ScopeSet};
        assert!(ensure_may_configure(&ScopeSet::All).is_ok());
        let err = ensure_may_configure(&ScopePreset::FullAccess.scopes()).unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::Forbidden);
    }

    #[test]
    fn environment_types_round_trip_and_have_distinct_slugs() {
        for t in EnvironmentType::ALL {
            assert_eq!(EnvironmentType::parse(t.as_str()), Some(t));
        }
        let slugs: std::collections::HashSet<_> = EnvironmentType::ALL
            .iter()
            .map(|t| t.default_slug())
            .collect();
        assert_eq!(slugs.len(), 3);
        assert_eq!(EnvironmentType::parse("production"), None);
    }
}
