//! Users of an account: reads, and the changes owners make to them (role, disable, enable,
//! remove, password), each with its account audit event in the same transaction.

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::account_audit::{AccountEventDetails, AccountEventType, NewAccountEvent};
use keyplane_domain::audit::Actor;
use keyplane_domain::user::{Role, User};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};

use crate::entity::{session, user};
use crate::page::{Page, PageRequest, keyset};
use crate::{Store, StoreError, account_audit, commit, stored_instant};

/// One decided change of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    Role(Role),
    Disable,
    Enable,
    Remove,
    /// A new password hash; every session but `keep_session` (the one that asked) ends.
    Password {
        hash: String,
        keep_session: Option<String>,
    },
}

impl Store {
    /// A page of the account's users, newest first (user ids are UUIDv7, so the id orders them
    /// by when they joined).
    pub async fn users(
        &self,
        account_id: &str,
        page: &PageRequest<String>,
    ) -> Result<Page<User>, StoreError> {
        self.read(move || async move {
            let query = user::Entity::find().filter(user::Column::AccountId.eq(account_id));
            let users = keyset(query, user::Column::Id, page)
                .all(&self.db)
                .await?
                .into_iter()
                .map(user_from_model)
                .collect::<Result<_, _>>()?;
            Ok(Page::from_overfetch(users, page))
        })
        .await
    }

    pub async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        self.read(move || async move {
            user::Entity::find_by_id(user_id.to_owned())
                .one(&self.db)
                .await?
                .map(user_from_model)
                .transpose()
        })
        .await
    }

    /// The user with this (normalised) email and their password hash, for login only.
    pub async fn user_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        self.read(move || async move {
            let Some(model) = user::Entity::find()
                .filter(user::Column::Email.eq(email))
                .one(&self.db)
                .await?
            else {
                return Ok(None);
            };
            let hash = model.password_hash.clone();
            Ok(Some((user_from_model(model)?, hash)))
        })
        .await
    }

    /// Locks every user of the account (so the last-owner rule counts what is committed), lets
    /// `decide` judge the change against the target and all users, then writes it and its
    /// audit event. Answers the user as changed, or `None` once removed.
    pub async fn change_user<F>(
        &self,
        account_id: &str,
        user_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<Option<User>, StoreError>
    where
        F: Fn(&User, &[User]) -> Result<UserChange, RuleViolation> + Send + Sync,
    {
        let decide = &decide;
        self.write(move || self.change_user_once(account_id, user_id, actor, now, decide))
            .await
    }

    async fn change_user_once<F>(
        &self,
        account_id: &str,
        user_id: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<Option<User>, StoreError>
    where
        F: Fn(&User, &[User]) -> Result<UserChange, RuleViolation> + Send + Sync,
    {
        let now = stored_instant(now);
        let txn = self.begin_write().await?;
        let users = user::Entity::find()
            .filter(user::Column::AccountId.eq(account_id))
            .lock_exclusive()
            .all(&txn)
            .await?
            .into_iter()
            .map(user_from_model)
            .collect::<Result<Vec<_>, _>>()?;
        let current = users
            .iter()
            .find(|u| u.id == user_id)
            .ok_or_else(|| RuleViolation::not_found("user"))?;
        let change = decide(current, &users)?;
        let mut model = user::ActiveModel {
            id: Set(current.id.clone()),
            ..Default::default()
        };
        let mut details = AccountEventDetails {
            email: Some(current.email.clone()),
            ..AccountEventDetails::default()
        };
        let event_type = match change {
            UserChange::Role(role) => {
                model.role = Set(role.as_str().to_owned());
                details.role_before = Some(current.role.as_str().to_owned());
                details.role_after = Some(role.as_str().to_owned());
                AccountEventType::UserRoleChanged
            }
            UserChange::Disable => {
                model.disabled_at = Set(Some(now));
                end_sessions(&txn, &current.id, None).await?;
                AccountEventType::UserDisabled
            }
            UserChange::Enable => {
                model.disabled_at = Set(None);
                AccountEventType::UserEnabled
            }
            UserChange::Remove => AccountEventType::UserRemoved,
            UserChange::Password { hash, keep_session } => {
                model.password_hash = Set(hash);
                end_sessions(&txn, &current.id, keep_session.as_deref()).await?;
                AccountEventType::PasswordChanged
            }
        };
        let changed = if event_type == AccountEventType::UserRemoved {
            end_sessions(&txn, &current.id, None).await?;
            user::Entity::delete_by_id(current.id.clone())
                .exec(&txn)
                .await?;
            None
        } else {
            Some(user_from_model(model.update(&txn).await?)?)
        };
        let event = NewAccountEvent {
            event_type,
            actor: actor.clone(),
            user_id: Some(current.id.clone()),
            details,
        };
        account_audit::insert(&txn, account_id, event, now).await?;
        commit(txn).await?;
        Ok(changed)
    }
}

/// Ends a user's sessions, all or all but one.
pub(crate) async fn end_sessions(
    db: &impl ConnectionTrait,
    user_id: &str,
    keep: Option<&str>,
) -> Result<(), StoreError> {
    let mut delete = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        delete = delete.filter(session::Column::Id.ne(keep));
    }
    delete.exec(db).await?;
    Ok(())
}

pub(crate) fn user_from_model(model: user::Model) -> Result<User, StoreError> {
    let role = Role::parse(&model.role)
        .ok_or_else(|| StoreError::corrupt(format!("role {:?}", model.role)))?;
    Ok(User {
        id: model.id,
        account_id: model.account_id,
        email: model.email,
        display_name: model.display_name,
        role,
        created_at: model.created_at,
        last_login_at: model.last_login_at,
        disabled_at: model.disabled_at,
    })
}
