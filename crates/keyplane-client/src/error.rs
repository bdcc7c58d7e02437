//! What a call can fail with: Keyplane's refusal, carrying its `code` and everything its error
//! body says, or a failure to reach Keyplane or read its answer.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

/// The `code` of a Keyplane error: the same vocabulary as GraphQL's `extensions.code`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    BadRequest,
    Conflict,
    PlanUpgradeRequired,
    IdempotencyConflict,
    RateLimited,
    Unavailable,
    InternalServerError,
    /// A code this client does not know yet, as the server sent it.
    Other(String),
}

impl ErrorCode {
    pub fn from_wire(text: &str) -> Self {
        match text {
            "UNAUTHENTICATED" => Self::Unauthenticated,
            "FORBIDDEN" => Self::Forbidden,
            "NOT_FOUND" => Self::NotFound,
            "BAD_USER_INPUT" => Self::BadUserInput,
            "BAD_REQUEST" => Self::BadRequest,
            "CONFLICT" => Self::Conflict,
            "PLAN_UPGRADE_REQUIRED" => Self::PlanUpgradeRequired,
            "IDEMPOTENCY_CONFLICT" => Self::IdempotencyConflict,
            "RATE_LIMITED" => Self::RateLimited,
            "UNAVAILABLE" => Self::Unavailable,
            "INTERNAL_SERVER_ERROR" => Self::InternalServerError,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::BadRequest => "BAD_REQUEST",
            Self::Conflict => "CONFLICT",
            Self::PlanUpgradeRequired => "PLAN_UPGRADE_REQUIRED",
            Self::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Unavailable => "UNAVAILABLE",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
            Self::Other(code) => code,
        }
    }

    /// The code an answer without a Keyplane error body stands for (a proxy's 502, say).
    fn of_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::Unauthenticated,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            429 => Self::RateLimited,
            502..=504 => Self::Unavailable,
            500..=599 => Self::InternalServerError,
            _ => Self::BadRequest,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Keyplane's refusal of a request: its HTTP status and its error body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    /// Keyplane's message. It never repeats a secret or the input it refuses.
    pub message: String,
    /// The input at fault, for `BAD_USER_INPUT`.
    pub field: Option<String>,
    /// The scope the caller lacks, for `FORBIDDEN`.
    pub required_scope: Option<String>,
    /// Which check refused the request, where a code has several.
    pub reason: Option<String>,
    /// The request's id (`X-Request-Id`), to match a report with the server's records.
    pub request_id: Option<String>,
    /// How long the server asked the caller to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code,
            self.status.as_u16(),
            self.message
        )?;
        if let Some(field) = &self.field {
            write!(f, " [field {field}]")?;
        }
        if let Some(scope) = &self.required_scope {
            write!(f, " [needs {scope}]")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Keyplane answered, and refused (boxed: the refusal is large, and errors travel far).
    #[error("Keyplane refused the request: {0}")]
    Api(Box<ApiError>),
    /// Keyplane could not be reached, or the connection failed before its answer was read.
    #[error("could not reach Keyplane: {0}")]
    Transport(#[source] reqwest::Error),
    /// Keyplane answered with a body this client cannot read (the message says where, never
    /// what: the body may hold a secret).
    #[error("Keyplane's answer could not be read: {0}")]
    Decode(String),
    /// Keyplane made a key and answered its secret, but the rest of the answer could not be
    /// read: the secret is kept here so that it is not lost (the key exists now).
    #[error("Keyplane's answer could not be read whole, but its new secret was kept: {}", .0.decode)]
    SecretKept(Box<SecretKept>),
    /// The call was not sent: one of its arguments cannot be put in a request.
    #[error("{0}")]
    InvalidInput(String),
}

impl Error {
    /// The refusal's code, when Keyplane refused.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Api(err) => Some(&err.code),
            _ => None,
        }
    }

    /// The refusal, when Keyplane refused.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(err) => Some(err),
            _ => None,
        }
    }
}

/// A new secret read from an answer whose other fields could not be (its `Debug` hides it).
#[derive(Debug, Clone)]
pub struct SecretKept {
    pub secret: crate::Secret,
    /// The new key's id, when the answer had it where expected.
    pub key_id: Option<String>,
    /// Why the rest could not be read (by kind and place, never the body's text).
    pub decode: String,
}

/// `{"error": {...}}` under `/api/v1`.
#[derive(Deserialize)]
struct RestBody {
    error: ErrorFields,
}

