//! Webhook endpoints' use cases: create (the signing secret shown once), change, rotate the
//! secret, delete, and read endpoints, deliveries and attempts; replay a delivery. Full access (an
//! owner or the full-access key) manages endpoints; `api_keys:read` reads them. Sending is
//! `delivery`'s.

pub mod delivery;

use std::net::IpAddr;

use chrono::Utc;
use keyplane_domain::scope::Scope;
use keyplane_domain::webhook::{
    self, EventFilter, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret,
};
use keyplane_store::{
    NewWebhookEndpoint, Page, PageRequest, WebhookEndpointChange, new_webhook_endpoint_id,
};

use crate::Services;
use crate::error::ServiceError;
use crate::principal::Principal;

/// What binds a sealed endpoint secret to its row.
pub(crate) fn seal_context(environment_id: &str, endpoint_id: &str) -> String {
    format!("webhook-secret:{environment_id}:{endpoint_id}")
}

/// An endpoint just made or re-keyed, with its signing secret: shown this once.
#[derive(Debug)]
pub struct EndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    pub secret: WebhookSecret,
}

/// What to change; `None` keeps a field.
#[derive(Debug, Default)]
pub struct EndpointUpdate<'a> {
    pub url: Option<&'a str>,
    pub description: Option<Option<&'a str>>,
    pub events: Option<&'a [String]>,
    pub enabled: Option<bool>,
}

fn ensure_may_manage(principal: &Principal) -> Result<(), ServiceError> {
    Ok(keyplane_domain::environment::ensure_may_manage_webhooks(
        principal.scopes(),
    )?)
}

/// A destination URL, refused when it names a private address and those are not allowed.
/// Names are checked again, resolved, when each delivery is sent.
fn parse_destination(services: &Services, url: &str) -> Result<String, ServiceError> {
    let parsed = webhook::parse_url(url)?;
    if !services.settings.webhooks.allow_private {
        let host = parsed.host_str().unwrap_or_default();
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        let private = literal.is_some_and(webhook::is_private_destination)
            || host.eq_ignore_ascii_case("localhost")
            || host.to_ascii_lowercase().ends_with(".localhost");
        if private {
            return Err(ServiceError::bad_input(
                "url",
                "the URL names a private, loopback or link-local address; an operator may allow those with --webhook-allow-private",
            ));
        }
    }
    Ok(parsed.to_string())
}

fn new_secret(
    services: &Services,
    environment_id: &str,
    endpoint_id: &str,
) -> (WebhookSecret, String) {
    let secret = WebhookSecret::generate(&mut rand::rng());
    let sealed = services.data_key.seal(
        &mut rand::rng(),
        &seal_context(environment_id, endpoint_id),
        secret.as_bytes(),
    );
    (secret, sealed)
}

pub async fn create(
    services: &Services,
    principal: &Principal,
    url: &str,
    description: Option<&str>,
    events: &[String],
) -> Result<EndpointWithSecret, ServiceError> {
    ensure_may_manage(principal)?;
    let url = parse_destination(services, url)?;
    let description = webhook::parse_description(description)?;
    let events = EventFilter::parse(events)?;
    let environment_id = &principal.environment.id;
    let id = new_webhook_endpoint_id();
    let (secret, sealed_secret) = new_secret(services, environment_id, &id);
    let new = NewWebhookEndpoint {
        id,
        url,
        description,
        events,
        sealed_secret,
    };
    let endpoint = services
        .store
        .create_webhook_endpoint(environment_id, new, &principal.actor(), Utc::now())
        .await?;
    Ok(EndpointWithSecret { endpoint, secret })
}

