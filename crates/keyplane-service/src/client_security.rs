//! Client-side security as applied to one use of a publishable key: by a request made with it,
//! or by `verifyApiKey` on its behalf. Both go through [`check_publishable`].

use chrono::{DateTime, Utc};
use keyplane_domain::client_security::{ClientProof, check_client, is_legacy_token};
use keyplane_domain::environment::Environment;
use keyplane_domain::key::{ApiKey, ApiKeyType};
use keyplane_domain::verification::VerificationCode;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::Services;
use crate::error::ServiceError;
use crate::key_cache::OpenedSecret;

/// What a signing secret is sealed against: its own row and environment.
pub fn seal_context(environment_id: &str, secret_id: &str) -> String {
    format!("client-signing-secret:{environment_id}:{secret_id}")
}

/// The signing secrets valid at `now`, opened, from the cache when it has them. A secret that
/// does not open means the data key is not the one it was sealed with: that is a
/// misconfiguration, answered as internal.
async fn usable_secrets(
    services: &Services,
    environment_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ServiceError> {
    let opened = match services.cache.signing_secrets(environment_id) {
        Some(opened) => opened,
        None => {
            let fill = services.cache.begin_fill();
            let sealed = services
                .store
                .usable_signing_secrets(environment_id, now)
                .await?;
            let opened = sealed
                .into_iter()
                .map(|secret| {
                    let context = seal_context(environment_id, &secret.id);
                    let bytes = services.data_key.open(&context, &secret.sealed).map_err(|err| {
                        tracing::error!(error = %err, env.id = environment_id, "a client signing secret does not open with the configured data key");
                        ServiceError::internal()
                    })?;
                    let secret_text = String::from_utf8(bytes).map_err(|_| ServiceError::internal())?;
                    Ok(OpenedSecret {
                        secret: secret_text,
                        expires_at: secret.expires_at,
                    })
                })
                .collect::<Result<Vec<_>, ServiceError>>()?;
            let opened = Arc::new(opened);
            services
                .cache
                .put_signing_secrets(fill, environment_id, Arc::clone(&opened));
            opened
        }
    };
    // A rotated-out secret's grace may end while it is cached.
    Ok(opened
        .iter()
        .filter(|s| s.expires_at.is_none_or(|at| at > now))
        .map(|s| s.secret.clone())
        .collect())
}

/// Applies the environment's client-side security to a use of `key`. Keys other than the
/// publishable key, and environments that have it off, always pass.
pub async fn check_publishable(
    services: &Services,
    key: &ApiKey,
    environment: &Environment,
    proof: ClientProof<'_>,
    now: DateTime<Utc>,
) -> Result<Result<(), VerificationCode>, ServiceError> {
    if key.key_type != ApiKeyType::Publishable || !environment.client_security.enabled {
        return Ok(Ok(()));
    }
    let secrets = usable_secrets(services, &environment.id, now).await?;
    let legacy = services.settings.legacy_customer_tokens;
    let outcome = check_client(&environment.client_security, &secrets, proof, now, legacy);
    if outcome.is_ok() && proof.customer_token.is_some_and(is_legacy_token) {
        note_legacy_token(&environment.id);
    }
    Ok(outcome)
}

/// Says once per environment and process that a legacy customer token was accepted, so an
/// operator knows whether `--legacy-customer-tokens refuse` would turn someone away.
fn note_legacy_token(environment_id: &str) {
    static NOTED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut noted = NOTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if noted.insert(environment_id.to_owned()) {
        tracing::warn!(
            env.id = environment_id,
            "a customer token of the legacy form was accepted; move its backend to the v2 form before running with --legacy-customer-tokens refuse"
        );
    }
}
