//! What a request carries besides its body: the credential it acts with, and the
//! `Idempotency-Key` that makes a retried POST safe.

use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::error::Error;
use crate::secret::Secret;

/// Who the calls act as: a key (`X-API-Key`), or a person's session in one environment
/// (`Authorization: Bearer` and `Keyplane-Environment`).
#[derive(Debug, Clone)]
pub enum Credentials {
    ApiKey(Secret),
    Session { token: Secret, environment: String },
}

impl Credentials {
    pub fn api_key(key: impl Into<Secret>) -> Self {
        Self::ApiKey(key.into())
    }

    pub fn session(token: impl Into<Secret>, environment: impl Into<String>) -> Self {
        Self::Session {
            token: token.into(),
            environment: environment.into(),
        }
    }

    pub(crate) fn headers(&self) -> Result<HeaderMap, Error> {
        let secret_header = |text: &str| {
            let mut value = HeaderValue::from_str(text).map_err(|_| {
                Error::InvalidInput("the credential holds characters a header cannot carry".into())
            })?;
            // Kept out of HPACK tables and printed as "Sensitive" by the header map's Debug.
            value.set_sensitive(true);
            Ok::<_, Error>(value)
        };
        let mut headers = HeaderMap::new();
        match self {
            Self::ApiKey(key) => {
                headers.insert("x-api-key", secret_header(key.expose().trim())?);
            }
            Self::Session { token, environment } => {
                let bearer = format!("Bearer {}", token.expose().trim());
                headers.insert(header::AUTHORIZATION, secret_header(&bearer)?);
                let environment = HeaderValue::from_str(environment).map_err(|_| {
                    Error::InvalidInput("the environment is not a valid header value".into())
                })?;
                headers.insert("keyplane-environment", environment);
            }
        }
        Ok(headers)
    }
}

/// The `Idempotency-Key` of one logical POST: generated (a UUIDv7) per call unless the caller
/// names one, and sent unchanged on every attempt of that call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A caller's own key (Keyplane takes 1 to 255 printable ASCII characters, no spaces).
    pub fn new(text: impl Into<String>) -> Result<Self, Error> {
        let text = text.into();
        if text.is_empty() || HeaderValue::from_str(&text).is_err() {
            return Err(Error::InvalidInput(
                "an Idempotency-Key is printable ASCII text".into(),
            ));
        }
        Ok(Self(text))
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
