//! The lifecycle rules of SPEC.md §3 for creating, editing and revoking keys. Each function takes
//! the caller's scopes, the target and `now`, and answers with a decision or a coded violation.
//! Rotation and expiration live in [`crate::rotation`].

use chrono::{DateTime, Duration, Utc};

use crate::account::Plan;
use crate::customer::parse_customer_ids;
use crate::disablement::ensure_not_last_full_access;
use crate::error::RuleViolation;
use crate::ip_ranges::{IpRanges, MAX_ALLOWED_IPS};
use crate::key::{ApiKey, ApiKeyType, parse_key_description, parse_key_name};
use crate::metadata::{Metadata, parse_external_id};
use crate::quota::Quota;
use crate::rate_limit::RateLimit;
use crate::scope::{Missing, ScopePreset, ScopeSet};

/// The furthest in the future any expiration may be set.
pub const MAX_EXPIRY_AHEAD: Duration = Duration::days(365);

/// An expiration given by a caller must be in the future and at most a year out.
pub fn validate_expiration(
    field: &'static str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, RuleViolation> {
    if at <= now {
        return Err(RuleViolation::bad_input(
            field,
            "the expiration must be in the future",
        ));
    }
    if at > now + MAX_EXPIRY_AHEAD {
        return Err(RuleViolation::bad_input(
            field,
            "the expiration must be at most one year from now",
        ));
    }
    Ok(at)
}

/// What a caller asked for when creating a scoped key, unvalidated.
#[derive(Debug, Clone, Copy)]
pub struct CreateKeyRequest<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub scopes: Option<&'a [String]>,
    pub preset: Option<ScopePreset>,
    pub expires_at: Option<DateTime<Utc>>,
    pub customer_ids: Option<&'a [String]>,
    pub rate_limit: Option<RateLimit>,
    pub metadata: Option<&'a serde_json::Value>,
    pub external_id: Option<&'a str>,
    pub allowed_ips: Option<&'a [String]>,
    pub quota: Option<Quota>,
}

/// A scoped key that passed every creation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScopedKey {
    pub name: String,
    pub description: Option<String>,
    pub scopes: ScopeSet,
    pub expires_at: Option<DateTime<Utc>>,
    pub customer_ids: Option<Vec<String>>,
    pub rate_limit: Option<RateLimit>,
    pub metadata: Option<Metadata>,
    pub external_id: Option<String>,
    pub allowed_ips: Option<IpRanges>,
    pub quota: Option<Quota>,
}

/// An IP allow-list given by a caller: 1 to 100 addresses or CIDR ranges.
pub fn parse_allowed_ips(entries: &[String]) -> Result<IpRanges, RuleViolation> {
    IpRanges::parse("allowedIps", entries, MAX_ALLOWED_IPS)
}

/// Exactly one of an explicit scope list or a preset.
pub fn resolve_scopes(
    scopes: Option<&[String]>,
    preset: Option<ScopePreset>,
) -> Result<ScopeSet, RuleViolation> {
    match (scopes, preset) {
        (Some(scopes), None) => ScopeSet::from_requested(scopes),
        (None, Some(preset)) => Ok(preset.scopes()),
        _ => Err(RuleViolation::bad_input(
            "scopes",
            "give exactly one of scopes or preset",
        )),
    }
}

/// Rule 2 and 3 for creation: plan, input shape, and no scope the caller lacks.
pub fn validate_create(
    caller: &ScopeSet,
    plan: Plan,
    request: CreateKeyRequest<'_>,
    now: DateTime<Utc>,
) -> Result<NewScopedKey, RuleViolation> {
    plan.require_scoped_keys()?;
    let name = parse_key_name(request.name)?;
    let description = parse_key_description(request.description)?;
    let scopes = resolve_scopes(request.scopes, request.preset)?;
    let expires_at = request
        .expires_at
        .map(|at| validate_expiration("expiresAt", at, now))
        .transpose()?;
    let customer_ids = request.customer_ids.map(parse_customer_ids).transpose()?;
    let metadata = request.metadata.map(Metadata::parse).transpose()?;
    let external_id = request.external_id.map(parse_external_id).transpose()?;
    let allowed_ips = request.allowed_ips.map(parse_allowed_ips).transpose()?;
    ensure_covers(caller, &scopes, "grant")?;
    Ok(NewScopedKey {
        name,
        description,
        scopes,
        expires_at,
        customer_ids,
        rate_limit: request.rate_limit,
        metadata,
        external_id,
        allowed_ips,
        quota: request.quota,
    })
}

