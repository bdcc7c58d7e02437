//! Sending webhooks: a background task claims due deliveries from the outbox, sends each one
//! signed as Standard Webhooks specifies, records the attempt and schedules the next with
//! backoff and jitter. The HTTP client follows no redirect, gives up after 10 seconds, and
//! (unless the operator allows private destinations) connects only to public addresses: a
//! host name is resolved by a resolver that drops private, loopback and link-local answers,
//! so a name cannot point a delivery inward, not even by changing its answer later. It uses no
//! proxy, whatever `HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY` say: a proxy would resolve the
//! name itself, past that resolver.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use keyplane_domain::seal::DataKey;
use keyplane_domain::webhook::{
    self, RetrySchedule, WebhookAttempt, WebhookSecret, is_private_destination,
};
use keyplane_store::{ClaimedDelivery, DeliveryOutcome, Store};
use rand::Rng;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::seal_context;

/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim lasts: an attempt's timeout and room to record it. A replica that dies
/// mid-attempt holds its deliveries this long at most.
const CLAIM: Duration = Duration::from_secs(30);
/// Deliveries one replica sends at once.
const BATCH: u64 = 16;
/// With nothing due and no new event, the worker still looks this often (another process on
/// the same SQLite file sends no notices).
const IDLE_LOOK: Duration = Duration::from_secs(60);

/// How webhooks are sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookSettings {
    pub retry: RetrySchedule,
    /// Deliver to private, loopback and link-local addresses too (tests, private networks).
    pub allow_private: bool,
}

/// Resolves with the system resolver and keeps only public addresses.
#[derive(Debug)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found
                .filter(|address| !is_private_destination(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(
                    "the host resolves only to private, loopback or link-local addresses".into(),
                );
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

fn client(settings: &WebhookSettings) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(ATTEMPT_TIMEOUT)
        .user_agent(concat!("Keyplane-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder
        .build()
        .expect("the webhook HTTP client's settings are valid")
}

/// The running sender; stop it with [`Sender::shutdown`].
#[derive(Debug)]
pub struct Sender {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Sender {
    pub fn start(store: Store, data_key: DataKey, settings: WebhookSettings) -> Self {
        let (stop, stopped) = watch::channel(false);
        let worker = Worker {
            client: client(&settings),
            store,
            data_key,
            settings,
        };
        let task = tokio::spawn(worker.run(stopped));
        Self { stop, task }
    }

    /// Stops claiming and lets the attempts under way finish (each ends within its timeout).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Worker {
    client: reqwest::Client,
    store: Store,
    data_key: DataKey,
    settings: WebhookSettings,
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let mut written = self.store.watch_writes();
        let mut failing = false;
        while !*stopped.borrow() {
            written.borrow_and_update();
            let now = Utc::now();
            let claim_until = now + CLAIM;
            match self.store.claim_deliveries(now, claim_until, BATCH).await {
                Ok(claimed) if !claimed.is_empty() => {
                    failing = false;
                    let attempts = claimed.into_iter().map(|d| self.deliver(d));
                    futures::future::join_all(attempts).await;
                    continue;
                }
                Ok(_) => failing = false,
                Err(err) => {
                    if !failing {
                        tracing::warn!(error = %err, "webhook deliveries could not be claimed; retrying");
                    }
                    failing = true;
                }
            }
            // Sleeps until the next delivery comes due, a new event commits, or a while passes.
            let wait = match self.store.next_delivery_due().await {
                _ if failing => Duration::from_secs(1),
                Ok(Some(due)) => (due - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .clamp(Duration::from_millis(10), IDLE_LOOK),
                Ok(None) => IDLE_LOOK,
                Err(_) => Duration::from_secs(1),
            };
            tokio::select! {
                _ = written.changed() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    async fn deliver(&self, delivery: ClaimedDelivery) {
        let attempt = self.attempt(&delivery).await;
        let now = Utc::now();
        let outcome = if attempt.succeeded() {
            DeliveryOutcome::Succeeded
        } else {
            let jitter: f64 = rand::rng().random();
            let delay = self.settings.retry.delay(delivery.attempts + 1, jitter);
            let next = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            if next >= delivery.give_up_at {
                DeliveryOutcome::Failed
            } else {
                DeliveryOutcome::RetryAt(next)
            }
        };
        if let Err(err) = self
            .store
            .record_attempt(delivery.delivery_id, &attempt, outcome)
            .await
        {
            // The claim runs out and the delivery is sent again: at least once, never lost.
            tracing::warn!(error = %err, delivery = delivery.delivery_id, "a webhook attempt could not be recorded; it will be sent again");
        }
    }

    async fn attempt(&self, delivery: &ClaimedDelivery) -> WebhookAttempt {
        let started = Instant::now();
        let attempted_at = Utc::now();
        let result = self.send(delivery).await;
        let duration_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        let (status_code, response_excerpt, error) = match result {
            Ok((status, body)) => (Some(status), Some(body), None),
            Err(error) => (None, None, Some(error)),
        };
        WebhookAttempt {
            id: 0,
            delivery_id: delivery.delivery_id,
            attempted_at,
            status_code,
            duration_ms,
            response_excerpt,
            error,
        }
    }

    /// Sends one delivery; answers the status and the start of the body, or why nothing came
    /// back. Errors name what went wrong, never the secret or the body.
    async fn send(&self, delivery: &ClaimedDelivery) -> Result<(u16, String), String> {
        let url =
            reqwest::Url::parse(&delivery.url).map_err(|_| "the URL is not valid".to_owned())?;
        if !self.settings.allow_private && names_private_address(&url) {
            return Err("the URL names a private, loopback or link-local address (see --webhook-allow-private)".to_owned());
        }
        let context = seal_context(&delivery.environment_id, &delivery.endpoint_id);
        let secret = self
            .data_key
            .open(&context, &delivery.sealed_secret)
            .map(WebhookSecret::from_bytes)
            .map_err(|_| {
                "the endpoint's signing secret does not open with this data key".to_owned()
            })?;
        let body = serde_json::to_vec(&delivery.event.body()).map_err(|e| e.to_string())?;
        let message_id = delivery.event.message_id();
        let timestamp = Utc::now().timestamp();
        let signature = secret.sign(&message_id, timestamp, &body);
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status().as_u16();
        Ok((status, read_excerpt(response).await))
    }
}

/// Whether the URL's host is an IP address (or `localhost`) that is not public. Names are
/// checked by the resolver.
fn names_private_address(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(v4)) => is_private_destination(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => is_private_destination(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => true,
    }
}

/// Up to the excerpt's length of the body; the rest is not read.
async fn read_excerpt(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < webhook::RESPONSE_EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    webhook::response_excerpt(&bytes)
}

fn describe(err: reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "timed out after 10 s"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_redirect() {
        "redirected (redirects are not followed)"
    } else {
        "the request failed"
    };
    // The source chain says why (refused, private address, TLS); it never holds the body.
    let mut reason = String::new();
    let mut source = std::error::Error::source(&err);
    while let Some(inner) = source {
        reason = inner.to_string();
        source = inner.source();
    }
    if reason.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {reason}")
    }
}
