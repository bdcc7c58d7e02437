//! Rule 1: the first start creates the account, its environments and their default keys, and
//! hands the six secrets and the first owner's setup link to whoever prints them, once.

use chrono::Utc;
use keyplane_domain::account::{Plan, parse_account_name};
use keyplane_domain::environment::EnvironmentType;
use keyplane_domain::key::ApiKeyType;
use keyplane_domain::scope::{ScopeSet, publishable_scopes};
use keyplane_domain::secret::{KeyHasher, KeySecret};
use keyplane_service::users::{IssuedLink, operator};
use keyplane_store::{BootstrapEnvironment, BootstrapKey, BootstrapRequest, Store};
use serde_json::json;

use crate::AppError;

mod secrets_file;

pub use secrets_file::SecretsFile;

/// The default keys of one environment, in plaintext: shown once, never stored.
#[derive(Debug)]
pub struct DefaultKeys {
    pub slug: String,
    pub env_type: EnvironmentType,
    pub full_access_key: KeySecret,
    pub publishable_key: KeySecret,
}

#[derive(Debug)]
pub struct BootstrapOutput {
    pub account_id: String,
    pub account_name: String,
    pub plan: Plan,
    pub environments: Vec<DefaultKeys>,
    /// The first owner's one-time setup link (valid 24 hours).
    pub setup_link: Option<IssuedLink>,
}

impl BootstrapOutput {
    /// `{"account":{…},"environments":[{"slug","type","fullAccessKey","publishableKey"}]}`
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "account": { "id": self.account_id, "name": self.account_name, "plan": self.plan.as_str() },
            "environments": self.environments.iter().map(|env| json!({
                "slug": env.slug,
                "type": env.env_type.as_str(),
                "fullAccessKey": env.full_access_key.expose(),
                "publishableKey": env.publishable_key.expose(),
            })).collect::<Vec<_>>(),
            "ownerSetupUrl": self.setup_link.as_ref().map(|link| link.url.as_str()),
            "ownerSetupExpiresAt": self.setup_link.as_ref().map(|link| link.expires_at.to_rfc3339()),
        })
    }

    pub fn to_text(&self) -> String {
        let mut out = format!(
            "Keyplane is initialised for account {:?} ({} plan).\n\
             These keys are shown once. Store them now: Keyplane keeps only their hashes.\n",
            self.account_name,
            self.plan.as_str()
        );
        for env in &self.environments {
            out.push_str(&format!(
                "\n{} ({})\n  full-access key: {}\n  publishable key: {}\n",
                env.slug,
                env.env_type.as_str(),
                env.full_access_key.expose(),
                env.publishable_key.expose()
            ));
        }
        if let Some(link) = &self.setup_link {
            out.push_str(&format!(
                "\nCreate the first owner (one use, valid until {}):\n  {}\n",
                link.expires_at.to_rfc3339(),
                link.url
            ));
        }
        out
    }
}

/// Generates the six default secrets and writes the account, environments, hashed keys and
/// their audit events in one transaction. `CONFLICT` if the database is already initialised.
pub async fn bootstrap(
    store: &Store,
    hasher: &KeyHasher,
    account_name: &str,
    plan: Plan,
    public_url: &str,
) -> Result<BootstrapOutput, AppError> {
    let account_name = parse_account_name(account_name)?;
    let mut rng = rand::rng();
    let mut secrets = Vec::new();
    let mut environments = Vec::new();
    for env_type in EnvironmentType::ALL {
        let full_access = KeySecret::generate(ApiKeyType::FullAccess.prefix(), &mut rng);
        let publishable = KeySecret::generate(ApiKeyType::Publishable.prefix(), &mut rng);
        let key =
            |key_type: ApiKeyType, name: &str, scopes: ScopeSet, secret: &KeySecret| BootstrapKey {
                key_type,
                name: name.to_owned(),
                scopes,
                hash: hasher.hash(secret),
                masked_key: secret.masked(),
            };
        environments.push(BootstrapEnvironment {
            env_type,
            keys: vec![
                key(
                    ApiKeyType::FullAccess,
                    "Full access key",
                    ScopeSet::All,
                    &full_access,
                ),
                key(
                    ApiKeyType::Publishable,
                    "Publishable key",
                    publishable_scopes(),
                    &publishable,
                ),
            ],
        });
        secrets.push((env_type, full_access, publishable));
    }
    let done = store
        .bootstrap(BootstrapRequest {
            account_name,
            plan,
            environments,
            now: Utc::now(),
        })
        .await?;
    let environments = done
        .environments
        .into_iter()
        .zip(secrets)
        .map(|(env, (_, full_access_key, publishable_key))| DefaultKeys {
            slug: env.slug,
            env_type: env.env_type,
            full_access_key,
            publishable_key,
        })
        .collect();
    let setup_link = operator::setup_link(store, public_url, &done.account.id).await?;
    Ok(BootstrapOutput {
        account_id: done.account.id,
        account_name: done.account.name,
        plan: done.account.plan,
        environments,
        setup_link: Some(setup_link),
    })
}