/// Rule 3: a caller may act only on keys whose scopes are a subset of its own.
pub fn ensure_may_manage(caller: &ScopeSet, target: &ApiKey) -> Result<(), RuleViolation> {
    ensure_covers(caller, &target.scopes, "manage a key with")
}

fn ensure_covers(caller: &ScopeSet, wanted: &ScopeSet, verb: &str) -> Result<(), RuleViolation> {
    match caller.first_missing(wanted) {
        None => Ok(()),
        Some(Missing::All) => Err(RuleViolation::forbidden(
            format!("only a full-access key may {verb} full access"),
            None,
        )),
        Some(Missing::Scope(scope)) => Err(RuleViolation::forbidden(
            format!("the calling key cannot {verb} the scope {scope} it lacks"),
            Some(scope),
        )),
    }
}

fn ensure_not_revoked(target: &ApiKey) -> Result<(), RuleViolation> {
    match target.revoked_at {
        Some(_) => Err(RuleViolation::conflict("the key is revoked")),
        None => Ok(()),
    }
}

fn ensure_editable(target: &ApiKey, what: &str) -> Result<(), RuleViolation> {
    if target.key_type.is_editable() {
        Ok(())
    } else {
        Err(RuleViolation::conflict(format!(
            "the {what} of a {} key cannot be changed",
            target.key_type.as_str()
        )))
    }
}

/// What `updateApiKey` asked to change. `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsRequest<'a> {
    pub name: Option<&'a str>,
    pub description: Option<Option<&'a str>>,
    pub customer_ids: Option<Option<&'a [String]>>,
    pub rate_limit: Option<Option<RateLimit>>,
    pub metadata: Option<Option<&'a serde_json::Value>>,
    pub external_id: Option<Option<&'a str>>,
    pub allowed_ips: Option<Option<&'a [String]>>,
    pub quota: Option<Option<Quota>>,
}

/// A key's settings after a validated `updateApiKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsChange {
    pub name: String,
    pub description: Option<String>,
    pub customer_ids: Option<Vec<String>>,
    pub rate_limit: Option<RateLimit>,
    pub metadata: Option<Metadata>,
    pub external_id: Option<String>,
    pub allowed_ips: Option<IpRanges>,
    /// The quota as set; a changed one starts a new count.
    pub quota: Option<Quota>,
}

impl SettingsChange {
    /// A key's settings as they are, the "before" of a change.
    pub fn of(key: &ApiKey) -> Self {
        Self {
            name: key.name.clone(),
            description: key.description.clone(),
            customer_ids: key.customer_ids.clone(),
            rate_limit: key.rate_limit,
            metadata: key.metadata.clone(),
            external_id: key.external_id.clone(),
            allowed_ips: key.allowed_ips.clone(),
            quota: key.quota.map(|q| q.quota),
        }
    }
}

