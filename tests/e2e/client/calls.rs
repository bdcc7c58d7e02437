//! Every typed call against the real server, and the errors it answers with their code,
//! status and request id.

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use keyplane_client::{
    ApiKeyFilter, ApiKeyStatus, ApiKeyType, AuditEventType, AuditFilter, BulkFilter, BulkRevoke,
    CreateApiKey, Cursor, Error, ErrorCode, GracePeriod, PageRequest, Patch, RotateApiKey,
    UpdateApiKey, UsageGranularity, UsageQuery, VerificationCode, VerifyRequest,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::client;
use crate::harness::TestApp;

#[tokio::test]
async fn a_key_lives_its_whole_life_through_the_client() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());
    let in_a_month = Utc::now() + chrono::Duration::days(30);
    let created = admin
        .create_api_key(&CreateApiKey {
            metadata: Some(json!({ "plan": "pro" })),
            external_id: Some("acct_42".into()),
            description: Some("billing service".into()),
            expires_at: Some(in_a_month),
            ..CreateApiKey::with_scopes("billing", ["customers:read"])
        })
        .await
        .unwrap();
    let id = created.api_key.id.clone();
    assert_eq!(created.api_key.key_type, ApiKeyType::Scoped);
    assert_eq!(created.api_key.status, ApiKeyStatus::Active);
    assert!(
        !format!("{created:?}").contains(created.secret.expose()),
        "Debug hides the secret"
    );

    let got = admin.get_api_key(&id).await.unwrap();
    assert_eq!(got, created.api_key);

    // PATCH: a rename, a cleared description, new scopes, in one call.
    let updated = admin
        .update_api_key(
            &id,
            &UpdateApiKey {
                name: Some("billing-v2".into()),
                description: Patch::Clear,
                scopes: Some(vec!["customers:read".into(), "subscriptions:read".into()]),
                ..UpdateApiKey::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "billing-v2");
    assert_eq!(updated.description, None);
    assert_eq!(updated.scopes, ["customers:read", "subscriptions:read"]);
    assert_eq!(updated.external_id.as_deref(), Some("acct_42"), "untouched");

    let in_two_months = Utc::now().trunc_subsecs(0) + chrono::Duration::days(60);
    let moved = admin.change_expiration(&id, in_two_months).await.unwrap();
    assert_eq!(moved.expires_at, Some(in_two_months));

    let disabled = admin.disable_api_key(&id, "suspected leak").await.unwrap();
    assert_eq!(disabled.status, ApiKeyStatus::Disabled);
    assert_eq!(disabled.disabled_reason.as_deref(), Some("suspected leak"));
    let enabled = admin.enable_api_key(&id).await.unwrap();
    assert_eq!(enabled.status, ApiKeyStatus::Active);

    // Rotation with grace: both secrets verify until the old key is revoked.
    let rotated = admin
        .rotate_api_key(&id, &RotateApiKey::GracePeriod(GracePeriod::OneHour))
        .await
        .unwrap();
    assert_eq!(rotated.previous_key.id, id);
    assert_eq!(
        rotated.api_key.rotated_from_id.as_deref(),
        Some(id.as_str())
    );
    for secret in [&created.secret, &rotated.secret] {
        let answer = admin
            .verify(&VerifyRequest {
                permission: Some("customers:read".into()),
                ..VerifyRequest::new(secret.clone())
            })
            .await
            .unwrap();
        assert_eq!(answer.code, VerificationCode::Valid);
        assert_eq!(answer.environment.as_deref(), Some("production"));
    }
    let revoked = admin.revoke_api_key(&id).await.unwrap();
    assert_eq!(revoked.status, ApiKeyStatus::Revoked);
    let refused = admin
        .verify(&VerifyRequest::new(created.secret.clone()))
        .await
        .unwrap();
    assert_eq!(
        (refused.valid, refused.code),
        (false, VerificationCode::Revoked)
    );

    // The key's trail, in order, newest first.
    let trail = admin
        .list_api_key_audit_events(&id, &PageRequest::default())
        .await
        .unwrap();
    let types: Vec<_> = trail.data.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            AuditEventType::KeyRevoked,
            AuditEventType::KeyRotated,
            AuditEventType::KeyEnabled,
            AuditEventType::KeyDisabled,
            AuditEventType::ExpirationChanged,
            AuditEventType::ScopesUpdated,
            AuditEventType::KeyUpdated,
            AuditEventType::KeyCreated,
        ]
    );
    // The environment's trail, filtered by type, every page.
    let filter = AuditFilter {
        types: vec![AuditEventType::KeyCreated],
        ..AuditFilter::default()
    };
    let created_events = admin
        .audit_event_pages(&filter, PageRequest::first(1))
        .collect()
        .await
        .unwrap();
    let one_page = admin
        .list_audit_events(&filter, &PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(
        created_events, one_page.data,
        "pages of one event add up to the whole list"
    );
    assert!(
        created_events
            .iter()
            .all(|e| e.event_type == AuditEventType::KeyCreated)
    );
    for key in [&id, &rotated.api_key.id] {
        assert!(
            created_events
                .iter()
                .any(|e| e.api_key_id.as_ref() == Some(key))
        );
    }

    // Usage: the old secret's two verifications, once written behind.
    let query = UsageQuery {
        from: Utc::now() - chrono::Duration::minutes(5),
        to: Utc::now() + chrono::Duration::minutes(1),
        granularity: UsageGranularity::Minute,
        permission: None,
    };
    let mut total = 0;
    for _ in 0..100 {
        let points = admin.api_key_usage(&id, &query).await.unwrap();
        total = points.iter().map(|p| p.total).sum::<u64>();
        if total == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        total, 2,
        "one valid and one revoked verification of the old secret"
    );
}

