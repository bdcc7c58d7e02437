//! A TCP proxy in front of a test server that can lose an answer (forward the request, let the
//! server finish it, then close the connection without relaying anything) or refuse with a
//! 503 of its own, by the order of the requests whose path it watches. It records every
//! request's method, path and `Idempotency-Key`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does with one watched request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Forward,
    /// Forward it, read the server's whole answer, and close the connection instead.
    LoseAnswer,
    /// Answer `503` with `Retry-After: 0` without forwarding it.
    Unavailable,
}

/// A request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    acceptor: JoinHandle<()>,
}

struct Plan {
    upstream: SocketAddr,
    watched: String,
    actions: Vec<Action>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    /// Proxies to `upstream`; the n-th request whose path contains `watched` gets
    /// `actions[n]` (then `Forward`); every other request is forwarded.
    pub async fn start(upstream: SocketAddr, watched: &str, actions: &[Action]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let plan = Arc::new(Plan {
            upstream,
            watched: watched.to_owned(),
            actions: actions.to_vec(),
            seen: Arc::clone(&seen),
        });
        let acceptor = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let plan = Arc::clone(&plan);
                tokio::spawn(async move {
                    let _ = plan.serve(inbound).await;
                });
            }
        });
        Self {
            addr,
            seen,
            acceptor,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests seen so far whose path contains `part`.
    pub fn seen(&self, part: &str) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.path.contains(part))
            .cloned()
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl Plan {
    /// One request per connection: the upstream is asked to close, and so is the client.
    async fn serve(&self, mut inbound: TcpStream) -> std::io::Result<()> {
        let (head, body) = read_request(&mut inbound).await?;
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
        let idempotency_key = headers.iter().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("idempotency-key")
                .then(|| value.trim().to_owned())
        });
        let action = {
            let mut seen = self.seen.lock().unwrap();
            let earlier = seen
                .iter()
                .filter(|s| s.path.contains(&self.watched))
                .count();
            seen.push(Seen {
                method,
                path: path.clone(),
                idempotency_key,
            });
            if path.contains(&self.watched) {
                self.actions
                    .get(earlier)
                    .copied()
                    .unwrap_or(Action::Forward)
            } else {
                Action::Forward
            }
        };
        if action == Action::Unavailable {
            let body = r#"{"error":{"code":"UNAVAILABLE","message":"the proxy refused"}}"#;
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            return inbound.write_all(answer.as_bytes()).await;
        }
        let mut upstream = TcpStream::connect(self.upstream).await?;
        let mut forwarded = format!("{request_line}\r\n");
        for line in headers {
            if !line.to_ascii_lowercase().starts_with("connection:") {
                forwarded.push_str(line);
                forwarded.push_str("\r\n");
            }
        }
        forwarded.push_str("connection: close\r\n\r\n");
        upstream.write_all(forwarded.as_bytes()).await?;
        upstream.write_all(&body).await?;
        let mut answer = Vec::new();
        upstream.read_to_end(&mut answer).await?;
        match action {
            // The server has finished the request: the client never hears of it.
            Action::LoseAnswer => inbound.shutdown().await,
            _ => inbound.write_all(&answer).await,
        }
    }
}

/// The request's head (up to the blank line) and its `Content-Length` body.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length = head
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Ok((head, body))
}