/// Changes an endpoint's URL, description, events or enabled state. A disabled endpoint gets
/// no new deliveries; those already queued are still sent.
pub async fn update(
    services: &Services,
    principal: &Principal,
    id: &str,
    update: EndpointUpdate<'_>,
) -> Result<WebhookEndpoint, ServiceError> {
    if update.url.is_none()
        && update.description.is_none()
        && update.events.is_none()
        && update.enabled.is_none()
    {
        return Err(ServiceError::bad_input(
            "body",
            "name at least one thing to change",
        ));
    }
    ensure_may_manage(principal)?;
    let change = WebhookEndpointChange {
        url: update
            .url
            .map(|url| parse_destination(services, url))
            .transpose()?,
        description: update
            .description
            .map(webhook::parse_description)
            .transpose()?,
        events: update.events.map(EventFilter::parse).transpose()?,
        enabled: update.enabled,
        sealed_secret: None,
    };
    let endpoint = services
        .store
        .change_webhook_endpoint(
            &principal.environment.id,
            id,
            &principal.actor(),
            Utc::now(),
            |_| Ok(change.clone()),
        )
        .await?;
    Ok(endpoint)
}

/// Issues a new signing secret (answered once); the old one stops signing at once.
pub async fn rotate_secret(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<EndpointWithSecret, ServiceError> {
    ensure_may_manage(principal)?;
    let environment_id = &principal.environment.id;
    let (secret, sealed) = new_secret(services, environment_id, id);
    let endpoint = services
        .store
        .change_webhook_endpoint(environment_id, id, &principal.actor(), Utc::now(), |_| {
            Ok(WebhookEndpointChange {
                sealed_secret: Some(sealed.clone()),
                ..WebhookEndpointChange::default()
            })
        })
        .await?;
    Ok(EndpointWithSecret { endpoint, secret })
}

/// Deletes an endpoint with its queued deliveries and their history.
pub async fn delete(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<WebhookEndpoint, ServiceError> {
    ensure_may_manage(principal)?;
    Ok(services
        .store
        .delete_webhook_endpoint(
            &principal.environment.id,
            id,
            &principal.actor(),
            Utc::now(),
        )
        .await?)
}

/// A page of the caller's environment's endpoints, newest first.
pub async fn list(
    services: &Services,
    principal: &Principal,
    page: &PageRequest<String>,
) -> Result<Page<WebhookEndpoint>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    Ok(services
        .store
        .webhook_endpoints(&principal.environment.id, page)
        .await?)
}

pub async fn get(
    services: &Services,
    principal: &Principal,
    id: &str,
) -> Result<WebhookEndpoint, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    services
        .store
        .webhook_endpoint(&principal.environment.id, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("webhook endpoint"))
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(
    services: &Services,
    principal: &Principal,
    endpoint_id: &str,
    page: &PageRequest<i64>,
) -> Result<Page<WebhookDelivery>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    Ok(services
        .store
        .list_deliveries(&principal.environment.id, endpoint_id, page)
        .await?)
}

/// A delivery's attempts, oldest first. The delivery was read in the caller's environment.
pub async fn attempts(
    services: &Services,
    principal: &Principal,
    delivery: &WebhookDelivery,
) -> Result<Vec<WebhookAttempt>, ServiceError> {
    principal.require(Scope::API_KEYS_READ)?;
    if delivery.event.environment_id != principal.environment.id {
        return Err(ServiceError::not_found("webhook delivery"));
    }
    Ok(services.store.delivery_attempts(delivery.id).await?)
}

/// Sends a delivery again, whatever became of it, with a fresh 24-hour window. An id that is
/// not a delivery's number is `NOT_FOUND`, like the id of another environment's delivery.
pub async fn replay(
    services: &Services,
    principal: &Principal,
    delivery_id: &str,
) -> Result<WebhookDelivery, ServiceError> {
    let delivery_id = delivery_id
        .parse::<i64>()
        .map_err(|_| ServiceError::not_found("webhook delivery"))?;
    ensure_may_manage(principal)?;
    Ok(services
        .store
        .replay_delivery(&principal.environment.id, delivery_id, Utc::now())
        .await?)
}
