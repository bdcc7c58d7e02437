//! Sessions: opened at login, found by their token's digest, ended by logout, revocation or
//! any change that must sign a user out.

use chrono::{DateTime, Utc};
use keyplane_domain::session::Session;
use keyplane_domain::user::User;
use sea_orm::sea_query::Condition;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::entity::{session, user};
use crate::page::{Page, PageRequest, keyset};
use crate::user::user_from_model;
use crate::{Store, StoreError, commit, new_id, stored_instant};

/// A session about to be opened. Only the digest of its token is here.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_digest: String,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
}

impl Store {
    /// Opens a session for a user who just proved their password, notes the login time, and
    /// drops the user's sessions that ended before `idle_cutoff` (last seen) or `now` (absolute).
    pub async fn open_session(
        &self,
        user_id: &str,
        new: NewSession,
        idle_cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Session, StoreError> {
        self.write(move || {
            let new = new.clone();
            async move {
                let now = stored_instant(now);
                let txn = self.begin_write().await?;
                session::Entity::delete_many()
                    .filter(session::Column::UserId.eq(user_id))
                    .filter(
                        Condition::any()
                            .add(session::Column::ExpiresAt.lte(now))
                            .add(session::Column::LastSeenAt.lte(idle_cutoff)),
                    )
                    .exec(&txn)
                    .await?;
                let model = session::Model {
                    id: new_id(),
                    user_id: user_id.to_owned(),
                    token_digest: new.token_digest,
                    created_at: now,
                    last_seen_at: now,
                    expires_at: stored_instant(new.expires_at),
                    user_agent: new.user_agent,
                };
                session::Entity::insert(session::ActiveModel::from(model.clone()))
                    .exec_without_returning(&txn)
                    .await?;
                user::Entity::update(user::ActiveModel {
                    id: Set(user_id.to_owned()),
                    last_login_at: Set(Some(now)),
                    ..Default::default()
                })
                .exec(&txn)
                .await?;
                commit(txn).await?;
                Ok(session_from_model(model))
            }
        })
        .await
    }

    /// The session whose token has this digest, with its user.
    pub async fn session_by_digest(
        &self,
        token_digest: &str,
    ) -> Result<Option<(Session, User)>, StoreError> {
        self.read(move || async move {
            let Some(session) = session::Entity::find()
                .filter(session::Column::TokenDigest.eq(token_digest))
                .one(&self.db)
                .await?
            else {
                return Ok(None);
            };
            let user = user::Entity::find_by_id(session.user_id.clone())
                .one(&self.db)
                .await?;
            match user {
                Some(user) => Ok(Some((session_from_model(session), user_from_model(user)?))),
                None => Ok(None),
            }
        })
        .await
    }

    /// Notes a request on the session (idle expiry counts from here).
    pub async fn touch_session(
        &self,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(move || async move {
            session::Entity::update_many()
                .col_expr(
                    session::Column::LastSeenAt,
                    sea_orm::sea_query::Expr::val(stored_instant(now)),
                )
                .filter(session::Column::Id.eq(session_id))
                .exec(&self.db)
                .await?;
            Ok(())
        })
        .await
    }

    /// A page of a user's live sessions, newest first: those whose absolute end is after `now`
    /// and that saw a request after `idle_cutoff` (the same bounds `open_session` drops by).
    /// Session ids are UUIDv7, so the id orders them by login.
    pub async fn live_sessions_of(
        &self,
        user_id: &str,
        idle_cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
        page: &PageRequest<String>,
    ) -> Result<Page<Session>, StoreError> {
        self.read(move || async move {
            let query = session::Entity::find()
                .filter(session::Column::UserId.eq(user_id))
                .filter(session::Column::ExpiresAt.gt(stored_instant(now)))
                .filter(session::Column::LastSeenAt.gt(stored_instant(idle_cutoff)));
            let sessions = keyset(query, session::Column::Id, page)
                .all(&self.db)
                .await?
                .into_iter()
                .map(session_from_model)
                .collect();
            Ok(Page::from_overfetch(sessions, page))
        })
        .await
    }

    /// Ends one of the user's sessions. Answers whether it existed.
    pub async fn end_session(&self, user_id: &str, session_id: &str) -> Result<bool, StoreError> {
        self.write(move || async move {
            let result = session::Entity::delete_many()
                .filter(session::Column::UserId.eq(user_id))
                .filter(session::Column::Id.eq(session_id))
                .exec(&self.db)
                .await?;
            Ok(result.rows_affected > 0)
        })
        .await
    }
}

fn session_from_model(model: session::Model) -> Session {
    Session {
        id: model.id,
        user_id: model.user_id,
        created_at: model.created_at,
        last_seen_at: model.last_seen_at,
        expires_at: model.expires_at,
        user_agent: model.user_agent,
    }
}
