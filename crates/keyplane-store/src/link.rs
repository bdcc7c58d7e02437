//! One-time links (owner setup, invitation, password reset): made, read by their token's
//! digest, and used once, each step with its account audit event.

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::account_audit::{AccountEventDetails, AccountEventType, NewAccountEvent};
use keyplane_domain::audit::Actor;
use keyplane_domain::invitation::{Link, LinkPurpose, invalid_link};
use keyplane_domain::user::{Role, User};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect,
};

use crate::entity::{user, user_link};
use crate::user::{end_sessions, user_from_model};
use crate::{Store, StoreError, account_audit, commit, new_id, stored_instant};

/// A link about to be made. Only the digest of its token is here.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub account_id: String,
    pub purpose: LinkPurpose,
    pub token_digest: String,
    pub email: Option<String>,
    pub role: Option<Role>,
    pub user_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// What the person gives when using a link. The service has validated each field for the
/// link's purpose, and hashed the password.
#[derive(Clone)]
pub struct Acceptance {
    /// For a setup link: the first owner's email.
    pub email: Option<String>,
    /// For setup and invitation links.
    pub display_name: Option<String>,
    pub password_hash: String,
}

impl std::fmt::Debug for Acceptance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptance")
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("password_hash", &"redacted")
            .finish()
    }
}

