use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub environment_id: Option<String>,
    pub api_key_id: Option<String>,
    pub operation_name: Option<String>,
    pub operation_type: Option<String>,
    pub root_fields: String,
    pub outcome: String,
    pub http_status: i32,
    pub duration_micros: i64,
    pub occurred_at: ChronoDateTimeUtc,
    pub user_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
