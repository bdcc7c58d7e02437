//! Who is calling: a key or a person, the environment they act in, and their account.

use std::sync::Arc;

use keyplane_domain::RuleViolation;
use keyplane_domain::account::Account;
use keyplane_domain::audit::Actor;
use keyplane_domain::environment::Environment;
use keyplane_domain::freedom::Freedom;
use keyplane_domain::key::ApiKey;
use keyplane_domain::scope::{Scope, ScopeSet};
use keyplane_domain::user::User;

use crate::error::ServiceError;

/// The caller behind a principal.
#[derive(Debug, Clone)]
pub enum Caller {
    /// An API key, acting in its own environment with its own scopes.
    Key(Arc<ApiKey>),
    /// A person signed in with a session, acting in the environment their request names with
    /// the scopes of their role.
    User(Arc<SignedIn>),
}

/// A user as their session presents them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub session_id: String,
    /// `user.role.scopes()`, computed once.
    pub scopes: ScopeSet,
}

/// Who is calling and where. Cheap to clone: reference counts.
#[derive(Debug, Clone)]
pub struct Principal {
    pub caller: Caller,
    pub environment: Arc<Environment>,
    pub account: Arc<Account>,
}

impl Principal {
    pub fn scopes(&self) -> &ScopeSet {
        match &self.caller {
            Caller::Key(key) => &key.scopes,
            Caller::User(signed_in) => &signed_in.scopes,
        }
    }

    /// The key, when a key is calling.
    pub fn key(&self) -> Option<&Arc<ApiKey>> {
        match &self.caller {
            Caller::Key(key) => Some(key),
            Caller::User(_) => None,
        }
    }

    /// The user, when a person is calling.
    pub fn user(&self) -> Option<&SignedIn> {
        match &self.caller {
            Caller::Key(_) => None,
            Caller::User(signed_in) => Some(signed_in),
        }
    }

    /// The id of the key or user, for records keyed by caller (idempotency claims).
    pub fn caller_id(&self) -> &str {
        match &self.caller {
            Caller::Key(key) => &key.id,
            Caller::User(signed_in) => &signed_in.user.id,
        }
    }

    /// The limits the caller acts under when it makes or changes `target` (or a new key): a
    /// key's own, read from the locked row when it changes itself; none for a person.
    pub fn freedom(&self, target: Option<&ApiKey>) -> Freedom {
        match &self.caller {
            Caller::User(_) => Freedom::unbounded(),
            Caller::Key(key) => {
                let current = target.filter(|t| t.id == key.id).unwrap_or(key);
                Freedom::of_key(current, self.environment.default_rate_limit)
            }
        }
    }

    pub fn actor(&self) -> Actor {
        match &self.caller {
            Caller::Key(key) => Actor::api_key(&key.id, &key.name),
            Caller::User(signed_in) => {
                Actor::user(&signed_in.user.id, &signed_in.user.display_name)
            }
        }
    }

    pub fn require(&self, scope: Scope) -> Result<(), ServiceError> {
        if self.scopes().allows(scope) {
            return Ok(());
        }
        let who = match &self.caller {
            Caller::Key(_) => "the calling key",
            Caller::User(_) => "your role",
        };
        Err(RuleViolation::forbidden(format!("{who} lacks the scope {scope}"), Some(scope)).into())
    }

    /// A caller about to manage keys: `api_keys:write`, and, for a key, not one that was rotated
    /// (its old secret works until the grace period ends, but manages nothing).
    pub fn require_key_manager(&self) -> Result<(), ServiceError> {
        self.require(Scope::API_KEYS_WRITE)?;
        if let Caller::Key(key) = &self.caller {
            Freedom::ensure_caller_not_replaced(key)?;
        }
        Ok(())
    }

    /// The signed-in user, refusing keys: people and their sessions are for people.
    pub fn require_user(&self) -> Result<&SignedIn, ServiceError> {
        self.user().ok_or_else(|| {
            ServiceError::forbidden("only a signed-in user may do this; API keys cannot")
        })
    }

    /// The signed-in user, if an owner (user management, recoverable keys).
    pub fn require_owner(&self, what: &str) -> Result<&SignedIn, ServiceError> {
        let signed_in = self.require_user()?;
        keyplane_domain::user::ensure_owner(signed_in.user.role, what)?;
        Ok(signed_in)
    }
}
