//! Serving the router over HTTP/1.1 with bounds on slow and abusive clients: at most
//! `max_connections` open at once (past it, new connections wait in the listen backlog until
//! one closes), a deadline for each request's head (a slowloris client that dribbles header
//! bytes, or a keep-alive connection left idle, is closed when it passes), and a deadline for
//! each request (answered 503 `UNAVAILABLE`). The event-queue routes wait for events by design:
//! their deadline adds the longest wait a read may ask for, and a stream's deadline covers
//! only its start, never the stream.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use keyplane_domain::ErrorCode;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;

use super::refusal::{self, Dialect};
use super::response::{error_response, retry_soon};

/// The routes that wait for events (`GET /v1/events` and `/v1/events/stream`, declared in
/// [`super::router`]).
const EVENT_ROUTES: [&str; 4] = [
    "/v1/events",
    "/v1/events/stream",
    "/api/v1/events",
    "/api/v1/events/stream",
];

/// Bounds on clients, from the binary's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client may take to send a request's head (request line and headers),
    /// counted from when the server starts waiting for it: an idle keep-alive connection is
    /// closed after it too.
    pub header_read_timeout: Duration,
    /// How long a request may take, its body included, before it is answered 503
    /// `UNAVAILABLE`. An event-queue read gets the longest wait on top.
    pub request_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, lets every
/// request in flight finish and waits for every connection to close.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let router = router.layer(axum::middleware::from_fn_with_state(
        limits.request_timeout,
        within_deadline,
    ));
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    // Every connection holds a permit until it closes; at shutdown, holding them all means
    // every connection has closed.
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closing_seen) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        // A free slot first, then a connection: past the cap, clients wait in the backlog.
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => {
                permit.expect("the connection semaphore is never closed")
            }
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) if gave_up(&err) => continue,
            Err(err) => {
                // Out of file descriptors, say: nothing the listener can do sooner.
                tracing::error!(error = %err, "cannot accept a connection; retrying in a second");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            // The peer's address, as `into_make_service_with_connect_info` would give it.
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let connection = http1.serve_connection(TokioIo::new(stream), service);
        let mut closing_seen = closing_seen.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut connection = pin!(connection);
            tokio::select! {
                served = connection.as_mut() => log_end(peer, served),
                // (The guard `wait_for` answers is dropped at once: it must not live across an
                // await of a task that may move between threads.)
                () = async { drop(closing_seen.wait_for(|closing| *closing).await) } => {
                    connection.as_mut().graceful_shutdown();
                    log_end(peer, connection.await);
                }
            }
        });
    }
    drop(listener);
    closing.send_replace(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = connections.acquire_many(all).await;
}

/// Answers 503 `UNAVAILABLE` for a request that runs past its deadline (the work it was doing
/// is dropped, as when its client disconnects).
async fn within_deadline(
    State(request_timeout): State<Duration>,
    mut request: Request,
    next: Next,
) -> Response {
    let dialect = Dialect::of_path(request.uri().path());
    // Given here, outside the router, so a request that runs out of time keeps its id.
    let request_id = refusal::request_id(&mut request, dialect);
    let deadline = if EVENT_ROUTES.contains(&request.uri().path()) {
        request_timeout + Duration::from_secs(keyplane_domain::event_queue::MAX_WAIT_SECONDS)
    } else {
        request_timeout
    };
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "the request did not finish in time",
            );
            retry_soon(&mut response);
            let response = refusal::encode(dialect, request_id.as_deref(), response);
            refusal::with_request_id(response, request_id)
        }
    }
}

fn log_end(peer: SocketAddr, served: Result<(), hyper::Error>) {
    if let Err(err) = served {
        // Timeouts and clients that go away are routine; never an error worth more.
        tracing::debug!(client.address = %peer, error = %err, "connection ended");
    }
}

/// A failed accept that only means a client gave up before it was accepted.
fn gave_up(err: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}
