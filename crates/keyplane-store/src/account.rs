//! Accounts and environments: bootstrap and reads.

use chrono::{DateTime, Utc};
use keyplane_domain::RuleViolation;
use keyplane_domain::account::{Account, Plan};
use keyplane_domain::audit::{Actor, AuditEventType, KeySnapshot, NewAuditEvent};
use keyplane_domain::client_security::ClientSecurity;
use keyplane_domain::environment::{Environment, EnvironmentType};
use keyplane_domain::key::ApiKeyType;
use keyplane_domain::leak::LeakPolicy;
use keyplane_domain::rate_limit::RateLimit;
use keyplane_domain::scope::ScopeSet;
use keyplane_domain::secret::KeyHash;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::change::{Change, notify};
use crate::entity::{account, environment};
use crate::key::insert_key;
use crate::{NewKey, RateLimitColumns, Store, StoreError, audit, commit, new_id, stored_instant};

/// One default key to create at bootstrap. The secret itself never reaches the store.
#[derive(Debug, Clone)]
pub struct BootstrapKey {
    pub key_type: ApiKeyType,
    pub name: String,
    pub scopes: ScopeSet,
    pub hash: KeyHash,
    pub masked_key: String,
}

#[derive(Debug, Clone)]
pub struct BootstrapEnvironment {
    pub env_type: EnvironmentType,
    pub keys: Vec<BootstrapKey>,
}

#[derive(Debug, Clone)]
pub struct BootstrapRequest {
    pub account_name: String,
    pub plan: Plan,
    pub environments: Vec<BootstrapEnvironment>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub account: Account,
    pub environments: Vec<Environment>,
}

/// Serialises concurrent bootstraps of one PostgreSQL database (two replicas starting on an
/// empty database). SQLite needs none: the bootstrap transaction holds its write lock.
const BOOTSTRAP_LOCK_ID: i64 = 0x6b65_7970_6c61;

impl Store {
    pub async fn is_initialised(&self) -> Result<bool, StoreError> {
        self.read(move || async move { Ok(account::Entity::find().count(&self.db).await? > 0) })
            .await
    }

