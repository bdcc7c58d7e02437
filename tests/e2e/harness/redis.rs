//! The machine's Redis for the scale-out tests, and a TCP proxy in front of it that a test can
//! cut and restore, to take Redis away from the servers without touching the Redis other tests
//! use.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// Where the tests find Redis: `KEYPLANE_TEST_REDIS_URL`, else the machine's.
pub const TEST_REDIS_ENV: &str = "KEYPLANE_TEST_REDIS_URL";
const DEFAULT_REDIS: &str = "127.0.0.1:6379";

/// The Redis address, if it answers. Outside CI a missing Redis skips the test (printing why);
/// in CI it fails it.
pub async fn redis_address() -> Option<String> {
    let url = std::env::var(TEST_REDIS_ENV).unwrap_or_else(|_| format!("redis://{DEFAULT_REDIS}"));
    let redis = keyplane_redis::Redis::open(&url, Duration::from_secs(2)).expect("a Redis URL");
    match redis.ping().await {
        Ok(()) => Some(url),
        Err(err) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: Redis at {url} does not answer ({err}); CI runs this test");
            None
        }
        Err(err) => panic!("Redis at {url} does not answer, and CI needs it: {err}"),
    }
}

/// A connection to the test Redis for a server, with a short timeout.
pub fn open(url: &str) -> keyplane_redis::Redis {
    keyplane_redis::Redis::open(url, Duration::from_millis(200)).expect("a Redis URL")
}

/// Forwards TCP connections to Redis until cut.
pub struct RedisProxy {
    pub addr: SocketAddr,
    open: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: JoinHandle<()>,
}

impl RedisProxy {
    pub async fn start(redis_url: &str) -> Self {
        let upstream = redis_url
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let acceptor = {
            let (open, links) = (Arc::clone(&open), Arc::clone(&links));
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        // Cut: the connection is dropped at once, as a dead Redis would.
                        continue;
                    }
                    let upstream = upstream.clone();
                    links.lock().await.push(tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    }));
                }
            })
        };
        Self {
            addr,
            open,
            links,
            acceptor,
        }
    }

    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Drops every connection and refuses new ones.
    pub async fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for RedisProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}