/// `updateApiKey`: name, description and customer restriction of scoped keys; the rate limit,
/// metadata, external id and IP allow-list of any key. Not on revoked keys, and only within the caller's reach.
pub fn validate_settings_change(
    caller: &ScopeSet,
    target: &ApiKey,
    request: SettingsRequest<'_>,
) -> Result<SettingsChange, RuleViolation> {
    let name = request.name.map(parse_key_name).transpose()?;
    let description = request.description.map(parse_key_description).transpose()?;
    let customer_ids = request
        .customer_ids
        .map(|ids| ids.map(parse_customer_ids).transpose())
        .transpose()?;
    let metadata = request
        .metadata
        .map(|value| value.map(Metadata::parse).transpose())
        .transpose()?;
    let external_id = request
        .external_id
        .map(|id| id.map(parse_external_id).transpose())
        .transpose()?;
    let allowed_ips = request
        .allowed_ips
        .map(|ips| ips.map(parse_allowed_ips).transpose())
        .transpose()?;
    if name.is_none()
        && description.is_none()
        && customer_ids.is_none()
        && request.rate_limit.is_none()
        && metadata.is_none()
        && external_id.is_none()
        && allowed_ips.is_none()
        && request.quota.is_none()
    {
        return Err(RuleViolation::bad_input(
            "input",
            "give a name, description, customerIds, rateLimit, metadata, externalId, allowedIps or quota to change",
        ));
    }
    if name.is_some() || description.is_some() || customer_ids.is_some() {
        ensure_editable(target, "name, description and customers")?;
    }
    ensure_may_manage(caller, target)?;
    ensure_not_revoked(target)?;
    Ok(SettingsChange {
        name: name.unwrap_or_else(|| target.name.clone()),
        description: description.unwrap_or_else(|| target.description.clone()),
        customer_ids: customer_ids.unwrap_or_else(|| target.customer_ids.clone()),
        rate_limit: request.rate_limit.unwrap_or(target.rate_limit),
        metadata: metadata.unwrap_or_else(|| target.metadata.clone()),
        external_id: external_id.unwrap_or_else(|| target.external_id.clone()),
        allowed_ips: allowed_ips.unwrap_or_else(|| target.allowed_ips.clone()),
        quota: request.quota.unwrap_or(target.quota.map(|q| q.quota)),
    })
}

/// Rule 7 and 3: `updateApiKeyScopes`. Scoped keys only; the caller must hold both the old and
/// the new scopes.
pub fn validate_scope_change(
    caller: &ScopeSet,
    target: &ApiKey,
    scopes: Option<&[String]>,
    preset: Option<ScopePreset>,
    now: DateTime<Utc>,
) -> Result<ScopeSet, RuleViolation> {
    let new_scopes = resolve_scopes(scopes, preset)?;
    ensure_editable(target, "scopes")?;
    ensure_may_manage(caller, target)?;
    ensure_covers(caller, &new_scopes, "grant")?;
    ensure_not_revoked(target)?;
    if target.is_expired(now) {
        return Err(RuleViolation::conflict("the key has expired"));
    }
    Ok(new_scopes)
}

/// Revealing a recoverable key's secret hands over everything the key may do, so the caller
/// must be able to manage the key (a member never reads a full-access secret), and the key must
/// not be revoked.
pub fn validate_reveal(caller: &ScopeSet, target: &ApiKey) -> Result<(), RuleViolation> {
    ensure_may_manage(caller, target)?;
    ensure_not_revoked(target)
}

/// Rule 6: revocation is immediate and irreversible. Default keys must have an expiration
/// first (rotate them), so an environment always keeps a usable default key; a usable
/// full-access key also needs `other_usable_full_access` (another one that works now).
pub fn validate_revoke(
    caller: &ScopeSet,
    target: &ApiKey,
    other_usable_full_access: usize,
    now: DateTime<Utc>,
) -> Result<(), RuleViolation> {
    ensure_may_manage(caller, target)?;
    ensure_not_revoked(target)?;
    match target.key_type {
        ApiKeyType::Scoped => Ok(()),
        ApiKeyType::Integration => Err(RuleViolation::conflict(
            "an integration key is removed by disconnecting its integration",
        )),
        ApiKeyType::FullAccess | ApiKeyType::Publishable if target.expires_at.is_none() => {
            Err(RuleViolation::conflict(
                "a default key without an expiration cannot be revoked: rotate it first",
            ))
        }
        ApiKeyType::FullAccess if target.check_usable(now).is_ok() => {
            ensure_not_last_full_access(other_usable_full_access, "revoke")
        }
        ApiKeyType::FullAccess | ApiKeyType::Publishable => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests;