    /// Rule 1: creates the account, its environments and their default keys, each with its
    /// `KEY_CREATED` event, in one transaction. Refuses (`CONFLICT`) when an account exists.
    pub async fn bootstrap(&self, request: BootstrapRequest) -> Result<Bootstrapped, StoreError> {
        let txn = self.begin_write().await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [BOOTSTRAP_LOCK_ID.into()],
            ))
            .await?;
        }
        if account::Entity::find().count(&txn).await? > 0 {
            return Err(RuleViolation::conflict("Keyplane is already initialised").into());
        }
        let now = stored_instant(request.now);
        let account = Account {
            id: new_id(),
            name: request.account_name,
            plan: request.plan,
        };
        account::Entity::insert(account::ActiveModel {
            id: Set(account.id.clone()),
            name: Set(account.name.clone()),
            plan: Set(account.plan.as_str().to_owned()),
            created_at: Set(now),
        })
        .exec(&txn)
        .await?;
        let mut environments = Vec::new();
        for spec in request.environments {
            let env = Environment {
                id: new_id(),
                account_id: account.id.clone(),
                slug: spec.env_type.default_slug().to_owned(),
                name: spec.env_type.default_name().to_owned(),
                env_type: spec.env_type,
                default_rate_limit: None,
                client_security: ClientSecurity::default(),
                recoverable_keys: false,
                leak_policy: Default::default(),
            };
            environment::Entity::insert(environment::ActiveModel {
                id: Set(env.id.clone()),
                account_id: Set(env.account_id.clone()),
                slug: Set(env.slug.clone()),
                name: Set(env.name.clone()),
                env_type: Set(env.env_type.as_str().to_owned()),
                created_at: Set(now),
                default_rate_limit_requests: Set(None),
                default_rate_limit_period_seconds: Set(None),
                default_rate_limit_mode: Set(None),
                client_security_enabled: Set(false),
                allowed_origins: Set(None),
                recoverable_keys: Set(false),
                leak_policy: Set(None),
            })
            .exec(&txn)
            .await?;
            for key in spec.keys {
                let new_key = NewKey {
                    key_type: key.key_type,
                    name: key.name,
                    description: None,
                    scopes: key.scopes,
                    hash: key.hash,
                    masked_key: key.masked_key,
                    expires_at: None,
                    rotated_from_id: None,
                    customer_ids: None,
                    rate_limit: None,
                    integration_id: None,
                    metadata: None,
                    external_id: None,
                    allowed_ips: None,
                    quota: None,
                    sealed_secret: None,
                };
                let created = insert_key(&txn, &env.id, new_key, &Actor::system(), now).await?;
                audit::insert(
                    &txn,
                    &env.id,
                    NewAuditEvent {
                        event_type: AuditEventType::KeyCreated,
                        api_key_id: Some(created.id.clone()),
                        actor: Actor::system(),
                        before: KeySnapshot::default(),
                        after: KeySnapshot {
                            name: Some(created.name.clone()),
                            scopes: Some(created.scopes.to_strings()),
                            ..KeySnapshot::default()
                        },
                        related_key_id: None,
                    },
                    now,
                )
                .await?;
            }
            environments.push(env);
        }
        commit(txn).await?;
        Ok(Bootstrapped {
            account,
            environments,
        })
    }

    pub async fn environment(&self, id: &str) -> Result<Environment, StoreError> {
        self.read(move || async move {
            let model = environment::Entity::find_by_id(id.to_owned())
                .one(&self.db)
                .await?
                .ok_or_else(|| RuleViolation::not_found("environment"))?;
            environment_from_model(model)
        })
        .await
    }

    /// Sets or clears the rate limit that applies to an environment's keys without one, and
    /// audits the change.
    pub async fn set_default_rate_limit(
        &self,
        environment_id: &str,
        limit: Option<RateLimit>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Environment, StoreError> {
        self.write(move || self.set_default_rate_limit_once(environment_id, limit, actor, now))
            .await
    }

    async fn set_default_rate_limit_once(
        &self,
        environment_id: &str,
        limit: Option<RateLimit>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Environment, StoreError> {
        let now = stored_instant(now);
        let columns = RateLimitColumns::of(limit);
        let txn = self.begin_write().await?;
        let before = lock_environment(&txn, environment_id)
            .await?
            .default_rate_limit;
        let model = environment::ActiveModel {
            id: Set(environment_id.to_owned()),
            default_rate_limit_requests: Set(columns.requests),
            default_rate_limit_period_seconds: Set(columns.period_seconds),
            default_rate_limit_mode: Set(columns.mode),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        notify(&txn, &Change::Environment(environment_id.to_owned())).await?;
        let snapshot = |rate_limit| KeySnapshot {
            rate_limit,
            ..KeySnapshot::default()
        };
        audit::insert_settings_event(
            &txn,
            environment_id,
            AuditEventType::DefaultRateLimitChanged,
            actor,
            (snapshot(before), snapshot(limit)),
            now,
        )
        .await?;
        commit(txn).await?;
        environment_from_model(model)
    }

    /// The installation's one account (what the operator's commands act on).
    pub async fn the_account(&self) -> Result<Account, StoreError> {
        self.read(move || async move {
            let accounts = account::Entity::find().all(&self.db).await?;
            match accounts.as_slice() {
                [only] => account_from_model(only.clone()),
                [] => Err(RuleViolation::not_found("account: run `keyplane init` first").into()),
                _ => Err(RuleViolation::conflict("more than one account: name the account").into()),
            }
        })
        .await
    }

    /// Changes the plan of the deployment's account. Existing keys are untouched: a downgrade
    /// only stops new scoped keys from being created.
    pub async fn set_plan(&self, plan: Plan) -> Result<Account, StoreError> {
        self.write(move || self.set_plan_once(plan)).await
    }

    async fn set_plan_once(&self, plan: Plan) -> Result<Account, StoreError> {
        let txn = self.begin_write().await?;
        let current = account::Entity::find().lock_exclusive().all(&txn).await?;
        let [only] = current.as_slice() else {
            return Err(if current.is_empty() {
                RuleViolation::not_found("account: run `keyplane init` first")
            } else {
                RuleViolation::conflict("more than one account: name the account to change")
            }
            .into());
        };
        let model = account::ActiveModel {
            id: Set(only.id.clone()),
            plan: Set(plan.as_str().to_owned()),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        notify(&txn, &Change::Account(model.id.clone())).await?;
        commit(txn).await?;
        account_from_model(model)
    }

    /// An account's environments, in creation order.
    pub async fn environments_of_account(
        &self,
        account_id: &str,
    ) -> Result<Vec<Environment>, StoreError> {
        self.read(move || async move {
            environment::Entity::find()
                .filter(environment::Column::AccountId.eq(account_id))
                .order_by_asc(environment::Column::Id)
                .all(&self.db)
                .await?
                .into_iter()
                .map(environment_from_model)
                .collect()
        })
        .await
    }

    pub async fn account(&self, id: &str) -> Result<Account, StoreError> {
        self.read(move || async move {
            let model = account::Entity::find_by_id(id.to_owned())
                .one(&self.db)
                .await?
                .ok_or_else(|| RuleViolation::not_found("account"))?;
            account_from_model(model)
        })
        .await
    }
}

fn account_from_model(model: account::Model) -> Result<Account, StoreError> {
    let plan = Plan::parse(&model.plan)
        .ok_or_else(|| StoreError::corrupt(format!("account plan {:?}", model.plan)))?;
    Ok(Account {
        id: model.id,
        name: model.name,
        plan,
    })
}

/// The environment as it is inside `txn`, its row locked until the transaction ends (on SQLite
/// the write transaction already holds the database).
pub(crate) async fn lock_environment(
    txn: &sea_orm::DatabaseTransaction,
    environment_id: &str,
) -> Result<Environment, StoreError> {
    let model = environment::Entity::find_by_id(environment_id.to_owned())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| RuleViolation::not_found("environment"))?;
    environment_from_model(model)
}

pub(crate) fn environment_from_model(model: environment::Model) -> Result<Environment, StoreError> {
    let env_type = EnvironmentType::parse(&model.env_type)
        .ok_or_else(|| StoreError::corrupt(format!("environment type {:?}", model.env_type)))?;
    Ok(Environment {
        id: model.id,
        account_id: model.account_id,
        slug: model.slug,
        name: model.name,
        env_type,
        default_rate_limit: RateLimitColumns {
            requests: model.default_rate_limit_requests,
            period_seconds: model.default_rate_limit_period_seconds,
            mode: model.default_rate_limit_mode,
        }
        .read()?,
        client_security: ClientSecurity {
            enabled: model.client_security_enabled,
            allowed_origins: model
                .allowed_origins
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| StoreError::corrupt("allowed origins"))?
                .unwrap_or_default(),
        },
        recoverable_keys: model.recoverable_keys,
        leak_policy: match model.leak_policy.as_deref() {
            None => LeakPolicy::default(),
            Some(text) => {
                LeakPolicy::parse(text).ok_or_else(|| StoreError::corrupt("leak policy"))?
            }
        },
    })
}
