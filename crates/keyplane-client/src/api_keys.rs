//! `/api/v1/api-keys`: the key lifecycle as typed calls, with the request bodies and filters
//! they take. Every rule (which scopes, which limits, who may) is the server's; these only
//! say what to send.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::client::{Call, Client, segment};
use crate::error::Error;
use crate::list::{Page, PageRequest, Pages};
use crate::secret::Secret;
use crate::types::{
    ApiKey, ApiKeyKind, ApiKeyStatus, ApiKeyType, GracePeriod, Quota, RateLimit, ScopePreset,
};

const KEYS: [&str; 3] = ["api", "v1", "api-keys"];

/// The body of a key's creation: its name and exactly one of `scopes` or `preset`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateApiKey {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<ScopePreset>,
    /// In the future, at most one year out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// A JSON object of at most 4 KB, answered with every verification of the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// IPv4 or IPv6 addresses or CIDR ranges; `None` for any address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_ips: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

impl CreateApiKey {
    pub fn with_scopes<S: Into<String>>(
        name: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: name.into(),
            scopes: Some(scopes.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    pub fn with_preset(name: impl Into<String>, preset: ScopePreset) -> Self {
        Self {
            name: name.into(),
            preset: Some(preset),
            ..Self::default()
        }
    }
}

/// A key just made, and its secret: shown this once (its `Debug` does not show it).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    pub secret: Secret,
}

/// One field of a PATCH: left as it is, cleared (`null`), or set.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    fn is_keep(&self) -> bool {
        matches!(self, Self::Keep)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Never written: the field is skipped.
            Self::Keep | Self::Clear => serializer.serialize_none(),
            Self::Set(value) => value.serialize(serializer),
        }
    }
}

/// What a PATCH changes, all of it in one transaction: every field named changes, or none.
/// `scopes` or `preset` re-scope the key; `expires_at` moves an expiration the key has.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateApiKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub description: Patch<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub customer_ids: Patch<Vec<String>>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub rate_limit: Patch<RateLimit>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub metadata: Patch<serde_json::Value>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub external_id: Patch<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub allowed_ips: Patch<Vec<String>>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub quota: Patch<Quota>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<ScopePreset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// When a rotated key's old secret stops working: after a grace period, or at a time (at
/// most one year out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RotateApiKey {
    GracePeriod(GracePeriod),
    ExpiresAt(DateTime<Utc>),
}

/// A rotation's outcome: the new key and its secret (shown once), and the old key.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotatedApiKey {
    pub api_key: ApiKey,
    pub secret: Secret,
    pub previous_key: ApiKey,
}

/// The filters of a key listing; they combine with AND. The server validates them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiKeyFilter {
    pub kinds: Vec<ApiKeyKind>,
    pub types: Vec<ApiKeyType>,
    pub statuses: Vec<ApiKeyStatus>,
    /// A case-insensitive fragment of the name.
    pub name: Option<String>,
    pub external_id: Option<String>,
    /// One metadata key and the string it must hold.
    pub metadata: Option<(String, String)>,
    pub created_at_or_after: Option<DateTime<Utc>>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_at_or_before: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

fn listed<T: Copy>(values: &[T], text: impl Fn(T) -> &'static str) -> Option<String> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|v| text(*v))
            .collect::<Vec<_>>()
            .join(",")
    })
}

pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl ApiKeyFilter {
    pub(crate) fn pairs(&self) -> Result<Vec<(String, String)>, Error> {
        if let Some((key, _)) = &self.metadata
            && (key.is_empty() || key.contains(['[', ']']))
        {
            // It is sent as `metadata[KEY]`: a bracket would change which parameter it is.
            return Err(Error::InvalidInput(
                "a metadata filter's key cannot be empty nor hold [ or ]".into(),
            ));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut add = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((name.to_owned(), value));
            }
        };
        add("kind", listed(&self.kinds, ApiKeyKind::as_str));
        add("type", listed(&self.types, ApiKeyType::as_str));
        add("status", listed(&self.statuses, ApiKeyStatus::as_str));
        add("name", self.name.clone());
        add("externalId", self.external_id.clone());
        add("createdAt[gte]", self.created_at_or_after.map(instant));
        add("createdAt[gt]", self.created_after.map(instant));
        add("createdAt[lte]", self.created_at_or_before.map(instant));
        add("createdAt[lt]", self.created_before.map(instant));
        if let Some((key, value)) = &self.metadata {
            add(&format!("metadata[{key}]"), Some(value.clone()));
        }
        Ok(pairs)
    }
}

impl Client {
    /// One page of the environment's keys, newest first.
    pub async fn list_api_keys(
        &self,
        filter: &ApiKeyFilter,
        page: &PageRequest,
    ) -> Result<Page<ApiKey>, Error> {
        let mut query = filter.pairs()?;
        query.extend(page.pairs());
        self.json(Call::get(&KEYS).query(query)).await
    }

