//! Audit events: written only inside the transaction of the change they record, each with
//! its environment event (the outbox, `event`); read newest first with keyset pagination on
//! the id.

use chrono::{DateTime, Utc};
use keyplane_domain::audit::{
    Actor, ActorType, AuditEvent, AuditEventType, AuditSubject, KeySnapshot, NewAuditEvent,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use keyplane_domain::event::NewEvent;

use crate::entity::audit_event::{self, Column};
use crate::event;
use crate::page::{Page, PageRequest, newest_first};
use crate::{Store, StoreError};

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub api_key_id: Option<String>,
    pub types: Option<Vec<AuditEventType>>,
    pub subject: Option<AuditSubject>,
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    environment_id: &str,
    event: NewAuditEvent,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let outbox = NewEvent::of_audit(&event);
    let encode = |snapshot: &KeySnapshot| {
        serde_json::to_string(snapshot).map_err(|e| StoreError::corrupt(e.to_string()))
    };
    audit_event::Entity::insert(audit_event::ActiveModel {
        id: NotSet,
        environment_id: Set(environment_id.to_owned()),
        api_key_id: Set(event.api_key_id),
        event_type: Set(event.event_type.as_str().to_owned()),
        actor_type: Set(event.actor.actor_type.as_str().to_owned()),
        actor_id: Set(event.actor.id),
        actor_name: Set(event.actor.name),
        before_state: Set(encode(&event.before)?),
        after_state: Set(encode(&event.after)?),
        related_key_id: Set(event.related_key_id),
        occurred_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    // Last: the event takes the environment's sequence lock (see `event`).
    event::insert(db, environment_id, outbox, now).await
}

/// Records a change of the environment's settings: an event that names no key.
pub(crate) async fn insert_settings_event(
    db: &impl ConnectionTrait,
    environment_id: &str,
    event_type: AuditEventType,
    actor: &Actor,
    (before, after): (KeySnapshot, KeySnapshot),
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let event = NewAuditEvent {
        event_type,
        api_key_id: None,
        actor: actor.clone(),
        before,
        after,
        related_key_id: None,
    };
    insert(db, environment_id, event, now).await
}

impl Store {
    /// An environment's audit events, newest first, optionally of one key or some types.
    pub async fn list_audit_events(
        &self,
        environment_id: &str,
        filter: &AuditFilter,
        page: &PageRequest<i64>,
    ) -> Result<Page<AuditEvent>, StoreError> {
        self.read(move || self.list_audit_events_once(environment_id, filter, page))
            .await
    }

    async fn list_audit_events_once(
        &self,
        environment_id: &str,
        filter: &AuditFilter,
        page: &PageRequest<i64>,
    ) -> Result<Page<AuditEvent>, StoreError> {
        let mut query =
            audit_event::Entity::find().filter(Column::EnvironmentId.eq(environment_id));
        if let Some(key_id) = &filter.api_key_id {
            query = query.filter(Column::ApiKeyId.eq(key_id.as_str()));
        }
        match filter.subject {
            Some(AuditSubject::ApiKey) => query = query.filter(Column::ApiKeyId.is_not_null()),
            Some(AuditSubject::Environment) => query = query.filter(Column::ApiKeyId.is_null()),
            None => {}
        }
        if let Some(types) = &filter.types {
            query = query.filter(Column::EventType.is_in(types.iter().map(|t| t.as_str())));
        }
        let rows = newest_first(query, Column::Id, page).all(&self.db).await?;
        let events = rows
            .into_iter()
            .map(event_from_model)
            .collect::<Result<_, _>>()?;
        Ok(Page::from_overfetch(events, page))
    }
}

fn event_from_model(model: audit_event::Model) -> Result<AuditEvent, StoreError> {
    let event_type = AuditEventType::parse(&model.event_type)
        .ok_or_else(|| StoreError::corrupt(format!("audit event type {:?}", model.event_type)))?;
    let actor_type = ActorType::parse(&model.actor_type)
        .ok_or_else(|| StoreError::corrupt(format!("actor type {:?}", model.actor_type)))?;
    let decode = |text: &str| {
        serde_json::from_str::<KeySnapshot>(text)
            .map_err(|_| StoreError::corrupt(format!("snapshot of audit event {}", model.id)))
    };
    Ok(AuditEvent {
        id: model.id,
        environment_id: model.environment_id.clone(),
        event_type,
        api_key_id: model.api_key_id.clone(),
        actor: Actor {
            actor_type,
            id: model.actor_id.clone(),
            name: model.actor_name.clone(),
        },
        before: decode(&model.before_state)?,
        after: decode(&model.after_state)?,
        related_key_id: model.related_key_id.clone(),
        occurred_at: model.occurred_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_store_only_the_fields_an_event_touched() {
        let snapshot = KeySnapshot {
            scopes: Some(vec!["customers:read".into()]),
            ..KeySnapshot::default()
        };
        let json = serde_json::to_string(&snapshot).unwrap();
        assert_eq!(json, r#"{"scopes":["customers:read"]}"#);
        assert_eq!(
            serde_json::from_str::<KeySnapshot>(&json).unwrap(),
            snapshot
        );
        assert_eq!(
            serde_json::from_str::<KeySnapshot>("{}").unwrap(),
            KeySnapshot::default()
        );
    }
}
