//! Who may grant which scopes, how a scoped key is re-scoped, the permission catalog, and what a
//! plan allows: scoped keys need the Scale plan, and a downgrade keeps existing ones working.

use keyplane_domain::account::Plan;
use serde_json::json;

use crate::harness::{TestApp, TestOptions};
use crate::lifecycle::{CREATE, KEY_EVENTS, REVOKE, SCOPES, default_keys, events};

#[tokio::test]
async fn scoped_keys_need_the_scale_plan_and_default_keys_work_on_any_plan() {
    for plan in [Plan::Free, Plan::Growth] {
        let app = TestApp::spawn_with_plan(plan).await;
        let before = app.snapshot().await;
        let response = app
            .gql(
                Some(&app.admin()),
                CREATE,
                json!({ "input": { "name": "x", "preset": "READ_ONLY" } }),
            )
            .await;
        assert_eq!(response.code(), "PLAN_UPGRADE_REQUIRED");
        assert_eq!(app.snapshot().await, before);
        let viewer = app
            .ok(&app.admin(), "{ viewer { account { plan } } }", json!({}))
            .await;
        assert_eq!(viewer["viewer"]["account"]["plan"], plan.as_str());
    }
}

#[tokio::test]
async fn scoped_key_cannot_grant_or_touch_scopes_it_lacks() {
    let app = TestApp::spawn().await;
    let (_, manager) = app
        .create_key("key manager", &["api_keys:write", "customers:read"])
        .await;
    let (coupons_id, _) = app.create_key("coupons", &["coupons:write"]).await;
    let (narrow_id, _) = app.create_key("narrow", &["customers:read"]).await;
    let before = app.snapshot().await;

    let escalate = app
        .gql(
            Some(&manager),
            CREATE,
            json!({ "input": { "name": "x", "scopes": ["customers:write"] } }),
        )
        .await;
    assert_eq!(escalate.code(), "FORBIDDEN");
    assert_eq!(
        escalate.first_error()["extensions"]["requiredScope"],
        "customers:write"
    );
    let preset = app
        .gql(
            Some(&manager),
            CREATE,
            json!({ "input": { "name": "x", "preset": "FULL_ACCESS" } }),
        )
        .await;
    assert_eq!(preset.code(), "FORBIDDEN");
    let widen = app
        .gql(
            Some(&manager),
            SCOPES,
            json!({ "input": { "id": narrow_id, "scopes": ["customers:write"] } }),
        )
        .await;
    assert_eq!(widen.code(), "FORBIDDEN");
    for mutation in [
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { id } }",
        "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: NOW}) { secret } }",
        "mutation($id: ID!) { updateApiKey(input: {id: $id, name: \"mine now\"}) { id } }",
    ] {
        let response = app
            .gql(Some(&manager), mutation, json!({ "id": coupons_id }))
            .await;
        assert_eq!(response.code(), "FORBIDDEN", "{mutation}");
    }
    let full_access_id = app
        .ok(&app.admin(), "{ viewer { apiKey { id } } }", json!({}))
        .await["viewer"]["apiKey"]["id"]
        .clone();
    let rotate_full = app
        .gql(Some(&manager), "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_DAY}) { secret } }", json!({ "id": full_access_id }))
        .await;
    assert_eq!(rotate_full.code(), "FORBIDDEN");
    assert_eq!(app.snapshot().await, before);

    // Within its own scopes it may act.
    let allowed = app
        .ok(
            &manager,
            CREATE,
            json!({ "input": { "name": "reader", "scopes": ["customers:read"] } }),
        )
        .await;
    assert_eq!(
        allowed["createApiKey"]["apiKey"]["createdBy"]["name"],
        "key manager"
    );
    app.ok(&manager, REVOKE, json!({ "id": narrow_id })).await;
}

#[tokio::test]
async fn scopes_change_on_scoped_keys_only_with_before_and_after() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.create_key("svc", &["customers:read"]).await;
    let changed = app
        .ok(
            &app.admin(),
            SCOPES,
            json!({ "input": { "id": id, "preset": "API_KEYS_READ_WRITE" } }),
        )
        .await;
    assert_eq!(
        changed["updateApiKeyScopes"]["scopes"],
        json!(["api_keys:write"])
    );
    // The new scope applies to the key's very next request.
    app.ok(
        &secret,
        "{ apiKeys(first: 1) { edges { node { id } } } }",
        json!({}),
    )
    .await;

    let trail = events(&app.ok(&app.admin(), KEY_EVENTS, json!({ "id": id })).await);
    assert_eq!(trail[0]["type"], "SCOPES_UPDATED");
    assert_eq!(trail[0]["before"]["scopes"], json!(["customers:read"]));
    assert_eq!(trail[0]["after"]["scopes"], json!(["api_keys:write"]));

    let before = app.snapshot().await;
    for key in default_keys(&app).await {
        let response = app
            .gql(
                Some(&app.admin()),
                SCOPES,
                json!({ "input": { "id": key["id"], "scopes": ["customers:read"] } }),
            )
            .await;
        assert_eq!(response.code(), "CONFLICT", "{key}");
    }
    for input in [
        json!({ "id": id, "scopes": [] }),
        json!({ "id": id, "scopes": ["nope:read"] }),
        json!({ "id": id }),
        json!({ "id": id, "scopes": ["customers:read"], "preset": "READ_ONLY" }),
    ] {
        let response = app
            .gql(Some(&app.admin()), SCOPES, json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{input}");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn permission_catalog_lists_every_resource() {
    let app = TestApp::spawn().await;
    let data = app
        .ok(
            &app.admin(),
            "{ permissionCatalog { resource displayName permissions } }",
            json!({}),
        )
        .await;
    let catalog = data["permissionCatalog"].as_array().unwrap();
    let find =
        |name: &str| catalog.iter().find(|r| r["resource"] == name).unwrap()["permissions"].clone();
    assert_eq!(catalog.len(), 5);
    assert_eq!(
        find("customers"),
        json!(["customers:read", "customers:write"])
    );
    assert_eq!(find("event_queue"), json!(["event_queue:read"]));
}

#[tokio::test]
async fn after_a_downgrade_existing_scoped_keys_keep_working_and_new_ones_are_refused() {
    // Another process (the operator command) changes the plan: PostgreSQL tells the server at
    // once; on SQLite it shows within the cache TTL, kept short here.
    let app = TestApp::spawn_with(TestOptions {
        cache_ttl: std::time::Duration::from_millis(200),
        ..TestOptions::default()
    })
    .await;
    let (_, scoped) = app
        .create_key("before downgrade", &["api_keys:write"])
        .await;
    let store = keyplane_store::Store::connect(&app.db.url()).await.unwrap();
    store.set_plan(Plan::Growth).await.unwrap();
    store.close().await.unwrap();

    let plan = "{ viewer { account { plan } } }";
    app.eventually(plan, json!({}), |d| {
        d["viewer"]["account"]["plan"] == "GROWTH"
    })
    .await;
    let viewer = app.ok(&scoped, plan, json!({})).await;
    assert_eq!(
        viewer["viewer"]["account"]["plan"], "GROWTH",
        "the existing scoped key still works"
    );
    let refused = app
        .gql(
            Some(&scoped),
            CREATE,
            json!({ "input": { "name": "after", "scopes": ["api_keys:read"] } }),
        )
        .await;
    assert_eq!(refused.code(), "PLAN_UPGRADE_REQUIRED");
}
