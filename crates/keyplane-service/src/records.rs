//! Reading what happened: the environment's audit trail and activity log, the account's own
//! trail, and verification usage. Each checks the caller before it reads.

use chrono::{DateTime, Utc};
use keyplane_domain::account_audit::AccountEvent;
use keyplane_domain::activity::ActivityEvent;
use keyplane_domain::audit::AuditEvent;
use keyplane_domain::scope::Scope;
use keyplane_domain::usage::{self, Granularity, UsageCount, UsagePoint, UsageRange};
use keyplane_store::{ActivityFilter, AuditFilter, Page, PageRequest};

use crate::Services;
use crate::error::ServiceError;
use crate::paging;
use crate::principal::Principal;

/// Lifecycle and settings events of the caller's environment, newest first.
pub async fn audit_events(
    services: &Services,
    principal: &Principal,
    filter: &AuditFilter,
    page: &PageRequest<i64>,
) -> Result<Page<AuditEvent>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    if filter
        .api_key_id
        .as_deref()
        .is_some_and(|id| !paging::is_id(id))
    {
        // No key has such an id: nothing to list, and nothing odd reaches the database.
        return Ok(Page {
            items: Vec::new(),
            has_more: false,
        });
    }
    let filter = AuditFilter {
        types: filter.types.clone().map(paging::distinct),
        ..filter.clone()
    };
    Ok(services
        .store
        .list_audit_events(&principal.environment.id, &filter, page)
        .await?)
}

/// The caller's environment's API requests, newest first.
pub async fn activity_events(
    services: &Services,
    principal: &Principal,
    filter: &ActivityFilter,
    page: &PageRequest<i64>,
) -> Result<Page<ActivityEvent>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    paging::storable_instant("since", filter.since)?;
    paging::storable_instant("until", filter.until)?;
    if filter
        .api_key_id
        .as_deref()
        .is_some_and(|id| !paging::is_id(id))
    {
        return Ok(Page {
            items: Vec::new(),
            has_more: false,
        });
    }
    if filter.outcome.as_ref().is_some_and(|o| {
        o.is_empty() || o.len() > 64 || !o.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
    }) {
        return Err(ServiceError::bad_input(
            "outcome",
            "outcome is OK or an error code",
        ));
    }
    Ok(services
        .store
        .list_activity(&principal.environment.id, filter, page)
        .await?)
}

/// The account's own trail (people, recoverable keys), newest first. Signed-in users only.
pub async fn account_events(
    services: &Services,
    principal: &Principal,
    page: &PageRequest<i64>,
) -> Result<Page<AccountEvent>, ServiceError> {
    principal.require_user()?;
    Ok(services
        .store
        .list_account_events(&principal.account.id, page)
        .await?)
}

/// Verification counts of an environment, or of one of its keys, per bucket of `range`,
/// optionally only those that asked for `permission`. A key reads its own environment's; a
/// user any environment of their account (`viewer.environments`).
pub async fn usage_counts(
    services: &Services,
    principal: &Principal,
    environment_id: &str,
    api_key_id: Option<&str>,
    permission: Option<&str>,
    range: UsageRange,
) -> Result<Vec<UsageCount>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    if environment_id != principal.environment.id {
        principal.require_user()?;
        let environment = services.store.environment(environment_id).await?;
        if environment.account_id != principal.account.id {
            return Err(ServiceError::not_found("environment"));
        }
    }
    Ok(services
        .store
        .usage_counts(environment_id, api_key_id, permission, range)
        .await?)
}

/// The series of an environment's verifications, or of one of its keys', over `[from, to)`
/// by `granularity`, optionally only those that asked for `permission`: every bucket of the
/// range is a point.
pub async fn usage_series(
    services: &Services,
    principal: &Principal,
    environment_id: &str,
    api_key_id: Option<&str>,
    (from, to, granularity): (DateTime<Utc>, DateTime<Utc>, Granularity),
    permission: Option<&str>,
) -> Result<Vec<UsagePoint>, ServiceError> {
    paging::storable_instant("from", Some(from))?;
    paging::storable_instant("to", Some(to))?;
    let range = UsageRange::new(from, to, granularity)?;
    let permission = permission
        .map(|p| Scope::parse(p).map_err(|e| ServiceError::from(e).with_field("permission")))
        .transpose()?
        .map(|scope| scope.to_string());
    let counts = usage_counts(
        services,
        principal,
        environment_id,
        api_key_id,
        permission.as_deref(),
        range,
    )
    .await?;
    Ok(usage::series(range, &counts))
}
