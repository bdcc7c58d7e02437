//! Retries that never do a thing twice: a rotation whose answer was lost, or that was refused
//! with 503, is sent again under the same `Idempotency-Key` and rotates once; a verification
//! whose answer was lost is not sent again; attempts are bounded.

use keyplane_client::{
    AuditEventType, Client, CreateApiKey, Error, ErrorCode, GracePeriod, IdempotencyKey,
    PageRequest, RetryPolicy, RotateApiKey, VerificationCode, VerifyRequest,
};

use super::proxy::{Action, Proxy};
use super::{builder, client};
use crate::harness::TestApp;

async fn rotations_of(admin: &Client, id: &str) -> usize {
    let events = admin
        .list_api_key_audit_events(id, &PageRequest::first(100))
        .await
        .unwrap();
    events
        .data
        .iter()
        .filter(|e| e.event_type == AuditEventType::KeyRotated)
        .count()
}

async fn scoped_key(admin: &Client, name: &str) -> String {
    admin
        .create_api_key(&CreateApiKey::with_scopes(name, ["customers:read"]))
        .await
        .unwrap()
        .api_key
        .id
}

#[tokio::test]
async fn a_rotation_whose_answer_was_lost_is_retried_and_rotates_once() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());
    let id = scoped_key(&admin, "billing").await;
    let proxy = Proxy::start(app.addr, "/rotate", &[Action::LoseAnswer]).await;
    let through_proxy = builder(&proxy.url(), &app.admin()).build().unwrap();

    let rotated = through_proxy
        .rotate_api_key(&id, &RotateApiKey::GracePeriod(GracePeriod::OneHour))
        .await
        .expect("the retry gets the rotation's answer");

    let attempts = proxy.seen("/rotate");
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    let key = attempts[0]
        .idempotency_key
        .clone()
        .expect("an Idempotency-Key");
    assert_eq!(attempts[1].idempotency_key.as_deref(), Some(key.as_str()));
    assert_eq!(rotations_of(&admin, &id).await, 1, "rotated once");
    let old = admin.get_api_key(&id).await.unwrap();
    assert_eq!(
        old.replaced_by_id.as_deref(),
        Some(rotated.api_key.id.as_str())
    );
    // The secret the retry answered is the one Keyplane keeps.
    let verified = admin
        .verify(&VerifyRequest::new(rotated.secret.clone()))
        .await
        .unwrap();
    assert_eq!(verified.code, VerificationCode::Valid);
    assert_eq!(verified.api_key.unwrap().id, rotated.api_key.id);
}

#[tokio::test]
async fn a_rotation_refused_with_503_is_retried_under_the_same_key() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());
    let id = scoped_key(&admin, "billing").await;
    let proxy = Proxy::start(
        app.addr,
        "/rotate",
        &[Action::Unavailable, Action::Unavailable],
    )
    .await;
    let through_proxy = builder(&proxy.url(), &app.admin()).build().unwrap();

    through_proxy
        .rotate_api_key(&id, &RotateApiKey::GracePeriod(GracePeriod::Now))
        .await
        .expect("the third attempt reaches Keyplane");

    let keys: Vec<_> = proxy
        .seen("/rotate")
        .into_iter()
        .map(|s| s.idempotency_key.expect("an Idempotency-Key"))
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert_eq!(rotations_of(&admin, &id).await, 1);
}

#[tokio::test]
async fn attempts_are_bounded_and_the_last_refusal_is_answered() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());
    let id = scoped_key(&admin, "billing").await;
    let proxy = Proxy::start(app.addr, "/rotate", &[Action::Unavailable; 5]).await;
    let through_proxy = builder(&proxy.url(), &app.admin()).build().unwrap();

    let err = through_proxy
        .rotate_api_key(&id, &RotateApiKey::GracePeriod(GracePeriod::Now))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::Unavailable), "{err}");
    assert_eq!(err.api().unwrap().status.as_u16(), 503);
    assert_eq!(
        proxy.seen("/rotate").len(),
        3,
        "three attempts, as the policy says"
    );
    assert_eq!(rotations_of(&admin, &id).await, 0);
}

#[tokio::test]
async fn a_pipeline_run_again_with_its_own_key_gets_the_first_rotation_back() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());
    let id = scoped_key(&admin, "billing").await;
    let proxy = Proxy::start(app.addr, "/rotate", &[Action::LoseAnswer]).await;
    let no_retries = builder(&proxy.url(), &app.admin())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let step = IdempotencyKey::new("deploy-2026-12-rotate-billing").unwrap();
    let rotation = RotateApiKey::GracePeriod(GracePeriod::OneDay);

    // The first run loses its answer and gives up.
    let lost = no_retries
        .with_idempotency_key(step.clone())
        .rotate_api_key(&id, &rotation)
        .await
        .unwrap_err();
    assert!(matches!(lost, Error::Transport(_)), "{lost}");

    // Run again with the same key: the same new key and secret, no second rotation.
    let again = no_retries
        .with_idempotency_key(step.clone())
        .rotate_api_key(&id, &rotation)
        .await
        .unwrap();
    let old = admin.get_api_key(&id).await.unwrap();
    assert_eq!(
        old.replaced_by_id.as_deref(),
        Some(again.api_key.id.as_str())
    );
    assert_eq!(rotations_of(&admin, &id).await, 1);
    let verified = admin
        .verify(&VerifyRequest::new(again.secret))
        .await
        .unwrap();
    assert!(verified.valid);

    // The same key for another request is refused, and changes nothing.
    let other = scoped_key(&admin, "other").await;
    let conflict = no_retries
        .with_idempotency_key(step)
        .rotate_api_key(&other, &rotation)
        .await
        .unwrap_err();
    assert_eq!(
        conflict.code(),
        Some(&ErrorCode::IdempotencyConflict),
        "{conflict}"
    );
    assert_eq!(rotations_of(&admin, &other).await, 0);
}

#[tokio::test]
async fn a_verification_whose_answer_was_lost_is_not_sent_again() {
    let app = TestApp::spawn().await;
    let (_, secret) = app.create_key("caller", &["customers:read"]).await;
    let proxy = Proxy::start(app.addr, "/verify", &[Action::LoseAnswer]).await;
    let through_proxy = builder(&proxy.url(), &app.admin()).build().unwrap();

    let err = through_proxy
        .verify(&VerifyRequest::new(secret.as_str()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err}");
    let attempts = proxy.seen("/verify");
    assert_eq!(attempts.len(), 1, "a verification counts: not sent twice");
    assert_eq!(attempts[0].idempotency_key, None);

    // One refused with 503 never ran: that one is sent again.
    let proxy = Proxy::start(app.addr, "/verify", &[Action::Unavailable]).await;
    let through_proxy = builder(&proxy.url(), &app.admin()).build().unwrap();
    let answer = through_proxy
        .verify(&VerifyRequest::new(secret.as_str()))
        .await
        .unwrap();
    assert!(answer.valid);
    assert_eq!(proxy.seen("/verify").len(), 2);
}