    /// Every page of a listing from `first` on, one request at a time.
    pub fn api_key_pages<'a>(
        &'a self,
        filter: &'a ApiKeyFilter,
        first: PageRequest,
    ) -> Pages<'a, ApiKey> {
        Pages::new(first, move |request| {
            Box::pin(async move { self.list_api_keys(filter, &request).await })
        })
    }

    /// Every key the filter matches, following each page (100 a page).
    pub async fn list_all_api_keys(&self, filter: &ApiKeyFilter) -> Result<Vec<ApiKey>, Error> {
        self.api_key_pages(filter, PageRequest::first(100))
            .collect()
            .await
    }

    /// One key of the caller's environment (`NOT_FOUND` for a key of any other).
    pub async fn get_api_key(&self, id: &str) -> Result<ApiKey, Error> {
        self.json(Call::get(&[KEYS[0], KEYS[1], KEYS[2], segment(id)?]))
            .await
    }

    /// Creates a scoped key; its secret is in the answer, once.
    pub async fn create_api_key(&self, key: &CreateApiKey) -> Result<CreatedApiKey, Error> {
        self.json_with_secret(Call::post(&KEYS).json(key)?).await
    }

    /// Changes whatever `update` names, in one transaction.
    pub async fn update_api_key(&self, id: &str, update: &UpdateApiKey) -> Result<ApiKey, Error> {
        let path = [KEYS[0], KEYS[1], KEYS[2], segment(id)?];
        self.json(Call::patch(&path).json(update)?).await
    }

    /// Moves the expiration of a key that has one.
    pub async fn change_expiration(
        &self,
        id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<ApiKey, Error> {
        let update = UpdateApiKey {
            expires_at: Some(expires_at),
            ..UpdateApiKey::default()
        };
        self.update_api_key(id, &update).await
    }

    /// Issues a new secret; the old one works until `rotation` says. Retried safely: every
    /// attempt carries the same `Idempotency-Key`, so it rotates once.
    pub async fn rotate_api_key(
        &self,
        id: &str,
        rotation: &RotateApiKey,
    ) -> Result<RotatedApiKey, Error> {
        let path = [KEYS[0], KEYS[1], KEYS[2], segment(id)?, "rotate"];
        self.json_with_secret(Call::post(&path).json(rotation)?)
            .await
    }

    /// Revokes a key at once and for good.
    pub async fn revoke_api_key(&self, id: &str) -> Result<ApiKey, Error> {
        self.json(Call::post(&[
            KEYS[0],
            KEYS[1],
            KEYS[2],
            segment(id)?,
            "revoke",
        ]))
        .await
    }

    /// Switches a key off until enabled, with why (1 to 500 characters, audited).
    pub async fn disable_api_key(&self, id: &str, reason: &str) -> Result<ApiKey, Error> {
        let path = [KEYS[0], KEYS[1], KEYS[2], segment(id)?, "disable"];
        let body = serde_json::json!({ "reason": reason });
        self.json(Call::post(&path).json(&body)?).await
    }

    /// Switches a disabled key back on.
    pub async fn enable_api_key(&self, id: &str) -> Result<ApiKey, Error> {
        self.json(Call::post(&[
            KEYS[0],
            KEYS[1],
            KEYS[2],
            segment(id)?,
            "enable",
        ]))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_patch_writes_only_what_it_names_and_null_for_what_it_clears() {
        let update = UpdateApiKey {
            name: Some("billing-v2".into()),
            description: Patch::Clear,
            allowed_ips: Patch::Set(vec!["10.0.0.0/8".into()]),
            ..UpdateApiKey::default()
        };
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            json!({ "name": "billing-v2", "description": null, "allowedIps": ["10.0.0.0/8"] })
        );
        assert_eq!(
            serde_json::to_value(UpdateApiKey::default()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn rotations_take_the_server_shape() {
        assert_eq!(
            serde_json::to_value(RotateApiKey::GracePeriod(GracePeriod::OneDay)).unwrap(),
            json!({ "gracePeriod": "ONE_DAY" })
        );
    }

    #[test]
    fn list_filters_become_the_documented_query_parameters() {
        let filter = ApiKeyFilter {
            statuses: vec![ApiKeyStatus::Active, ApiKeyStatus::ExpiringSoon],
            types: vec![ApiKeyType::Scoped],
            metadata: Some(("plan".into(), "pro".into())),
            created_before: Some("2026-02-01T00:00:00Z".parse().unwrap()),
            ..ApiKeyFilter::default()
        };
        assert_eq!(
            filter.pairs().unwrap(),
            [
                ("type".to_owned(), "SCOPED".to_owned()),
                ("status".into(), "ACTIVE,EXPIRING_SOON".into()),
                ("createdAt[lt]".into(), "2026-02-01T00:00:00Z".into()),
                ("metadata[plan]".into(), "pro".into()),
            ]
        );
        for key in ["", "a]b", "a[b"] {
            let odd = ApiKeyFilter {
                metadata: Some((key.into(), "x".into())),
                ..ApiKeyFilter::default()
            };
            assert!(odd.pairs().is_err(), "{key:?}");
        }
    }
}
