//! `POST /api/v1/verify`: "may this key do that?", asked by a service with a key holding
//! `api_keys:read`.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::client::{Call, Client};
use crate::error::Error;
use crate::secret::Secret;
use crate::types::{ApiKeyType, VerificationCode};

/// What to verify: the presented key, and optionally what it must be allowed.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyRequest {
    /// The key presented to the service.
    pub key: Secret,
    /// A scope the key must hold (`customers:write`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_token: Option<Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The address the key was presented from, for keys held to an IP allow-list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// Quota units to spend (1 to 1,000,000; 1 when omitted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spend: Option<i64>,
}

impl VerifyRequest {
    pub fn new(key: impl Into<Secret>) -> Self {
        Self {
            key: key.into(),
            ..Self::default()
        }
    }
}

/// Keyplane's answer. `valid` only with `code` `VALID`; the key's details whenever the key was
/// found in the caller's environment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyAnswer {
    pub valid: bool,
    pub code: VerificationCode,
    pub api_key: Option<VerifiedKey>,
    /// The environment's slug (`production`).
    pub environment: Option<String>,
    pub scopes: Vec<String>,
    pub customer_id: Option<String>,
    /// The key's rate limit after this verification, when one applies.
    pub rate_limit: Option<RateLimitState>,
    /// The key's quota after this verification, when it has one.
    pub quota: Option<QuotaLeft>,
}

/// The verified key, as a service needs it: never its secret.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedKey {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: ApiKeyType,
    pub metadata: Option<serde_json::Value>,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitState {
    pub limit: u32,
    pub remaining: u32,
    pub reset_seconds: u64,
    pub retry_after_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaLeft {
    pub limit: u64,
    pub remaining: u64,
    pub resets_at: Option<DateTime<Utc>>,
}

impl Client {
    /// Verifies a key. Each verification counts (rate limit, quota, usage), and Keyplane does
    /// not claim it by `Idempotency-Key`, so it is retried only when it surely did not run:
    /// no connection, `429` or `503`.
    pub async fn verify(&self, request: &VerifyRequest) -> Result<VerifyAnswer, Error> {
        let path = ["api", "v1", "verify"];
        self.json(Call::post(&path).counted().json(request)?).await
    }
}
