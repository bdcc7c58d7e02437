//! The environment's leak policy: what a leak report does to a scoped key.

use chrono::{DateTime, Utc};
use keyplane_domain::audit::{Actor, AuditEventType, KeySnapshot};
use keyplane_domain::environment::Environment;
use keyplane_domain::leak::LeakPolicy;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use crate::account::{environment_from_model, lock_environment};
use crate::change::{Change, notify};
use crate::entity::environment;
use crate::{Store, StoreError, audit, commit, stored_instant};

impl Store {
    /// Sets the policy, with its `LEAK_POLICY_CHANGED` event.
    pub async fn set_leak_policy(
        &self,
        environment_id: &str,
        policy: LeakPolicy,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Environment, StoreError> {
        let now = stored_instant(now);
        self.write(move || async move {
            let txn = self.begin_write().await?;
            let before = lock_environment(&txn, environment_id).await?.leak_policy;
            let model = environment::ActiveModel {
                id: Set(environment_id.to_owned()),
                leak_policy: Set(Some(policy.as_str().to_owned())),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            notify(&txn, &Change::Environment(environment_id.to_owned())).await?;
            let snapshot = |leak_policy| KeySnapshot {
                leak_policy: Some(leak_policy),
                ..KeySnapshot::default()
            };
            audit::insert_settings_event(
                &txn,
                environment_id,
                AuditEventType::LeakPolicyChanged,
                actor,
                (snapshot(before), snapshot(policy)),
                now,
            )
            .await?;
            commit(txn).await?;
            environment_from_model(model)
        })
        .await
    }
}
