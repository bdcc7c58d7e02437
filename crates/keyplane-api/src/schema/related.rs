//! Keys that other objects point at (`rotatedFrom`, `replacedBy`, `AuditEvent.apiKey`, …),
//! loaded in batches: a listing of fifty keys asks the database once for all their
//! predecessors, not fifty times.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use keyplane_domain::key::ApiKey;
use keyplane_service::{Principal, Services, keys};

use super::context::{principal, services};
use super::types::ApiKeyNode;
use crate::error::ApiError;

/// Loads keys of the caller's environment by id.
pub struct KeyLoader {
    services: Services,
    principal: Principal,
}

impl Loader<String> for KeyLoader {
    type Value = ApiKey;
    type Error = Arc<ApiError>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, ApiKey>, Self::Error> {
        let keys = keys::find_many(&self.services, &self.principal, ids)
            .await
            .map_err(|err| Arc::new(ApiError::from(err)))?;
        Ok(keys.into_iter().map(|key| (key.id.clone(), key)).collect())
    }
}

/// The request's loader, made on first use: requests that resolve no related key pay nothing.
#[derive(Default)]
pub struct RelatedKeys(OnceLock<DataLoader<KeyLoader>>);

impl std::fmt::Debug for RelatedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelatedKeys")
    }
}

/// The key `id` of the caller's environment, batched with the other related keys the request
/// resolves at the same time.
pub async fn find_related(
    ctx: &Context<'_>,
    id: Option<&str>,
) -> Result<Option<ApiKeyNode>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    let (services, principal) = (services(ctx)?, principal(ctx)?);
    let Some(related) = ctx.data_opt::<RelatedKeys>() else {
        // A schema executed without the transport (benchmarks): one lookup.
        let key = keys::find_many(services, principal, &[id.to_owned()]).await?;
        return Ok(key.into_iter().next().map(ApiKeyNode));
    };
    let loader = related.0.get_or_init(|| {
        let loader = KeyLoader {
            services: services.clone(),
            principal: principal.clone(),
        };
        DataLoader::new(loader, tokio::spawn)
    });
    let key = loader
        .load_one(id.to_owned())
        .await
        .map_err(|err| (*err).clone())?;
    Ok(key.map(ApiKeyNode))
}
