//! Third-party integrations: connecting one provisions a dedicated key with the provider's
//! fixed scopes; disconnecting revokes it.

use chrono::{DateTime, Utc};

use crate::error::RuleViolation;
use crate::scope::ScopeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegrationProvider {
    Salesforce,
    Hubspot,
}

/// One row of the provider catalogue. Adding a provider is one entry here (and its enum case).
#[derive(Debug, Clone, Copy)]
pub struct ProviderSpec {
    pub provider: IntegrationProvider,
    /// The stored name. Must never change: it is persisted.
    pub code: &'static str,
    pub display_name: &'static str,
    pub scopes: &'static [&'static str],
}

pub const PROVIDERS: &[ProviderSpec] = &[
    ProviderSpec {
        provider: IntegrationProvider::Salesforce,
        code: "SALESFORCE",
        display_name: "Salesforce",
        scopes: &["customers:write", "subscriptions:read"],
    },
    ProviderSpec {
        provider: IntegrationProvider::Hubspot,
        code: "HUBSPOT",
        display_name: "HubSpot",
        scopes: &["customers:write"],
    },
];

impl IntegrationProvider {
    pub fn spec(self) -> &'static ProviderSpec {
        PROVIDERS
            .iter()
            .find(|p| p.provider == self)
            .expect("every provider has a catalogue entry")
    }

    pub fn parse(code: &str) -> Option<Self> {
        PROVIDERS
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.provider)
    }

    /// The scopes of the provider's key: fixed, never editable.
    pub fn scopes(self) -> ScopeSet {
        let scopes: Vec<&str> = self.spec().scopes.to_vec();
        ScopeSet::from_requested(&scopes).expect("catalogue scopes are valid")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub id: String,
    pub environment_id: String,
    pub provider: IntegrationProvider,
    pub connected_at: DateTime<Utc>,
    pub disconnected_at: Option<DateTime<Utc>>,
}

/// Connecting needs the provider's scopes (no escalation through an integration).
pub fn validate_connect(
    caller: &ScopeSet,
    provider: IntegrationProvider,
) -> Result<ScopeSet, RuleViolation> {
    let scopes = provider.scopes();
    if let Some(missing) = caller.first_missing(&scopes) {
        let scope = match missing {
            crate::scope::Missing::Scope(scope) => Some(scope),
            crate::scope::Missing::All => None,
        };
        return Err(RuleViolation::forbidden(
            format!(
                "connecting {} needs scopes the calling key lacks",
                provider.spec().display_name
            ),
            scope,
        ));
    }
    Ok(scopes)
}

/// Disconnecting needs the scopes of the key it revokes, and a connected integration.
pub fn validate_disconnect(
    caller: &ScopeSet,
    integration: &Integration,
) -> Result<(), RuleViolation> {
    validate_connect(caller, integration.provider)?;
    if integration.disconnected_at.is_some() {
        return Err(RuleViolation::conflict(
            "the integration is already disconnected",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn catalogue_scopes_are_valid_and_codes_round_trip() {
        for spec in PROVIDERS {
            assert_eq!(IntegrationProvider::parse(spec.code), Some(spec.provider));
            assert!(!spec.provider.scopes().is_all());
        }
        assert_eq!(IntegrationProvider::parse("salesforce"), None);
    }

    #[test]
    fn connecting_needs_the_provider_scopes() {
        let narrow = ScopeSet::from_requested(&["api_keys:write"]).unwrap();
        let err = validate_connect(&narrow, IntegrationProvider::Hubspot).unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert_eq!(
            err.required_scope.map(|s| s.to_string()).as_deref(),
            Some("customers:write")
        );
        assert!(validate_connect(&ScopeSet::All, IntegrationProvider::Salesforce).is_ok());
    }

    #[test]
    fn disconnecting_twice_is_a_conflict() {
        let mut integration = Integration {
            id: "i".into(),
            environment_id: "e".into(),
            provider: IntegrationProvider::Hubspot,
            connected_at: Utc::now(),
            disconnected_at: None,
        };
        assert!(validate_disconnect(&ScopeSet::All, &integration).is_ok());
        integration.disconnected_at = Some(Utc::now());
        assert_eq!(
            validate_disconnect(&ScopeSet::All, &integration)
                .unwrap_err()
                .code,
            ErrorCode::Conflict
        );
    }
}
