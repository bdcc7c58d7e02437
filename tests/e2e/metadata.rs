//! Metadata and external ids on keys: validated, returned by verification, filtered on, copied
//! by rotation and audited.

use serde_json::{Value, json};

use crate::harness::TestApp;

const CREATE: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id metadata externalId } } }";
const UPDATE: &str = "mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id metadata externalId } }";
const LIST: &str = "query($filter: ApiKeyFilter) { apiKeys(first: 100, filter: $filter) { edges { node { name } } } }";

async fn create(app: &TestApp, name: &str, extra: Value) -> (String, String) {
    let mut input = json!({ "name": name, "preset": "READ_ONLY" });
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let data = app
        .ok(&app.admin(), CREATE, json!({ "input": input }))
        .await;
    let created = &data["createApiKey"];
    (
        created["apiKey"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn names(app: &TestApp, filter: Value) -> Vec<String> {
    let data = app
        .ok(&app.admin(), LIST, json!({ "filter": filter }))
        .await;
    let mut names: Vec<String> = data["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn metadata_and_external_id_round_trip_through_verification() {
    let app = TestApp::spawn().await;
    let metadata = json!({ "tenant": "acme", "plan": "pro", "seats": 12, "owner": { "email": "ops@acme.test" } });
    let (_, secret) = create(
        &app,
        "tagged",
        json!({ "metadata": metadata, "externalId": "tenant_42" }),
    )
    .await;

    let verified = app
        .ok(
            &app.admin(),
            "query($key: String!) { verifyApiKey(input: {key: $key}) { code apiKey { metadata externalId } } }",
            json!({ "key": secret }),
        )
        .await;
    assert_eq!(verified["verifyApiKey"]["code"], "VALID");
    assert_eq!(verified["verifyApiKey"]["apiKey"]["metadata"], metadata);
    assert_eq!(
        verified["verifyApiKey"]["apiKey"]["externalId"],
        "tenant_42"
    );

    let plain: Value = app
        .client
        .post(app.url("/v1/verify"))
        .header("X-API-Key", app.admin())
        .json(&json!({ "key": secret }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain["apiKey"]["metadata"], metadata);
    assert_eq!(plain["apiKey"]["externalId"], "tenant_42");
}

#[tokio::test]
async fn keys_are_listed_by_external_id_and_by_a_metadata_value() {
    let app = TestApp::spawn().await;
    create(
        &app,
        "a1",
        json!({ "externalId": "tenant_a", "metadata": { "plan": "pro" } }),
    )
    .await;
    create(
        &app,
        "a2",
        json!({ "externalId": "tenant_a", "metadata": { "plan": "free", "seats": 3 } }),
    )
    .await;
    create(
        &app,
        "b1",
        json!({ "externalId": "tenant_b", "metadata": { "plan": "pro", "seats": "3" } }),
    )
    .await;
    create(&app, "plain", json!({})).await;

    assert_eq!(
        names(&app, json!({ "externalId": "tenant_a" })).await,
        ["a1", "a2"]
    );
    assert_eq!(
        names(&app, json!({ "externalId": "tenant_c" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(
            &app,
            json!({ "metadata": { "key": "plan", "value": "pro" } })
        )
        .await,
        ["a1", "b1"]
    );
    // Only string values match: the number 3 is not the string "3".
    assert_eq!(
        names(
            &app,
            json!({ "metadata": { "key": "seats", "value": "3" } })
        )
        .await,
        ["b1"]
    );
    assert_eq!(
        names(
            &app,
            json!({ "externalId": "tenant_a", "metadata": { "key": "plan", "value": "pro" } })
        )
        .await,
        ["a1"]
    );
}

#[tokio::test]
async fn bad_metadata_or_external_ids_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (id, _) = create(
        &app,
        "kept",
        json!({ "metadata": { "plan": "pro" }, "externalId": "t1" }),
    )
    .await;
    let refused = [
        json!({ "metadata": ["not", "an", "object"] }),
        json!({ "metadata": { "keyplane_internal": true } }),
        json!({ "metadata": { "blob": "x".repeat(4100) } }),
        json!({ "externalId": "" }),
        json!({ "externalId": "a\u{0}b" }),
        json!({ "externalId": "t".repeat(256) }),
    ];
    for extra in &refused {
        let mut input = json!({ "name": "never", "preset": "READ_ONLY" });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let created = app
            .gql(Some(&app.admin()), CREATE, json!({ "input": input }))
            .await;
        assert_eq!(created.code(), "BAD_USER_INPUT", "create {extra}");

        let mut change = json!({ "id": id });
        change
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let updated = app
            .gql(Some(&app.admin()), UPDATE, json!({ "input": change }))
            .await;
        assert_eq!(updated.code(), "BAD_USER_INPUT", "update {extra}");
    }
    assert_eq!(
        names(&app, json!({ "nameContains": "never" })).await,
        Vec::<String>::new()
    );
    let key = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { metadata externalId } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        key["apiKey"],
        json!({ "metadata": { "plan": "pro" }, "externalId": "t1" })
    );
}

#[tokio::test]
async fn updates_are_audited_rotation_copies_them_and_null_clears_them() {
    let app = TestApp::spawn().await;
    let (id, _) = create(
        &app,
        "evolving",
        json!({ "metadata": { "plan": "free" }, "externalId": "t1" }),
    )
    .await;
    let updated = app
        .ok(
            &app.admin(),
            UPDATE,
            json!({ "input": { "id": id, "metadata": { "plan": "pro" } } }),
        )
        .await;
    assert_eq!(
        updated["updateApiKey"]["metadata"],
        json!({ "plan": "pro" })
    );
    assert_eq!(
        updated["updateApiKey"]["externalId"], "t1",
        "an omitted field stays"
    );

    let events = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { auditEvents { edges { node { type before { metadata externalId } after { metadata externalId } } } } } }",
            json!({ "id": id }),
        )
        .await;
    let update = &events["apiKey"]["auditEvents"]["edges"][0]["node"];
    assert_eq!(update["type"], "KEY_UPDATED");
    assert_eq!(update["before"]["metadata"], json!({ "plan": "free" }));
    assert_eq!(update["after"]["metadata"], json!({ "plan": "pro" }));

    let rotated = app
        .ok(
            &app.admin(),
            "mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriod: ONE_HOUR}) { apiKey { metadata externalId } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        rotated["rotateApiKey"]["apiKey"],
        json!({ "metadata": { "plan": "pro" }, "externalId": "t1" })
    );

    let cleared = app
        .ok(
            &app.admin(),
            UPDATE,
            json!({ "input": { "id": id, "metadata": null, "externalId": null } }),
        )
        .await;
    assert_eq!(cleared["updateApiKey"]["metadata"], Value::Null);
    assert_eq!(cleared["updateApiKey"]["externalId"], Value::Null);
}