/// `{"errors": [{"message", "extensions": {...}}]}` on the routes outside `/api/v1`
/// (`/auth/login`).
#[derive(Deserialize)]
struct GraphqlBody {
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct GraphqlError {
    message: String,
    #[serde(default)]
    extensions: Option<ErrorFields>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ErrorFields {
    code: Option<String>,
    message: Option<String>,
    field: Option<String>,
    required_scope: Option<String>,
    reason: Option<String>,
    request_id: Option<String>,
}

/// The refusal a non-2xx answer carries. A body in neither of Keyplane's shapes (a proxy's
/// page) becomes the code its status stands for, and none of its text is kept.
pub(crate) fn refusal(
    status: StatusCode,
    body: &[u8],
    request_id: Option<String>,
    retry_after: Option<Duration>,
) -> ApiError {
    let fields = serde_json::from_slice::<RestBody>(body)
        .map(|b| b.error)
        .or_else(|_| {
            serde_json::from_slice::<GraphqlBody>(body).map(|b| {
                let first = b.errors.into_iter().next();
                first.map_or_else(ErrorFields::default, |e| {
                    let mut fields = e.extensions.unwrap_or_default();
                    fields.message = Some(e.message);
                    fields
                })
            })
        })
        .unwrap_or_default();
    ApiError {
        status,
        code: fields
            .code
            .as_deref()
            .map_or_else(|| ErrorCode::of_status(status), ErrorCode::from_wire),
        message: fields
            .message
            .unwrap_or_else(|| format!("HTTP {} without a Keyplane error body", status.as_u16())),
        field: fields.field,
        required_scope: fields.required_scope,
        reason: fields.reason,
        request_id: fields.request_id.or(request_id),
        retry_after,
    }
}

/// A JSON decoding failure, said by kind and place only: serde's own message can quote the
/// value it choked on, which may be a secret.
pub(crate) fn decode_error(err: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    let kind = match err.classify() {
        Category::Syntax | Category::Eof => "not valid JSON",
        Category::Data => "JSON of another shape than this client expects",
        Category::Io => "cut short",
    };
    Error::Decode(format!(
        "{kind} (line {}, column {})",
        err.line(),
        err.column()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rest_error_body_is_read_whole() {
        let body = br#"{"error":{"code":"FORBIDDEN","message":"this needs the api_keys:write scope","requiredScope":"api_keys:write","requestId":"r-1"}}"#;
        let err = refusal(StatusCode::FORBIDDEN, body, Some("header-id".into()), None);
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert_eq!(err.required_scope.as_deref(), Some("api_keys:write"));
        assert_eq!(err.request_id.as_deref(), Some("r-1"));
        assert_eq!(err.status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_graphql_shaped_error_body_is_read_too() {
        let body = br#"{"errors":[{"message":"wrong email or password","extensions":{"code":"UNAUTHENTICATED"}}]}"#;
        let err = refusal(StatusCode::UNAUTHORIZED, body, None, None);
        assert_eq!(err.code, ErrorCode::Unauthenticated);
        assert_eq!(err.message, "wrong email or password");
    }

    #[test]
    fn a_foreign_body_keeps_none_of_its_text() {
        let err = refusal(
            StatusCode::BAD_GATEWAY,
            b"<html>upstream server-secret-in-page</html>",
            None,
            None,
        );
        assert_eq!(err.code, ErrorCode::Unavailable);
        assert!(!err.message.contains("secret"), "{}", err.message);
        let unknown = refusal(
            StatusCode::BAD_REQUEST,
            br#"{"error":{"code":"NEW_CODE","message":"m"}}"#,
            None,
            None,
        );
        assert_eq!(unknown.code, ErrorCode::Other("NEW_CODE".into()));
    }

    #[test]
    fn a_decoding_failure_never_quotes_the_body() {
        #[derive(Debug, Deserialize)]
        #[expect(dead_code, reason = "only decoded, to fail")]
        struct Answer {
            count: u64,
        }
        let err =
            serde_json::from_str::<Answer>(r#"{"count": "server-0123456789abcdef"}"#).unwrap_err();
        // serde itself would say `invalid type: string "server-…"`.
        assert!(err.to_string().contains("server-0123"));
        let ours = decode_error(&err).to_string();
        assert!(!ours.contains("server-"), "{ours}");
    }
}
