//! Event-queue credentials: stored only as a digest, bound to one environment, with who
//! created them (the issuer, checked again on every read) and when they expire.

use chrono::{DateTime, Utc};
use keyplane_domain::audit::{Actor, ActorType};
use keyplane_domain::event_queue::{EventQueueCredential, Issuer};
use keyplane_domain::secret::KeyHash;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entity::{api_key, event_queue_credential};
use crate::{Store, StoreError, new_id, stored_instant};

impl Store {
    /// Stores new credentials by their token's digest.
    pub async fn create_event_queue_credential(
        &self,
        environment_id: &str,
        token_digest: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<EventQueueCredential, StoreError> {
        let (now, expires_at) = (stored_instant(now), stored_instant(expires_at));
        self.write(move || async move {
            let id = new_id();
            event_queue_credential::Entity::insert(event_queue_credential::ActiveModel {
                id: Set(id.clone()),
                environment_id: Set(environment_id.to_owned()),
                token_digest: Set(token_digest.to_owned()),
                actor_type: Set(actor.actor_type.as_str().to_owned()),
                actor_id: Set(actor.id.clone()),
                actor_name: Set(actor.name.clone()),
                created_at: Set(now),
                expires_at: Set(expires_at),
            })
            .exec_without_returning(&self.db)
            .await?;
            let issuer = issuer_of(
                &self.db,
                actor.actor_type.as_str(),
                actor.id.as_deref(),
                environment_id,
            )
            .await?;
            Ok(EventQueueCredential {
                id,
                environment_id: environment_id.to_owned(),
                expires_at,
                issuer,
            })
        })
        .await
    }

    /// The credentials whose token has `token_digest`, expired or not, with their issuer.
    pub async fn find_event_queue_credential(
        &self,
        token_digest: &str,
    ) -> Result<Option<EventQueueCredential>, StoreError> {
        self.read(move || async move {
            let Some(model) = event_queue_credential::Entity::find()
                .filter(event_queue_credential::Column::TokenDigest.eq(token_digest))
                .one(&self.db)
                .await?
            else {
                return Ok(None);
            };
            let issuer = issuer_of(
                &self.db,
                &model.actor_type,
                model.actor_id.as_deref(),
                &model.environment_id,
            )
            .await?;
            Ok(Some(EventQueueCredential {
                id: model.id,
                environment_id: model.environment_id,
                expires_at: model.expires_at,
                issuer,
            }))
        })
        .await
    }
}

/// Who issued credentials: a key of their environment (with the hash authentication finds it
/// by), a user, or no one who could still read.
async fn issuer_of(
    db: &impl ConnectionTrait,
    actor_type: &str,
    actor_id: Option<&str>,
    environment_id: &str,
) -> Result<Issuer, StoreError> {
    let Some(id) = actor_id else {
        return Ok(Issuer::Gone);
    };
    match ActorType::parse(actor_type) {
        Some(ActorType::ApiKey) => {
            let key = api_key::Entity::find_by_id(id.to_owned())
                .filter(api_key::Column::EnvironmentId.eq(environment_id))
                .one(db)
                .await?;
            let hash = key.and_then(|key| KeyHash::from_hex(&key.key_hash));
            Ok(hash.map_or(Issuer::Gone, |hash| Issuer::Key {
                id: id.to_owned(),
                hash,
            }))
        }
        Some(ActorType::User) => Ok(Issuer::User { id: id.to_owned() }),
        Some(ActorType::System) | None => Ok(Issuer::Gone),
    }
}
