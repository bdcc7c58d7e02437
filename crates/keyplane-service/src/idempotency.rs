//! Idempotent mutations: a request carrying an `Idempotency-Key` is claimed before it runs,
//! its response stored (sealed) when it finishes, and replayed to the same caller's retries.
//!
//! A replay hands back what the mutation answered, a created key's secret or an invitation
//! link included, so it is answered only to a caller who could still run that mutation: the
//! record keeps the caller's [`Authority`] when it ran, and a replay needs all of it now (the
//! scopes, or the role's scopes, and a key's unchanged bounds). Otherwise the caller gets the
//! `FORBIDDEN` it would get, naming the first scope it lost. Records are per caller, so one
//! caller's Idempotency-Key neither blocks nor reveals another's.

use chrono::Utc;
use keyplane_domain::idempotency::{self, Authority, RequestShape};
use keyplane_store::Claim;
use serde::{Deserialize, Serialize};

use crate::Services;
use crate::error::ServiceError;
use crate::principal::{Caller, Principal};

/// A claimed Idempotency-Key: where the response goes once the request finishes.
#[derive(Debug, Clone)]
pub struct IdempotencyClaim {
    environment_id: String,
    caller_id: String,
    key: String,
}

/// What the claim decided.
#[derive(Debug)]
pub enum Claimed {
    /// Run the request, then [`complete`] the claim with its response.
    Run(IdempotencyClaim),
    /// The same caller's same request already ran, and the caller may still run it: answer
    /// this, opened.
    Replay(StoredResponse),
    /// The same caller's request with this key has not finished.
    InProgress,
    /// The caller used this key for another request.
    Mismatch,
}

/// A finished request's answer as a replay repeats it: status, media type, the `Location` of
/// what it created, and the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResponse {
    pub http_status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    /// Every answer Keyplane gives is JSON text (or empty).
    pub body: String,
}

/// Marks a sealed record written as a [`StoredResponse`]; records sealed before it are a bare
/// GraphQL body (JSON never starts with this byte).
const ENVELOPE: u8 = 1;

impl StoredResponse {
    fn to_sealable(&self) -> Vec<u8> {
        let mut bytes = vec![ENVELOPE];
        // A struct of strings always serialises.
        bytes.extend(serde_json::to_vec(self).unwrap_or_default());
        bytes
    }

    fn from_opened(http_status: u16, opened: Vec<u8>) -> Option<Self> {
        match opened.split_first() {
            Some((&ENVELOPE, rest)) => serde_json::from_slice(rest).ok(),
            _ => Some(Self {
                http_status,
                content_type: Some("application/graphql-response+json".to_owned()),
                location: None,
                body: String::from_utf8(opened).ok()?,
            }),
        }
    }
}

/// What the caller may do now, as a record keeps it.
pub fn authority_of(principal: &Principal) -> Authority {
    match &principal.caller {
        Caller::Key(key) => Authority::of_key(key),
        Caller::User(signed_in) => Authority::of_role(signed_in.user.role),
    }
}

/// The sealing context of a record's response: bound to its environment, caller and key.
fn context(claim: &IdempotencyClaim) -> String {
    format!(
        "idempotency:{}:{}:{}",
        claim.environment_id, claim.caller_id, claim.key
    )
}

/// Claims `key` (already parsed) for the principal's `request`, or answers the stored
/// response, re-checking that the caller may still have it.
pub async fn claim(
    services: &Services,
    principal: &Principal,
    key: String,
    request: RequestShape<'_>,
) -> Result<Claimed, ServiceError> {
    let claim = IdempotencyClaim {
        environment_id: principal.environment.id.clone(),
        caller_id: principal.caller_id().to_owned(),
        key,
    };
    let authority = authority_of(principal);
    let found = services
        .store
        .claim_idempotency_key(
            &claim.environment_id,
            &claim.caller_id,
            &claim.key,
            &idempotency::fingerprint(&claim.caller_id, request),
            &authority,
            Utc::now(),
            idempotency::RETENTION,
        )
        .await?;
    match found {
        Claim::Claimed => Ok(Claimed::Run(claim)),
        Claim::Replay {
            http_status,
            sealed_response,
            authority: then,
        } => {
            authority.may_replay(then.as_ref())?;
            let opened = services
                .data_key
                .open(&context(&claim), &sealed_response)
                .map_err(|err| {
                    tracing::error!(error = %err, "a stored idempotent response does not open with the configured data key");
                    ServiceError::internal()
                })?;
            let stored = StoredResponse::from_opened(http_status, opened).ok_or_else(|| {
                tracing::error!("a stored idempotent response is not one this server wrote");
                ServiceError::internal()
            })?;
            Ok(Claimed::Replay(stored))
        }
        Claim::InProgress => Ok(Claimed::InProgress),
        Claim::Mismatch => Ok(Claimed::Mismatch),
    }
}

/// Stores the response of a claimed request, sealed (it may carry a secret), or releases the
/// claim when nothing was done: the server failed (a 5xx) or the request was refused as bad
/// input (400, 413, 415: bad input changes nothing), so a retry, corrected or not, may run.
pub async fn complete(services: &Services, claim: IdempotencyClaim, response: &StoredResponse) {
    let changed_nothing = matches!(response.http_status, 400 | 413 | 415);
    let stored = if response.http_status >= 500 || changed_nothing {
        services
            .store
            .release_idempotency_key(&claim.environment_id, &claim.caller_id, &claim.key)
            .await
    } else {
        let sealed =
            services
                .data_key
                .seal(&mut rand::rng(), &context(&claim), &response.to_sealable());
        services
            .store
            .complete_idempotency_key(
                &claim.environment_id,
                &claim.caller_id,
                &claim.key,
                response.http_status,
                sealed,
            )
            .await
    };
    if let Err(err) = stored {
        // The key stays claimed until it expires: a retry is refused rather than run twice.
        tracing::error!(error = %err, "could not store the response of an idempotent request");
    }
}
