//! Event-queue credentials: stored only as a digest, bound to one environment, with who
//! created them and when they expire.

use chrono::{DateTime, Utc};
use keyplane_domain::audit::Actor;
use keyplane_domain::event_queue::EventQueueCredential;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::entity::event_queue_credential;
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
            Ok(EventQueueCredential {
                id,
                environment_id: environment_id.to_owned(),
                expires_at,
            })
        })
        .await
    }

    /// The credentials whose token has `token_digest`, expired or not.
    pub async fn find_event_queue_credential(
        &self,
        token_digest: &str,
    ) -> Result<Option<EventQueueCredential>, StoreError> {
        self.read(move || async move {
            Ok(event_queue_credential::Entity::find()
                .filter(event_queue_credential::Column::TokenDigest.eq(token_digest))
                .one(&self.db)
                .await?
                .map(|model| EventQueueCredential {
                    id: model.id,
                    environment_id: model.environment_id,
                    expires_at: model.expires_at,
                }))
        })
        .await
    }
}
