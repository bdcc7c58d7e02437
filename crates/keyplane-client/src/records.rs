//! What happened: the audit trail (the environment's and one key's) and a key's verification
//! usage.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api_keys::instant;
use crate::client::{Call, Client, segment};
use crate::error::Error;
use crate::list::{Page, PageRequest, Pages};
use crate::types::{Actor, AuditEventSubject, AuditEventType, UsageGranularity};

/// A lifecycle or settings event, kept for good.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// The event's sequence number in its environment; also its list cursor.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: AuditEventType,
    pub api_key_id: Option<String>,
    /// The other key of a rotation.
    pub related_key_id: Option<String>,
    pub actor: Actor,
    /// The fields the event touched, before and after.
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

/// The filters of the environment's audit trail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub api_key_id: Option<String>,
    pub types: Vec<AuditEventType>,
    pub subject: Option<AuditEventSubject>,
}

impl AuditFilter {
    fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if let Some(id) = &self.api_key_id {
            pairs.push(("apiKeyId".to_owned(), id.clone()));
        }
        if !self.types.is_empty() {
            let types: Vec<_> = self.types.iter().map(|t| t.as_str()).collect();
            pairs.push(("type".to_owned(), types.join(",")));
        }
        if let Some(subject) = self.subject {
            pairs.push(("subject".to_owned(), subject.as_str().to_owned()));
        }
        pairs
    }
}

/// The range of a usage series: `from` is rounded down and `to` up to the granularity, `to`
/// exclusive, at most 1,500 points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub granularity: UsageGranularity,
    /// Only the verifications that asked for this permission.
    pub permission: Option<String>,
}

/// The verifications answered in `[at, at + granularity)`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePoint {
    pub at: DateTime<Utc>,
    pub total: u64,
    /// Non-zero counts by verification code.
    pub by_outcome: Vec<OutcomeCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct OutcomeCount {
    pub code: String,
    pub count: u64,
}

const AUDIT: [&str; 3] = ["api", "v1", "audit-events"];

impl Client {
    /// One page of the environment's audit trail, newest first.
    pub async fn list_audit_events(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, Error> {
        let mut query = filter.pairs();
        query.extend(page.pairs());
        self.json(Call::get(&AUDIT).query(query)).await
    }

    /// Every page of the environment's audit trail from `first` on.
    pub fn audit_event_pages<'a>(
        &'a self,
        filter: &'a AuditFilter,
        first: PageRequest,
    ) -> Pages<'a, AuditEvent> {
        Pages::new(first, move |request| {
            Box::pin(async move { self.list_audit_events(filter, &request).await })
        })
    }

    /// One page of a key's own events, newest first.
    pub async fn list_api_key_audit_events(
        &self,
        id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, Error> {
        let path = ["api", "v1", "api-keys", segment(id)?, "audit-events"];
        self.json(Call::get(&path).query(page.pairs())).await
    }

    /// Every page of a key's own events from `first` on.
    pub fn api_key_audit_event_pages<'a>(
        &'a self,
        id: &'a str,
        first: PageRequest,
    ) -> Pages<'a, AuditEvent> {
        Pages::new(first, move |request| {
            Box::pin(async move { self.list_api_key_audit_events(id, &request).await })
        })
    }

    /// A key's verifications as a series, one point per bucket of the range.
    pub async fn api_key_usage(
        &self,
        id: &str,
        query: &UsageQuery,
    ) -> Result<Vec<UsagePoint>, Error> {
        let path = ["api", "v1", "api-keys", segment(id)?, "usage"];
        let mut pairs = vec![
            ("from".to_owned(), instant(query.from)),
            ("to".to_owned(), instant(query.to)),
            (
                "granularity".to_owned(),
                query.granularity.as_str().to_owned(),
            ),
        ];
        if let Some(permission) = &query.permission {
            pairs.push(("permission".to_owned(), permission.clone()));
        }
        self.json(Call::get(&path).query(pairs)).await
    }
}
