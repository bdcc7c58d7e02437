//! `ApiKey.usage` and `Environment.usage`: verifications as a time series by outcome.

use async_graphql::{Context, Enum, SimpleObject};
use chrono::{DateTime, Utc};
use keyplane_domain::usage::UsagePoint;

use keyplane_service::records;

use super::context::{principal, services};
use crate::error::ApiError;

/// The width of one point of a usage series. A series has at most 1,500 points: a day of
/// minutes, two months of hours, or four years of days. Minute counters are kept 14 days and
/// hourly ones 400 days by default.
#[derive(
    Enum, Copy, Clone, Debug, Eq, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "keyplane_domain::usage::Granularity")]
pub enum UsageGranularity {
    Minute,
    Hour,
    Day,
}

/// How many verifications ended with one code.
#[derive(SimpleObject, Debug, Clone)]
pub struct OutcomeCount {
    /// A `VerificationCode`: `VALID`, `NOT_FOUND`, `RATE_LIMITED`, …
    pub code: String,
    pub count: u64,
}

/// The verifications answered in `[at, at + granularity)`.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "UsagePoint")]
pub struct UsagePointNode {
    pub at: DateTime<Utc>,
    pub total: u64,
    /// Non-zero counts only, codes in alphabetical order.
    pub by_outcome: Vec<OutcomeCount>,
}

impl From<UsagePoint> for UsagePointNode {
    fn from(point: UsagePoint) -> Self {
        Self {
            at: point.at,
            total: point.total,
            by_outcome: point
                .by_outcome
                .into_iter()
                .map(|(code, count)| OutcomeCount { code, count })
                .collect(),
        }
    }
}

/// The series of an environment's verifications, or of one key's when `api_key_id` is given,
/// optionally only those that asked for `permission`. Every bucket of the range is a point.
pub async fn usage_series(
    ctx: &Context<'_>,
    environment_id: &str,
    api_key_id: Option<&str>,
    (from, to, granularity): (DateTime<Utc>, DateTime<Utc>, UsageGranularity),
    permission: Option<String>,
) -> Result<Vec<UsagePointNode>, ApiError> {
    let points = records::usage_series(
        services(ctx)?,
        principal(ctx)?,
        environment_id,
        api_key_id,
        (from, to, granularity.into()),
        permission.as_deref(),
    )
    .await?;
    Ok(points.into_iter().map(Into::into).collect())
}
