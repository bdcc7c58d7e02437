//! Leak response: reports of exposed secrets, from a secret-scanning partner (authenticated
//! by the operator's reporter token) or from any caller with `api_keys:write`. Each reported
//! string is parsed and hashed like a presented key; a match gets `KEY_LEAKED` and, under its
//! environment's policy, is revoked at once. The answer says only whether each string was a
//! Keyplane key, never which one; nothing reported is ever logged.

use chrono::Utc;
use hmac::{Hmac, Mac};
use keyplane_domain::audit::{Actor, ActorType};
use keyplane_domain::leak::{LeakLocation, ensure_report_size};
use keyplane_domain::scope::Scope;
use keyplane_domain::secret::KeySecret;
use keyplane_store::{Change, KeyChange};
use sha2::Sha256;

use crate::Services;
use crate::error::ServiceError;
use crate::principal::Principal;

/// One reported string and where it was found.
pub struct ReportedSecret<'a> {
    pub token: &'a str,
    pub location: LeakLocation,
}

impl std::fmt::Debug for ReportedSecret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportedSecret")
            .field("token", &"redacted")
            .field("location", &self.location)
            .finish()
    }
}

/// A partner authenticated by the reporter token.
#[derive(Debug)]
pub struct Reporter(());

/// Checks a presented reporter token in constant time. Without a configured token, leak
/// reports are off.
pub fn authenticate_reporter(
    services: &Services,
    presented: Option<&str>,
) -> Result<Reporter, ServiceError> {
    let Some(expected) = services.settings.leak_reporter_token.as_deref() else {
        return Err(ServiceError::not_found(
            "leak reports endpoint (set --leak-reporter-token to turn it on)",
        ));
    };
    let presented = presented.unwrap_or_default();
    // Comparing MACs of both under one key takes the same time wherever they differ.
    let mac = |text: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"keyplane leak reporter")
            .expect("HMAC takes a key of any length");
        mac.update(text.as_bytes());
        mac
    };
    let expected = mac(expected).finalize().into_bytes();
    if mac(presented).verify_slice(&expected).is_err() {
        return Err(ServiceError::unauthenticated(
            "the leak reporter token is missing or wrong",
        ));
    }
    Ok(Reporter(()))
}

fn reporter_actor() -> Actor {
    Actor {
        actor_type: ActorType::System,
        id: None,
        name: "Leak report".to_owned(),
    }
}

/// A partner's report: answers, per string in order, whether it was a Keyplane key.
pub async fn report(
    services: &Services,
    _reporter: &Reporter,
    reports: &[ReportedSecret<'_>],
) -> Result<Vec<bool>, ServiceError> {
    ensure_report_size(reports.len())?;
    let mut answers = Vec::with_capacity(reports.len());
    for reported in reports {
        answers.push(handle(services, reported, None).await?);
    }
    Ok(answers)
}

/// `reportLeakedApiKey`: the same for one secret, from a caller with `api_keys:write`. A key
/// of the caller's own account is changed in the caller's name; any other in the name of a
/// leak report, so no account learns who in another reported it.
pub async fn report_from_api(
    services: &Services,
    principal: &Principal,
    reported: &ReportedSecret<'_>,
) -> Result<bool, ServiceError> {
    principal.require(Scope::API_KEYS_WRITE)?;
    handle(services, reported, Some(principal)).await
}

async fn handle(
    services: &Services,
    reported: &ReportedSecret<'_>,
    principal: Option<&Principal>,
) -> Result<bool, ServiceError> {
    let Ok(secret) = KeySecret::parse(reported.token.trim()) else {
        return Ok(false);
    };
    let hash = services.hasher.hash(&secret);
    let Some(key) = services.store.find_key_by_hash(&hash).await? else {
        return Ok(false);
    };
    if key.revoked_at.is_some() {
        // Already unusable: a true positive, with nothing left to do.
        return Ok(true);
    }
    let environment = services.store.environment(&key.environment_id).await?;
    let actor = match principal {
        Some(p) if p.account.id == environment.account_id => p.actor(),
        _ => reporter_actor(),
    };
    let action = environment.leak_policy.action_for(key.key_type);
    let leak = reported.location.snapshot(action);
    let changed = services
        .store
        .change_key(
            &key.environment_id,
            &key.id,
            &actor,
            Utc::now(),
            |current, _| {
                if current.revoked_at.is_some() {
                    return Err(keyplane_domain::RuleViolation::conflict("already revoked"));
                }
                Ok(KeyChange::Leaked(leak.clone()))
            },
        )
        .await;
    match changed {
        Ok(_) => services.cache.evict(&Change::Key(key.id.clone())),
        // Revoked meanwhile: nothing to add.
        Err(keyplane_store::StoreError::Rejected(_)) => {}
        Err(err) => return Err(err.into()),
    }
    Ok(true)
}