#[tokio::test]
async fn listings_filter_and_follow_every_page_both_ways() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());
    for n in 0..5 {
        let mut key = CreateApiKey::with_scopes(format!("worker-{n}"), ["customers:read"]);
        if n % 2 == 0 {
            key.metadata = Some(json!({ "plan": "pro" }));
        }
        admin.create_api_key(&key).await.unwrap();
    }
    let scoped = ApiKeyFilter {
        types: vec![ApiKeyType::Scoped],
        ..ApiKeyFilter::default()
    };
    let first = admin
        .list_api_keys(&scoped, &PageRequest::first(2))
        .await
        .unwrap();
    let names: Vec<_> = first.data.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["worker-4", "worker-3"]);
    assert!(first.has_more);

    let mut pages = admin.api_key_pages(&scoped, PageRequest::first(2));
    let mut sizes = Vec::new();
    while let Some(page) = pages.next().await.unwrap() {
        sizes.push(page.len());
    }
    assert_eq!(sizes, [2, 2, 1]);
    let everything = admin
        .list_all_api_keys(&ApiKeyFilter::default())
        .await
        .unwrap();
    assert_eq!(
        everything.len(),
        5 + 2,
        "the scoped keys and the two default keys"
    );

    // Newer items from a cursor: ending_before, followed the same way.
    let oldest = first.data.last().unwrap().id.clone();
    let newer = PageRequest {
        limit: Some(1),
        cursor: Some(Cursor::EndingBefore(oldest)),
    };
    let newer_keys = admin.api_key_pages(&scoped, newer).collect().await.unwrap();
    assert_eq!(newer_keys.len(), 1, "only worker-4 is newer than worker-3");

    let pro = ApiKeyFilter {
        metadata: Some(("plan".into(), "pro".into())),
        statuses: vec![ApiKeyStatus::Active, ApiKeyStatus::ExpiringSoon],
        ..ApiKeyFilter::default()
    };
    let pro_keys = admin.list_all_api_keys(&pro).await.unwrap();
    assert_eq!(pro_keys.len(), 3);

    // Bulk revocation, by filter then by id.
    let done = admin
        .bulk_revoke_api_keys(&BulkRevoke::Filter(BulkFilter {
            metadata: Some(("plan".into(), "pro".into())),
            ..BulkFilter::default()
        }))
        .await
        .unwrap();
    assert_eq!(done.revoked.len(), 3);
    let left = admin.list_all_api_keys(&scoped).await.unwrap();
    let active: Vec<_> = left
        .iter()
        .filter(|k| k.status == ApiKeyStatus::Active)
        .map(|k| k.id.clone())
        .collect();
    assert_eq!(active.len(), 2);
    let done = admin
        .bulk_revoke_api_keys(&BulkRevoke::Ids(vec![
            active[0].clone(),
            "0193a2f4-6b1c-7d2e-9f30-4a5b6c7d8e9f".into(),
        ]))
        .await
        .unwrap();
    assert_eq!(done.revoked.len(), 1);
    assert_eq!(done.skipped.len(), 1);
    assert_eq!(done.skipped[0].code, "NOT_FOUND");
}

