//! Accounts (tenants) and their plans.

use crate::error::{ErrorCode, RuleViolation};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Free,
    Growth,
    Scale,
}

impl Plan {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Free => "FREE",
            Self::Growth => "GROWTH",
            Self::Scale => "SCALE",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Free, Self::Growth, Self::Scale]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text))
    }

    /// Scoped keys are a `SCALE` feature; the default keys work on every plan.
    pub fn require_scoped_keys(self) -> Result<(), RuleViolation> {
        match self {
            Self::Scale => Ok(()),
            _ => Err(RuleViolation::new(
                ErrorCode::PlanUpgradeRequired,
                format!(
                    "scoped keys need the SCALE plan; this account is on {}",
                    self.as_str()
                ),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub plan: Plan,
}

/// Validates an account name given at bootstrap.
pub fn parse_account_name(name: &str) -> Result<String, RuleViolation> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(RuleViolation::bad_input(
            "accountName",
            "the account name must be 1 to 100 characters",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scale_allows_scoped_keys() {
        for (plan, allowed) in [
            (Plan::Free, false),
            (Plan::Growth, false),
            (Plan::Scale, true),
        ] {
            let result = plan.require_scoped_keys();
            assert_eq!(result.is_ok(), allowed, "{plan:?}");
            if let Err(e) = result {
                assert_eq!(e.code, ErrorCode::PlanUpgradeRequired);
            }
        }
    }

    #[test]
    fn plans_parse_case_insensitively() {
        assert_eq!(Plan::parse("scale"), Some(Plan::Scale));
        assert_eq!(Plan::parse("GROWTH"), Some(Plan::Growth));
        assert_eq!(Plan::parse("enterprise"), None);
    }

    #[test]
    fn account_names_are_bounded() {
        assert!(parse_account_name("  Acme  ").is_ok_and(|n| n == "Acme"));
        assert!(parse_account_name(" ").is_err());
        assert!(parse_account_name(&"a".repeat(101)).is_err());
    }
}
