//! The server bounds slow and abusive clients: a client that dribbles a request's head is cut
//! off, a request that runs too long (a dribbled body) is answered `UNAVAILABLE`, connections
//! past the cap wait until one closes, a flood of unknown well-formed keys cannot push real
//! keys out of the key cache, and a flood of distinct documents cannot fill the parse cache
//! for good. The event queue's long poll and stream keep working under the request timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::fast_path::metric;
use crate::harness::{TestApp, TestOptions};

fn limits(change: impl FnOnce(&mut keyplane_api::ServerLimits)) -> TestOptions {
    let mut limits = keyplane_api::ServerLimits::default();
    change(&mut limits);
    TestOptions {
        limits,
        ..TestOptions::default()
    }
}

async fn verify(app: &TestApp, secret: &str) -> String {
    let response = app
        .client
        .post(app.url("/v1/verify"))
        .header("X-API-Key", app.admin())
        .json(&json!({ "key": secret }))
        .send()
        .await
        .expect("verification sent");
    let body: Value = response.json().await.expect("a JSON answer");
    body["code"].as_str().expect("a code").to_owned()
}

/// Verifies `secret` over and over until `stop`, asserting each answer is `VALID`; answers how
/// many there were.
fn keep_verifying(
    app: &Arc<TestApp>,
    secret: &str,
    stop: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    let (app, secret, stop) = (Arc::clone(app), secret.to_owned(), Arc::clone(stop));
    tokio::spawn(async move {
        let mut verified = 0;
        while !stop.load(Ordering::SeqCst) {
            assert_eq!(
                verify(&app, &secret).await,
                "VALID",
                "a real key keeps verifying"
            );
            verified += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        verified
    })
}

/// Reads from `stream` until the server answers something or closes; answers when.
async fn closed_or_answered(mut stream: tokio::net::tcp::OwnedReadHalf) -> Instant {
    let mut buffer = [0_u8; 1024];
    let _ = stream.read(&mut buffer).await;
    Instant::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_cut_off_while_real_keys_keep_verifying() {
    let app = Arc::new(
        TestApp::spawn_with(limits(|limits| {
            limits.header_read_timeout = Duration::from_secs(1);
        }))
        .await,
    );
    let (_, secret) = app.create_key("real", &["customers:read"]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let verifying = keep_verifying(&app, &secret, &stop);

    let started = Instant::now();
    let (read, mut write) = TcpStream::connect(app.addr).await.unwrap().into_split();
    let cut_off = tokio::spawn(closed_or_answered(read));
    write
        .write_all(b"POST /v1/verify HTTP/1.1\r\nHost: keyplane.test\r\n")
        .await
        .unwrap();
    // A header line every 100 ms, for up to 5 s: the head is never finished.
    for n in 0..50 {
        if cut_off.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if write
            .write_all(format!("X-Slow-{n}: y\r\n").as_bytes())
            .await
            .is_err()
        {
            break;
        }
    }
    let cut_at = tokio::time::timeout(Duration::from_secs(1), cut_off)
        .await
        .expect("the server cut the slow client off")
        .unwrap();
    let after = cut_at - started;
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(3),
        "cut off after the 1 s header timeout, not {after:?}"
    );
    stop.store(true, Ordering::SeqCst);
    assert!(
        verifying.await.unwrap() > 10,
        "real keys verified all along"
    );
}

#[tokio::test]
async fn a_request_dribbling_its_body_is_answered_unavailable_after_the_request_timeout() {
    let app = TestApp::spawn_with(limits(|limits| {
        limits.request_timeout = Duration::from_secs(1);
    }))
    .await;
    // The plain route, and a REST one, whose 503 keeps its request id in header and body.
    for path in ["/v1/verify", "/api/v1/verify"] {
        let started = Instant::now();
        let (mut read, mut write) = TcpStream::connect(app.addr).await.unwrap().into_split();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: keyplane.test\r\nX-API-Key: {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
            app.admin()
        );
        write.write_all(head.as_bytes()).await.unwrap();
        let answer = tokio::spawn(async move {
            let mut text = Vec::new();
            let _ = read.read_to_end(&mut text).await;
            String::from_utf8_lossy(&text).into_owned()
        });
        for _ in 0..40 {
            if answer.is_finished() || write.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(write);
        let answer = tokio::time::timeout(Duration::from_secs(2), answer)
            .await
            .expect("an answer")
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("\"UNAVAILABLE\""), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(3));
        if path.starts_with("/api/") {
            let header = answer
                .lines()
                .find_map(|line| line.strip_prefix("x-request-id: "))
                .unwrap_or_else(|| panic!("an X-Request-Id header: {answer}"));
            assert!(
                answer.contains(&format!("\"requestId\":\"{header}\"")),
                "{answer}"
            );
        }
    }
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let app = TestApp::spawn_with(limits(|limits| limits.max_connections = 2)).await;
    let held_1 = TcpStream::connect(app.addr).await.unwrap();
    let _held_2 = TcpStream::connect(app.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third client, on a connection of its own.
    let url = app.url("/healthz");
    let third = tokio::spawn(async move {
        let answered = reqwest::Client::new().get(url).send().await.unwrap();
        (answered.status(), Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !third.is_finished(),
        "the third connection waits while two are open"
    );
    let freed = Instant::now();
    drop(held_1);
    let (status, answered) = tokio::time::timeout(Duration::from_secs(2), third)
        .await
        .expect("served once a connection closed")
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(answered >= freed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unknown_keys_cannot_push_real_keys_out_of_the_cache() {
    let app = Arc::new(
        TestApp::spawn_with(TestOptions {
            key_cache_capacity: 100,
            ..TestOptions::default()
        })
        .await,
    );
    // One real key verifies all through the flood; another was cached before it and is left
    // alone until the end.
    let (_, busy) = app.create_key("busy", &["customers:read"]).await;
    let (_, quiet) = app.create_key("quiet", &["customers:read"]).await;
    assert_eq!(verify(&app, &quiet).await, "VALID");
    let stop = Arc::new(AtomicBool::new(false));
    let verifying = keep_verifying(&app, &busy, &stop);

    // Thousands of random, well-formed keys: twenty times the cache's capacity.
    let unknown = Arc::new(AtomicUsize::new(0));
    futures::stream::iter(0..2_000)
        .for_each_concurrent(16, |_| {
            let (app, unknown) = (Arc::clone(&app), Arc::clone(&unknown));
            async move {
                let random = {
                    use keyplane_domain::secret::{KeyPrefix, KeySecret};
                    KeySecret::generate(KeyPrefix::Server, &mut rand::rng())
                        .expose()
                        .to_owned()
                };
                if verify(&app, &random).await == "NOT_FOUND" {
                    unknown.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .await;
    assert_eq!(unknown.load(Ordering::Relaxed), 2_000);
    stop.store(true, Ordering::SeqCst);
    assert!(verifying.await.unwrap() > 0);

    // The key cached before the flood is still cached (and so is the caller's): verifying it
    // misses nothing.
    let misses = metric(&app, "keyplane_key_cache_misses_total").await;
    for _ in 0..5 {
        assert_eq!(verify(&app, &quiet).await, "VALID");
    }
    assert_eq!(
        metric(&app, "keyplane_key_cache_misses_total").await,
        misses,
        "the real keys were answered from the cache"
    );
}

#[tokio::test]
async fn distinct_documents_cannot_fill_the_parse_cache_for_good() {
    let app = Arc::new(
        TestApp::spawn_with(TestOptions {
            parse_cache_capacity: 50,
            ..TestOptions::default()
        })
        .await,
    );
    futures::stream::iter(0..500)
        .for_each_concurrent(16, |n| {
            let app = Arc::clone(&app);
            async move {
                let query =
                    format!("# flood {n}\n{{ apiKeys(first: 1) {{ edges {{ cursor }} }} }}");
                app.ok(&app.admin(), &query, json!({})).await;
            }
        })
        .await;
    assert!(metric(&app, "keyplane_parse_cache_entries").await <= 50);
    // An operation a real client repeats is cached again after the flood.
    let real = "query Real { apiKeys(first: 2) { edges { node { id } } } }";
    app.ok(&app.admin(), real, json!({})).await;
    let hits = metric(&app, "keyplane_parse_cache_hits_total").await;
    app.ok(&app.admin(), real, json!({})).await;
    assert_eq!(
        metric(&app, "keyplane_parse_cache_hits_total").await,
        hits + 1
    );
    assert!(metric(&app, "keyplane_parse_cache_entries").await <= 50);
}

#[tokio::test]
async fn the_event_queue_long_poll_and_stream_outlast_the_request_timeout() {
    let app = TestApp::spawn_with(limits(|limits| {
        limits.request_timeout = Duration::from_secs(1);
    }))
    .await;
    let data = app
        .ok(
            &app.admin(),
            "mutation { createEventQueueCredentials { token } }",
            json!({}),
        )
        .await;
    let token = data["createEventQueueCredentials"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let all: Value = app
        .client
        .get(app.url("/v1/events?after=0&wait=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = all["next"].as_i64().unwrap();

    // A long poll with nothing to read waits its 2 s, twice the request timeout, and answers.
    let started = Instant::now();
    let waited = app
        .client
        .get(app.url(&format!("/v1/events?after={next}&wait=2")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(waited.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_secs(2));

    // A stream stays open past the request timeout and still brings the next event.
    let mut stream = app
        .client
        .get(app.url("/v1/events/stream"))
        .bearer_auth(&token)
        .header("Last-Event-ID", next.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    app.create_key("streamed", &["customers:read"]).await;
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !text.contains("key.created") && Instant::now() < deadline {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("a frame in time")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("key.created"), "{text}");
}
