//! Key policies' use cases: revoking many keys at once, and switching one off and on.

use std::collections::HashSet;

use chrono::Utc;
use keyplane_domain::disablement::{self, Disabler};
use keyplane_domain::key::ApiKey;
use keyplane_domain::lifecycle;
use keyplane_domain::user::Role;
use keyplane_store::{BulkRevocation, Change, KeyChange, KeySelection, RevocationBatch};

use super::change;
use crate::Services;
use crate::error::ServiceError;
use crate::principal::Principal;

/// The most keys one `revokeApiKeys` call may name or match.
pub const MAX_BULK_REVOCATION: usize = 1000;

/// A bulk revocation's selection: exactly one of `ids` or `filter`.
pub fn selection(
    ids: Option<Vec<String>>,
    filter: Option<keyplane_store::KeyFilter>,
) -> Result<KeySelection, ServiceError> {
    match (ids, filter) {
        (Some(ids), None) => {
            // Only ids are ever repeated back (a skipped key's id): never other text.
            if let Some(index) = ids.iter().position(|id| !crate::paging::is_id(id)) {
                return Err(ServiceError::bad_input(
                    "ids",
                    format!("ids[{index}] is not an API key id"),
                ));
            }
            Ok(KeySelection::Ids(ids))
        }
        (None, Some(filter)) => Ok(KeySelection::Filter(filter)),
        _ => Err(ServiceError::bad_input(
            "input",
            "give exactly one of ids or filter",
        )),
    }
}

/// Revokes many keys in one transaction: each is decided by the rule of [`revoke`], and the
/// ones it refuses are skipped with the reason. Up to [`MAX_BULK_REVOCATION`] ids, or a filter
/// (with at least one criterion) matching at most that many unrevoked keys.
pub async fn revoke_many(
    services: &Services,
    principal: &Principal,
    selection: KeySelection,
) -> Result<BulkRevocation, ServiceError> {
    principal.require_key_manager()?;
    let selection = match selection {
        KeySelection::Ids(ids) => {
            let mut seen = HashSet::with_capacity(ids.len());
            let unique: Vec<String> = ids
                .into_iter()
                .filter(|id| seen.insert(id.clone()))
                .collect();
            if unique.is_empty() || unique.len() > MAX_BULK_REVOCATION {
                return Err(ServiceError::bad_input(
                    "ids",
                    format!("give 1 to {MAX_BULK_REVOCATION} key ids"),
                ));
            }
            KeySelection::Ids(unique)
        }
        KeySelection::Filter(filter) if filter.is_unrestricted() => {
            return Err(ServiceError::bad_input(
                "filter",
                "give at least one filter criterion: an empty filter would match every key",
            ));
        }
        filter @ KeySelection::Filter(_) => filter,
    };
    let now = Utc::now();
    let batch = RevocationBatch {
        selection,
        max: MAX_BULK_REVOCATION,
        expiring_soon: services.settings.expiring_soon,
    };
    let revocation = services
        .store
        .revoke_keys(
            &principal.environment.id,
            &batch,
            &principal.actor(),
            now,
            |key, context| {
                lifecycle::validate_revoke(
                    principal.scopes(),
                    key,
                    context.other_usable_full_access,
                    now,
                )
            },
        )
        .await?;
    for key in &revocation.revoked {
        services.cache.evict(&Change::Key(key.id.clone()));
    }
    Ok(revocation)
}

/// Switches a key off until it is enabled: it is refused like a revoked key meanwhile. The
/// full-access key needs an owner and another usable full-access key.
pub async fn disable(
    services: &Services,
    principal: &Principal,
    id: &str,
    reason: &str,
) -> Result<ApiKey, ServiceError> {
    let disabler = match principal.user() {
        Some(signed_in) if signed_in.user.role == Role::Owner => Disabler::Owner,
        _ => Disabler::Other,
    };
    change(services, principal, id, |caller, key, context, now| {
        let disabled = disablement::validate_disable(
            caller,
            disabler,
            key,
            reason,
            context.other_usable_full_access,
            now,
        )?;
        Ok(KeyChange::Disable(disabled))
    })
    .await
}

/// Switches a disabled key back on.
pub async fn enable(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<ApiKey, ServiceError> {
    change(services, principal, id, |caller, key, _, _| {
        disablement::validate_enable(caller, key)?;
        Ok(KeyChange::Enable)
    })
    .await
}