impl Store {
    /// Makes a link; for an invitation, refuses an email that is already a user's and writes
    /// `USER_INVITED`, for a reset `PASSWORD_RESET_ISSUED`.
    pub async fn create_link(
        &self,
        link: NewLink,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Link, StoreError> {
        self.write(move || {
            let link = link.clone();
            async move {
                let now = stored_instant(now);
                let txn = self.begin_write().await?;
                if let Some(email) = &link.email
                    && find_user_by_email(&txn, email).await?.is_some()
                {
                    return Err(
                        RuleViolation::conflict("a user with this email already exists").into(),
                    );
                }
                let model = user_link::Model {
                    id: new_id(),
                    account_id: link.account_id.clone(),
                    purpose: link.purpose.as_str().to_owned(),
                    token_digest: link.token_digest,
                    email: link.email.clone(),
                    role: link.role.map(|r| r.as_str().to_owned()),
                    user_id: link.user_id.clone(),
                    created_at: now,
                    expires_at: stored_instant(link.expires_at),
                    used_at: None,
                };
                let model = model.into_active_model().insert(&txn).await?;
                let event_type = match link.purpose {
                    LinkPurpose::Invitation => Some(AccountEventType::UserInvited),
                    LinkPurpose::PasswordReset => Some(AccountEventType::PasswordResetIssued),
                    LinkPurpose::Setup => None,
                };
                if let Some(event_type) = event_type {
                    let event = NewAccountEvent {
                        event_type,
                        actor: actor.clone(),
                        user_id: link.user_id.clone(),
                        details: AccountEventDetails {
                            email: link.email.clone(),
                            role_after: link.role.map(|r| r.as_str().to_owned()),
                            ..AccountEventDetails::default()
                        },
                    };
                    account_audit::insert(&txn, &link.account_id, event, now).await?;
                }
                commit(txn).await?;
                link_from_model(model)
            }
        })
        .await
    }

    /// The link whose token has this digest, used or not.
    pub async fn link_by_digest(&self, token_digest: &str) -> Result<Option<Link>, StoreError> {
        self.read(move || async move {
            user_link::Entity::find()
                .filter(user_link::Column::TokenDigest.eq(token_digest))
                .one(&self.db)
                .await?
                .map(link_from_model)
                .transpose()
        })
        .await
    }

    /// The user a password-reset link is for, found by email within the account.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.read(move || async move {
            find_user_by_email(&self.db, email)
                .await?
                .map(user_from_model)
                .transpose()
        })
        .await
    }

    /// Uses a link: locks it, checks it is still good, then creates the user (setup,
    /// invitation) or sets the password and ends every session (reset), marks the link used and
    /// writes `USER_JOINED` or `PASSWORD_CHANGED`, all in one transaction.
    pub async fn accept_link(
        &self,
        token_digest: &str,
        acceptance: Acceptance,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        self.write(move || {
            let acceptance = acceptance.clone();
            async move {
                let now = stored_instant(now);
                let txn = self.begin_write().await?;
                let model = user_link::Entity::find()
                    .filter(user_link::Column::TokenDigest.eq(token_digest))
                    .lock_exclusive()
                    .one(&txn)
                    .await?
                    .ok_or_else(invalid_link)?;
                let link = link_from_model(model)?;
                link.ensure_usable(now)?;
                let (user, event_type) = match link.purpose {
                    LinkPurpose::Setup | LinkPurpose::Invitation => {
                        let email = link.email.clone().or(acceptance.email).ok_or_else(|| {
                            RuleViolation::bad_input("email", "give your email address")
                        })?;
                        let role = link.role.unwrap_or(Role::Owner);
                        let display_name = acceptance.display_name.ok_or_else(|| {
                            RuleViolation::bad_input("displayName", "give your name")
                        })?;
                        let model = user::Model {
                            id: new_id(),
                            account_id: link.account_id.clone(),
                            email,
                            display_name,
                            password_hash: acceptance.password_hash,
                            role: role.as_str().to_owned(),
                            created_at: now,
                            last_login_at: None,
                            disabled_at: None,
                        };
                        let inserted =
                            model.into_active_model().insert(&txn).await.map_err(|e| {
                                StoreError::conflict_on_unique(
                                    e,
                                    "a user with this email already exists",
                                )
                            })?;
                        (user_from_model(inserted)?, AccountEventType::UserJoined)
                    }
                    LinkPurpose::PasswordReset => {
                        let user_id = link.user_id.clone().ok_or_else(invalid_link)?;
                        let updated = user::ActiveModel {
                            id: Set(user_id.clone()),
                            password_hash: Set(acceptance.password_hash),
                            ..Default::default()
                        }
                        .update(&txn)
                        .await
                        .map_err(|err| match err {
                            // The user was removed after the link was made.
                            sea_orm::DbErr::RecordNotUpdated => StoreError::from(invalid_link()),
                            other => StoreError::from(other),
                        })?;
                        end_sessions(&txn, &user_id, None).await?;
                        (user_from_model(updated)?, AccountEventType::PasswordChanged)
                    }
                };
                user_link::Entity::update(user_link::ActiveModel {
                    id: Set(link.id.clone()),
                    used_at: Set(Some(now)),
                    ..Default::default()
                })
                .exec(&txn)
                .await?;
                let event = NewAccountEvent {
                    event_type,
                    actor: Actor::user(&user.id, &user.display_name),
                    user_id: Some(user.id.clone()),
                    details: AccountEventDetails {
                        email: Some(user.email.clone()),
                        role_after: (event_type == AccountEventType::UserJoined)
                            .then(|| user.role.as_str().to_owned()),
                        ..AccountEventDetails::default()
                    },
                };
                account_audit::insert(&txn, &link.account_id, event, now).await?;
                commit(txn).await?;
                Ok(user)
            }
        })
        .await
    }
}

async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, StoreError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

fn link_from_model(model: user_link::Model) -> Result<Link, StoreError> {
    let purpose = LinkPurpose::parse(&model.purpose)
        .ok_or_else(|| StoreError::corrupt(format!("link purpose {:?}", model.purpose)))?;
    let role = model
        .role
        .as_deref()
        .map(|r| Role::parse(r).ok_or_else(|| StoreError::corrupt(format!("role {r:?}"))))
        .transpose()?;
    Ok(Link {
        id: model.id,
        account_id: model.account_id,
        purpose,
        email: model.email,
        role,
        user_id: model.user_id,
        created_at: model.created_at,
        expires_at: model.expires_at,
        used_at: model.used_at,
    })
}
