//! The whole lifecycle over REST: create (201 + Location), read, list with a filter and the
//! next page both ways, change several things at once, rotate with grace, revoke.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::call;
use crate::harness::TestApp;

#[tokio::test]
async fn a_key_lives_its_whole_life_over_rest() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let created = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/api-keys",
        Some(json!({ "name": "billing", "scopes": ["customers:read"], "metadata": { "plan": "pro" } })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["apiKey"]["id"].as_str().unwrap().to_owned();
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("/api/v1/api-keys/{id}")
    );
    assert_eq!(created.headers["cache-control"], "no-store");

    // The new key works, and can read itself.
    let got = call(
        &app,
        &secret,
        Method::GET,
        &format!("/api/v1/api-keys/{id}"),
        None,
    )
    .await;
    assert_eq!(
        got.status,
        StatusCode::FORBIDDEN,
        "customers:read cannot read keys"
    );
    assert_eq!(got.body["error"]["requiredScope"], "api_keys:read");
    let got = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/api-keys/{id}"),
        None,
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["status"], "ACTIVE");
    assert_eq!(got.body["type"], "SCOPED");

    // A filter, and pages in both directions.
    for name in ["second", "third"] {
        app.create_key(name, &["customers:read"]).await;
    }
    let page = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/api-keys?type=SCOPED&limit=2",
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let names: Vec<_> = page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].clone())
        .collect();
    assert_eq!(names, [json!("third"), json!("second")]);
    assert_eq!(page.body["has_more"], true);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let next = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/api-keys?type=SCOPED&limit=2&starting_after={cursor}"),
        None,
    )
    .await;
    assert_eq!(next.body["data"][0]["id"], id.as_str());
    assert_eq!(
        (
            next.body["has_more"].clone(),
            next.body["next_cursor"].clone()
        ),
        (json!(false), json!(null))
    );
    let back = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/api-keys?type=SCOPED&limit=1&ending_before={id}"),
        None,
    )
    .await;
    assert_eq!(back.body["data"][0]["name"], "second");
    assert_eq!(back.body["has_more"], true);
    let by_metadata = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/api-keys?metadata[plan]=pro&status=ACTIVE,EXPIRING_SOON",
        None,
    )
    .await;
    assert_eq!(
        by_metadata.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        by_metadata.body
    );

    // One PATCH changes settings and scopes together.
    let patched = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/api-keys/{id}"),
        Some(json!({ "name": "billing-v2", "metadata": null, "scopes": ["customers:read", "subscriptions:read"] })),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["name"], "billing-v2");
    assert_eq!(patched.body["metadata"], json!(null));
    assert_eq!(
        patched.body["scopes"],
        json!(["customers:read", "subscriptions:read"])
    );

    // Rotation with grace: the old key keeps working until its grace ends.
    let rotated = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/api-keys/{id}/rotate"),
        Some(json!({ "gracePeriod": "ONE_HOUR" })),
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_id = rotated.body["apiKey"]["id"].as_str().unwrap().to_owned();
    assert_eq!(rotated.body["previousKey"]["status"], "EXPIRING_SOON");
    assert_eq!(rotated.body["apiKey"]["rotatedFromId"], id.as_str());

    let revoked = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/api-keys/{new_id}/revoke"),
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "REVOKED");
    let again = call(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/api-keys/{new_id}/revoke"),
        None,
    )
    .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "CONFLICT")
    );

    // The trail, newest first.
    let trail = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/api-keys/{id}/audit-events"),
        None,
    )
    .await;
    let types: Vec<_> = trail.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "KEY_ROTATED",
            "SCOPES_UPDATED",
            "KEY_UPDATED",
            "KEY_CREATED"
        ]
    );
}

#[tokio::test]
async fn a_patch_that_breaks_one_rule_changes_nothing() {
    let app = TestApp::spawn().await;
    let (id, _) = app.create_key("steady", &["customers:read"]).await;
    let before = app.snapshot().await;
    let refused = call(
        &app,
        &app.admin(),
        Method::PATCH,
        &format!("/api/v1/api-keys/{id}"),
        Some(json!({ "name": "renamed", "scopes": ["no-such:scope"] })),
    )
    .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_REQUEST, "BAD_USER_INPUT")
    );
    assert_eq!(refused.body["error"]["field"], "scopes");
    assert_eq!(
        app.snapshot().await,
        before,
        "the name must not change either"
    );
}
