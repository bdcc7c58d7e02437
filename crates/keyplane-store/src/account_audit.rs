//! The account's audit trail: people and account-wide choices. Written inside the transaction
//! of the change each event records; read newest first with keyset pagination on the id.

use chrono::{DateTime, Utc};
use keyplane_domain::account_audit::{
    AccountEvent, AccountEventDetails, AccountEventType, NewAccountEvent,
};
use keyplane_domain::audit::{Actor, ActorType};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::entity::account_audit_event::{self, Column};
use crate::page::{Page, PageRequest, newest_first};
use crate::{Store, StoreError};

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    account_id: &str,
    event: NewAccountEvent,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let details =
        serde_json::to_string(&event.details).map_err(|e| StoreError::corrupt(e.to_string()))?;
    account_audit_event::Entity::insert(account_audit_event::ActiveModel {
        id: NotSet,
        account_id: Set(account_id.to_owned()),
        event_type: Set(event.event_type.as_str().to_owned()),
        actor_type: Set(event.actor.actor_type.as_str().to_owned()),
        actor_id: Set(event.actor.id),
        actor_name: Set(event.actor.name),
        user_id: Set(event.user_id),
        details: Set(details),
        occurred_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

impl Store {
    /// The account's own events, newest first.
    pub async fn list_account_events(
        &self,
        account_id: &str,
        page: &PageRequest<i64>,
    ) -> Result<Page<AccountEvent>, StoreError> {
        self.read(move || async move {
            let query =
                account_audit_event::Entity::find().filter(Column::AccountId.eq(account_id));
            let rows = newest_first(query, Column::Id, page).all(&self.db).await?;
            let events = rows
                .into_iter()
                .map(event_from_model)
                .collect::<Result<_, _>>()?;
            Ok(Page::from_overfetch(events, page))
        })
        .await
    }
}

fn event_from_model(model: account_audit_event::Model) -> Result<AccountEvent, StoreError> {
    let event_type = AccountEventType::parse(&model.event_type)
        .ok_or_else(|| StoreError::corrupt(format!("account event type {:?}", model.event_type)))?;
    let actor_type = ActorType::parse(&model.actor_type)
        .ok_or_else(|| StoreError::corrupt(format!("actor type {:?}", model.actor_type)))?;
    let details = serde_json::from_str::<AccountEventDetails>(&model.details)
        .map_err(|_| StoreError::corrupt(format!("details of account event {}", model.id)))?;
    Ok(AccountEvent {
        id: model.id,
        account_id: model.account_id,
        event: NewAccountEvent {
            event_type,
            actor: Actor {
                actor_type,
                id: model.actor_id,
                name: model.actor_name,
            },
            user_id: model.user_id,
            details,
        },
        occurred_at: model.occurred_at,
    })
}
