use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "environments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: String,
    pub slug: String,
    pub name: String,
    pub env_type: String,
    pub created_at: ChronoDateTimeUtc,
    pub default_rate_limit_requests: Option<i32>,
    pub default_rate_limit_period_seconds: Option<i32>,
    pub default_rate_limit_mode: Option<String>,
    pub client_security_enabled: bool,
    pub allowed_origins: Option<String>,
    pub recoverable_keys: bool,
    /// `REVOKE` or `NOTIFY`; null reads as `REVOKE`.
    pub leak_policy: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
