use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub environment_id: String,
    pub key_type: String,
    pub name: String,
    pub description: Option<String>,
    pub scopes: String,
    pub key_hash: String,
    pub masked_key: String,
    pub expires_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub last_used_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub created_by_type: String,
    pub created_by_id: Option<String>,
    pub created_by_name: String,
    pub rotated_from_id: Option<String>,
    pub replaced_by_id: Option<String>,
    pub customer_ids: Option<String>,
    pub rate_limit_requests: Option<i32>,
    pub rate_limit_period_seconds: Option<i32>,
    /// `EXACT` or `LEASED`; null reads as `EXACT`.
    pub rate_limit_mode: Option<String>,
    pub integration_id: Option<String>,
    /// The secret sealed with the data key, for recoverable keys only.
    pub sealed_secret: Option<String>,
    /// A JSON object, as compact text.
    pub metadata: Option<String>,
    pub external_id: Option<String>,
    pub disabled_at: Option<ChronoDateTimeUtc>,
    pub disabled_reason: Option<String>,
    /// A JSON array of normalised CIDR ranges.
    pub allowed_ips: Option<String>,
    pub quota_limit: Option<i64>,
    /// `DAILY`, `MONTHLY` or `NEVER`.
    pub quota_refill: Option<String>,
    /// When the quota was set: a new quota starts a new count.
    pub quota_set_at: Option<ChronoDateTimeUtc>,
    /// The period `quota_used` counts in.
    pub quota_period_start: Option<ChronoDateTimeUtc>,
    /// Units spent, or leased to replicas, in that period.
    pub quota_used: Option<i64>,
    /// The expiry a `key.expiring_soon` event was sent for.
    pub expiring_soon_noticed_for: Option<ChronoDateTimeUtc>,
    /// The expiry a `key.expired` event was sent for.
    pub expired_noticed_for: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
