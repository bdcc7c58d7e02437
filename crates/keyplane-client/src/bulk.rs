//! `POST /api/v1/api-keys/bulk-revoke`: many keys revoked in one transaction, selected by id
//! or by filter, each by the rule of a single revocation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::client::{Call, Client};
use crate::error::Error;
use crate::types::{ApiKey, ApiKeyKind, ApiKeyStatus, ApiKeyType};

/// The keys a bulk revocation selects: by id (1 to 1,000), or by filter (at most 1,000
/// unrevoked keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BulkRevoke {
    Ids(Vec<String>),
    Filter(BulkFilter),
}

/// The filters of a bulk revocation; at least one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkFilter {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kind: Vec<ApiKeyKind>,
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub key_type: Vec<ApiKeyType>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<ApiKeyStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// One metadata key and the string it must hold.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "metadata_pair"
    )]
    pub metadata: Option<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_before: Option<DateTime<Utc>>,
}

fn metadata_pair<S: Serializer>(pair: &Option<(String, String)>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(1))?;
    if let Some((key, value)) = pair {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

/// What a bulk revocation did: every selected key is revoked or skipped, with why.
#[derive(Debug, Clone, Deserialize)]
pub struct BulkRevoked {
    pub revoked: Vec<ApiKey>,
    pub skipped: Vec<SkippedApiKey>,
}

/// A key a bulk revocation left alone, with the error a single revocation would have met.
#[derive(Debug, Clone, Deserialize)]
pub struct SkippedApiKey {
    pub id: String,
    pub code: String,
    pub message: String,
}

impl Client {
    /// Revokes many keys in one transaction, each by the rule of a single revocation.
    pub async fn bulk_revoke_api_keys(&self, selection: &BulkRevoke) -> Result<BulkRevoked, Error> {
        let path = ["api", "v1", "api-keys", "bulk-revoke"];
        self.json(Call::post(&path).json(selection)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bulk_selections_take_the_server_shapes() {
        assert_eq!(
            serde_json::to_value(BulkRevoke::Ids(vec!["a".into()])).unwrap(),
            json!({ "ids": ["a"] })
        );
        let filter = BulkFilter {
            status: vec![ApiKeyStatus::Active],
            metadata: Some(("plan".into(), "pro".into())),
            ..BulkFilter::default()
        };
        assert_eq!(
            serde_json::to_value(BulkRevoke::Filter(filter)).unwrap(),
            json!({ "filter": { "status": ["ACTIVE"], "metadata": { "plan": "pro" } } })
        );
    }
}
