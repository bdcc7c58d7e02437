//! The key cache cannot resurrect a revoked key: a cold read that fetched the key's row before
//! its revocation committed must not be installed in the cache after the revocation evicted
//! it, or the revoked key would verify as valid until the cache's TTL.
//!
//! The dangerous interleaving is narrow (a read's snapshot before the commit, its install after
//! the eviction that follows the commit within microseconds), so this race is a soak test
//! over rounds that sweep the herd of cold reads across the revocation; the interleaving itself
//! is replayed deterministically by the unit tests of `keyplane_service::key_cache`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::TestApp;

/// Rounds of the race; each round is a fresh, never-cached key.
const ROUNDS: usize = 40;
/// Clients verifying the key while it is revoked.
const READERS: usize = 16;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cold_read_racing_a_revocation_cannot_resurrect_the_key() {
    let app = Arc::new(TestApp::spawn().await);
    for round in 0..ROUNDS {
        let (id, secret) = app
            .create_key(&format!("raced {round}"), &["customers:read"])
            .await;
        let admin = app.admin();
        let revoke = app.gql(
            Some(&admin),
            "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
            json!({ "id": id }),
        );
        // The herd of cold reads starts 100 µs later each round (the revocation takes a few
        // milliseconds), so that in some rounds it meets the revocation's commit.
        let herd = async {
            let start = Instant::now() + Duration::from_micros(100 * round as u64);
            while Instant::now() < start {
                tokio::task::yield_now().await;
            }
            let readers: Vec<_> = (0..READERS)
                .map(|_| {
                    let (app, secret) = (Arc::clone(&app), secret.clone());
                    tokio::spawn(async move {
                        for _ in 0..3 {
                            let code = verify(&app, &secret).await;
                            assert!(
                                code == "VALID" || code == "REVOKED",
                                "the key is valid or revoked, never {code}"
                            );
                        }
                    })
                })
                .collect();
            for reader in readers {
                reader.await.expect("a reader finished");
            }
        };
        let (revoked, ()) = tokio::join!(revoke, herd);
        revoked.data();
        for _ in 0..3 {
            assert_eq!(
                verify(&app, &secret).await,
                "REVOKED",
                "round {round}: once the revocation answered, every verification says revoked"
            );
        }
    }
}
