//! The event queue over HTTP: `GET /v1/events` (a long-poll read) and `GET /v1/events/stream`
//! (Server-Sent Events, resumable with `Last-Event-ID`), both with the temporary credentials
//! of `createEventQueueCredentials` as `Authorization: Bearer kpq_…`, read from an address the
//! issuing key may be used from. Streams are bounded: one per credential, a few per server.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt, stream};
use keyplane_domain::ErrorCode;
use keyplane_domain::event_queue::{EventRead, MAX_WAIT_SECONDS};
use keyplane_service::events::{self, Reader, StreamSlot};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::client::Client;
use super::response::{Outcome, Performed, api_error_response, no_store};
use crate::error::ApiError;
use keyplane_domain::activity::{OUTCOME_OK, OperationType};
use std::borrow::Cow;

/// The query of both routes; numbers arrive as text so a bad one gets its own message.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct EventsQuery {
    /// The `seq` of the last event read; the events after it are answered.
    #[param(value_type = Option<i64>)]
    after: Option<String>,
    /// Events per read, 1 to 1,000.
    #[param(value_type = Option<i64>)]
    limit: Option<String>,
    /// Seconds to wait when no event is ready, 0 to 30.
    #[param(value_type = Option<i64>)]
    wait: Option<String>,
}

/// A read of the event queue.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct EventPage {
    /// Each event as a webhook would carry it.
    events: Vec<serde_json::Value>,
    /// The cursor of the next read (`after`).
    next: i64,
}

fn number<T: std::str::FromStr>(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<T>, ApiError> {
    text.map(|t| {
        t.parse()
            .map_err(|_| ApiError::bad_input(field, format!("{field} must be a whole number")))
    })
    .transpose()
}

fn refused(err: ApiError) -> Response {
    api_error_response(&err)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
) -> Result<Reader, ApiError> {
    let Some(token) = bearer(headers) else {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "send event-queue credentials as Authorization: Bearer kpq_…",
        ));
    };
    Ok(events::authenticate(&state.services, token, client.address).await?)
}

/// Reads the next events, waiting up to `wait` seconds (30 unless asked) when none is ready.
/// `next` is the cursor for the following read. Also at `GET /v1/events`.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "readEvents",
    tag = "Events",
    params(EventsQuery),
    responses((status = 200, description = "The events after the cursor.", body = EventPage), super::rest::Refusals),
    security(("eventQueue" = []))
)]
pub(super) async fn read_events(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut environment = None;
    let result = async {
        let Query(query) = query.map_err(|_| {
            ApiError::bad_input(
                "query",
                "the query takes after, limit and wait, whole numbers",
            )
        })?;
        let reader = authenticate(&state, &headers, client).await?;
        environment = Some(reader.credential.environment_id.clone());
        let read = EventRead::parse(
            number("after", query.after.as_deref())?,
            number("limit", query.limit.as_deref())?,
            number("wait", query.wait.as_deref())?,
        )?;
        let found = events::read(&state.services, &reader, read).await?;
        let next = found.last().map_or(read.after, |e| e.seq);
        let bodies: Vec<_> = found.iter().map(|e| e.body()).collect();
        Ok::<_, ApiError>(json!({ "events": bodies, "next": next }))
    }
    .await;
    let response = match result {
        Ok(body) => {
            let mut response = Json(body).into_response();
            no_store(&mut response);
            response
        }
        Err(err) => refused(err),
    };
    recorded(response, environment)
}

/// What the activity log records of an event-queue read: its outcome, and the environment the
/// credentials read (none when they did not authenticate).
fn recorded(mut response: Response, environment_id: Option<String>) -> Response {
    if response.extensions().get::<Outcome>().is_none() {
        response
            .extensions_mut()
            .insert(Outcome(Cow::Borrowed(OUTCOME_OK)));
    }
    response.extensions_mut().insert(Performed {
        environment_id,
        api_key_id: None,
        user_id: None,
        operation_name: None,
        operation_type: Some(OperationType::Query),
        root_fields: Vec::new(),
        ran: Vec::new(),
    });
    response
}

/// Streams every event from the cursor on as Server-Sent Events, as it commits, until the
/// credentials expire or their issuer can no longer read. `Last-Event-ID` (the `seq` of the last
/// event received) wins over `after`, so a reconnecting client resumes where it stopped. Also at
/// `GET /v1/events/stream`.
#[utoipa::path(
    get,
    path = "/api/v1/events/stream",
    operation_id = "streamEvents",
    tag = "Events",
    params(EventsQuery),
    responses(
        (status = 200, description = "`text/event-stream`: one `id`/`event`/`data` message per event.", content_type = "text/event-stream", body = String),
        super::rest::Refusals
    ),
    security(("eventQueue" = []))
)]
pub(super) async fn stream_events(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut environment = None;
    let start = async {
        let Query(query) = query
            .map_err(|_| ApiError::bad_input("query", "the stream takes after, a whole number"))?;
        let reader = authenticate(&state, &headers, client).await?;
        environment = Some(reader.credential.environment_id.clone());
        let last_event_id = headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let after = match last_event_id {
            Some(id) => number("Last-Event-ID", Some(id))?,
            None => number("after", query.after.as_deref())?,
        };
        let read = EventRead::parse(after, None, Some(MAX_WAIT_SECONDS))?;
        let slot = events::open_stream(&state.services, &reader)?;
        Ok::<_, ApiError>((reader, read, slot))
    }
    .await;
    let response = match start {
        Ok((reader, read, slot)) => {
            let mut response = Sse::new(event_stream(state, reader, read, slot))
                .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
                .into_response();
            no_store(&mut response);
            response
        }
        Err(err) => refused(err),
    };
    recorded(response, environment)
}

/// The stream's events; it holds `slot` (its credential's one place) until it ends or the
/// client leaves, when the response body, and with it the slot, is dropped.
fn event_stream(
    state: AppState,
    reader: Reader,
    read: EventRead,
    slot: StreamSlot,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold((Some(read), slot), move |(cursor, slot)| {
        let (state, reader) = (state.clone(), reader.clone());
        async move {
            let read = cursor?;
            if reader.credential.expires_at <= chrono::Utc::now() {
                return None;
            }
            match events::read(&state.services, &reader, read).await {
                Ok(found) => {
                    let after = found.last().map_or(read.after, |e| e.seq);
                    let items: Vec<_> = found
                        .iter()
                        .map(|event| {
                            Ok(SseEvent::default()
                                .id(event.seq.to_string())
                                .event(event.event_type.as_str())
                                .data(event.body().to_string()))
                        })
                        .collect();
                    Some((items, (Some(EventRead { after, ..read }), slot)))
                }
                Err(err) => {
                    let err = ApiError::from(err);
                    let data = json!({ "message": err.message, "extensions": { "code": err.code.as_str() } });
                    let item = Ok(SseEvent::default().event("error").data(data.to_string()));
                    Some((vec![item], (None, slot)))
                }
            }
        }
    })
    .flat_map(stream::iter)
}