#[tokio::test]
async fn errors_carry_the_servers_code_status_field_scope_and_request_id() {
    let app = TestApp::spawn().await;
    let admin = client(&app, &app.admin());

    let missing = admin
        .get_api_key("0193a2f4-6b1c-7d2e-9f30-4a5b6c7d8e9f")
        .await
        .unwrap_err();
    let err = missing.api().expect("a refusal");
    assert_eq!(
        (err.status.as_u16(), &err.code),
        (404, &ErrorCode::NotFound)
    );
    assert!(err.request_id.as_deref().is_some_and(|id| !id.is_empty()));

    let (_, reader) = app.create_key("reader", &["customers:read"]).await;
    let forbidden = client(&app, &reader)
        .create_api_key(&CreateApiKey::with_scopes("escalate", ["customers:read"]))
        .await
        .unwrap_err();
    let err = forbidden.api().unwrap();
    assert_eq!(
        (err.status.as_u16(), &err.code),
        (403, &ErrorCode::Forbidden)
    );
    assert_eq!(err.required_scope.as_deref(), Some("api_keys:write"));

    let bad = admin
        .create_api_key(&CreateApiKey::with_scopes("bad", ["teleport:write"]))
        .await
        .unwrap_err();
    let err = bad.api().unwrap();
    assert_eq!(
        (err.status.as_u16(), &err.code),
        (400, &ErrorCode::BadUserInput)
    );
    assert!(err.field.is_some(), "{err}");
    assert!(
        !err.message.contains("teleport"),
        "no message repeats the input: {err}"
    );

    let unauthenticated = client(&app, "server-not-a-real-key")
        .list_api_keys(&ApiKeyFilter::default(), &PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(unauthenticated.code(), Some(&ErrorCode::Unauthenticated));
    assert!(!unauthenticated.to_string().contains("not-a-real-key"));

    // An id that would change the route or the query is refused before anything is sent.
    for id in [
        "",
        ".",
        "..",
        "../audit-events",
        "a%2Fb",
        "a?b",
        "a#b",
        "a\\b",
    ] {
        let refused = admin.revoke_api_key(id).await.unwrap_err();
        assert!(
            matches!(refused, Error::InvalidInput(_)),
            "{id:?}: {refused}"
        );
    }
    // Anything else is an id Keyplane does not know.
    let unknown = admin.get_api_key("not-an-id").await.unwrap_err();
    assert_eq!(unknown.code(), Some(&ErrorCode::NotFound));
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_key_goes_nowhere_else() {
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere_addr = elsewhere.local_addr().unwrap();
    let redirecting = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirecting_addr = redirecting.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = redirecting.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://{elsewhere_addr}/steal\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    let client = super::builder(&format!("http://{redirecting_addr}"), "server-secret-key")
        .build()
        .unwrap();
    let err = client.get_api_key("some-id").await.unwrap_err();
    assert_eq!(err.api().map(|e| e.status.as_u16()), Some(307), "{err}");
    let reached = tokio::time::timeout(Duration::from_millis(200), elsewhere.accept()).await;
    assert!(
        reached.is_err(),
        "nothing connected to the redirect's target"
    );
}
