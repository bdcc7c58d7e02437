//! Endpoints, their deliveries and the attempts at them, as stored and shown.

use super::{EventFilter, WebhookSnapshot};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not yet delivered: due, waiting for its next attempt, or behind an earlier event of
    /// the same key.
    Pending,
    Succeeded,
    /// Every attempt within [`DELIVERY_WINDOW`](super::DELIVERY_WINDOW) failed. A replay makes it pending again.
    Failed,
}

impl DeliveryStatus {
    /// The stored name. Must never change.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// An endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: String,
    pub environment_id: String,
    pub url: String,
    pub description: Option<String>,
    pub events: EventFilter,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl WebhookEndpoint {
    pub fn snapshot(&self) -> WebhookSnapshot {
        WebhookSnapshot {
            id: self.id.clone(),
            url: self.url.clone(),
            events: self.events.names(),
            enabled: self.enabled,
            secret_rotated: false,
        }
    }
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDelivery {
    pub id: i64,
    pub endpoint_id: String,
    pub event: crate::event::Event,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
    pub give_up_at: chrono::DateTime<chrono::Utc>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl WebhookDelivery {
    /// When the delivery is tried next: only a pending one ever is.
    pub fn next_attempt(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        (self.status == DeliveryStatus::Pending).then_some(self.next_attempt_at)
    }
}

/// One try at delivering: what the receiver answered, or why nothing came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: chrono::DateTime<chrono::Utc>,
    /// The receiver's HTTP status; `None` when none came (refused, timed out, not allowed).
    pub status_code: Option<u16>,
    pub duration_ms: u32,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

impl WebhookAttempt {
    /// A 2xx answer delivers; anything else (redirects included: they are never followed)
    /// is retried.
    pub fn succeeded(&self) -> bool {
        self.status_code
            .is_some_and(|code| (200..300).contains(&code))
    }
}
