//! Every change of an environment's settings is audited in the same transaction, with its
//! actor and what it was before and after, and never a secret.

use serde_json::{Value, json};

use crate::harness::{TestApp, nodes_of};

const SETTINGS_EVENTS: &str = "{ auditEvents(first: 50, filter: {subject: ENVIRONMENT}) { edges { node {
    type actor { type name } apiKey { id }
    before { rateLimit { requests periodSeconds } clientSecurityEnabled allowedOrigins signingSecretId signingSecretValidUntil integration }
    after { rateLimit { requests periodSeconds } clientSecurityEnabled allowedOrigins signingSecretId signingSecretValidUntil integration }
} } } }";

async fn settings_events(app: &TestApp) -> Vec<Value> {
    let data = app.ok(&app.admin(), SETTINGS_EVENTS, json!({})).await;
    let mut events = nodes_of(&data["auditEvents"]);
    events.reverse();
    events
}

#[tokio::test]
async fn every_settings_change_is_audited_with_its_actor_and_before_after() {
    let app = TestApp::spawn().await;
    let key = app.admin();
    app.ok(&key, "mutation { updateEnvironmentRateLimit(input: {rateLimit: {requests: 100, periodSeconds: 60}}) { id } }", json!({})).await;
    app.ok(
        &key,
        "mutation { updateEnvironmentRateLimit(input: {rateLimit: null}) { id } }",
        json!({}),
    )
    .await;
    let rotated = app
        .ok(
            &key,
            "mutation { rotateClientSigningSecret(input: {}) { signingSecret } }",
            json!({}),
        )
        .await;
    let signing_secret = rotated["rotateClientSigningSecret"]["signingSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        &key,
        "mutation { rotateClientSigningSecret(input: {gracePeriod: ONE_HOUR}) { signingSecret } }",
        json!({}),
    )
    .await;
    app.ok(&key, "mutation { updateClientSecurity(input: {enabled: true, allowedOrigins: [\"https://app.example.com\"]}) { enabled } }", json!({})).await;
    app.ok(
        &key,
        "mutation { updateClientSecurity(input: {enabled: false}) { enabled } }",
        json!({}),
    )
    .await;
    let connected = app
        .ok(
            &key,
            "mutation { connectIntegration(input: {provider: HUBSPOT}) { integration { id } } }",
            json!({}),
        )
        .await;
    let integration = connected["connectIntegration"]["integration"]["id"].clone();
    app.ok(
        &key,
        "mutation($id: ID!) { disconnectIntegration(input: {id: $id}) { id } }",
        json!({ "id": integration }),
    )
    .await;

    let events = settings_events(&app).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "DEFAULT_RATE_LIMIT_CHANGED",
            "DEFAULT_RATE_LIMIT_CHANGED",
            "SIGNING_SECRET_ROTATED",
            "SIGNING_SECRET_ROTATED",
            "CLIENT_SECURITY_UPDATED",
            "CLIENT_SECURITY_UPDATED",
            "INTEGRATION_CONNECTED",
            "INTEGRATION_DISCONNECTED",
        ]
    );
    for event in &events {
        assert_eq!(event["actor"]["type"], "API_KEY");
        assert_eq!(event["actor"]["name"], "Full access key");
        assert!(event["apiKey"].is_null(), "a settings event names no key");
    }
    let limit = json!({ "requests": 100, "periodSeconds": 60 });
    assert!(events[0]["before"]["rateLimit"].is_null());
    assert_eq!(events[0]["after"]["rateLimit"], limit);
    assert_eq!(events[1]["before"]["rateLimit"], limit);
    assert!(events[1]["after"]["rateLimit"].is_null());

    assert!(
        events[2]["before"]["signingSecretId"].is_null(),
        "the first secret replaced none"
    );
    let first_id = events[2]["after"]["signingSecretId"].clone();
    assert!(first_id.is_string());
    assert_eq!(events[3]["before"]["signingSecretId"], first_id);
    assert!(events[3]["before"]["signingSecretValidUntil"].is_string());
    assert_ne!(events[3]["after"]["signingSecretId"], first_id);

    assert_eq!(events[4]["before"]["clientSecurityEnabled"], false);
    assert_eq!(events[4]["after"]["clientSecurityEnabled"], true);
    assert_eq!(
        events[4]["after"]["allowedOrigins"],
        json!(["https://app.example.com"])
    );
    assert_eq!(events[5]["before"]["clientSecurityEnabled"], true);
    assert_eq!(events[5]["after"]["clientSecurityEnabled"], false);

    assert_eq!(events[6]["after"]["integration"], "HUBSPOT");
    assert_eq!(events[7]["before"]["integration"], "HUBSPOT");

    let everything = app.db.raw_contents().await;
    assert!(
        !everything.contains(&signing_secret),
        "the signing secret is audited by id only"
    );
}

#[tokio::test]
async fn the_subject_filter_separates_key_events_from_settings_events() {
    let app = TestApp::spawn().await;
    app.ok(&app.admin(), "mutation { updateEnvironmentRateLimit(input: {rateLimit: {requests: 5, periodSeconds: 1}}) { id } }", json!({})).await;
    let data = app
        .ok(&app.admin(), "{ keys: auditEvents(first: 50, filter: {subject: API_KEY}) { edges { node { type apiKey { id } } } }
                            all: auditEvents(first: 50) { edges { node { type } } } }", json!({}))
        .await;
    let keys = data["keys"]["edges"].as_array().unwrap();
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|e| e["node"]["apiKey"]["id"].is_string()));
    assert_eq!(
        data["all"]["edges"].as_array().unwrap().len(),
        keys.len() + 1
    );
}

#[tokio::test]
async fn a_refused_settings_change_writes_no_audit_event() {
    let app = TestApp::spawn().await;
    // Enabling client-side security without a signing secret is a CONFLICT.
    let refused = app
        .gql(
            Some(&app.admin()),
            "mutation { updateClientSecurity(input: {enabled: true}) { enabled } }",
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "CONFLICT");
    assert!(settings_events(&app).await.is_empty());
}

#[tokio::test]
async fn a_rate_limit_keeps_its_mode_and_a_change_of_mode_alone_is_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let limit = "rateLimit { requests periodSeconds mode }";
    let created = app
        .ok(&admin, &format!("mutation {{ createApiKey(input: {{name: \"leased\", preset: READ_ONLY, rateLimit: {{requests: 10, periodSeconds: 60, mode: LEASED}}}}) {{ apiKey {{ id {limit} }} }} }}"), json!({}))
        .await;
    let key = &created["createApiKey"]["apiKey"];
    assert_eq!(
        key["rateLimit"],
        json!({ "requests": 10, "periodSeconds": 60, "mode": "LEASED" })
    );
    let id = key["id"].as_str().unwrap();
    // Only the mode changes: still a change, audited before and after.
    let update = format!(
        "mutation($id: ID!) {{ updateApiKey(input: {{id: $id, rateLimit: {{requests: 10, periodSeconds: 60}}}}) {{ {limit} }} }}"
    );
    let updated = app.ok(&admin, &update, json!({ "id": id })).await;
    assert_eq!(updated["updateApiKey"]["rateLimit"]["mode"], "EXACT");
    let events = app
        .ok(&admin, &format!("query($id: ID!) {{ apiKey(id: $id) {{ auditEvents {{ edges {{ node {{ type before {{ {limit} }} after {{ {limit} }} }} }} }} }} }}"), json!({ "id": id }))
        .await;
    let changed = &events["apiKey"]["auditEvents"]["edges"][0]["node"];
    assert_eq!(changed["before"]["rateLimit"]["mode"], "LEASED");
    assert_eq!(changed["after"]["rateLimit"]["mode"], "EXACT");
    // The environment default keeps its mode too.
    let set = app
        .ok(&admin, "mutation { updateEnvironmentRateLimit(input: {rateLimit: {requests: 5, periodSeconds: 1, mode: LEASED}}) { defaultRateLimit { requests periodSeconds mode } } }", json!({}))
        .await;
    assert_eq!(
        set["updateEnvironmentRateLimit"]["defaultRateLimit"]["mode"],
        "LEASED"
    );
    let read = app
        .ok(
            &admin,
            "{ viewer { environment { defaultRateLimit { mode } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        read["viewer"]["environment"]["defaultRateLimit"]["mode"],
        "LEASED"
    );
    // An unknown mode is refused by the schema, and changes nothing.
    let bad = app
        .gql(Some(&admin), "mutation { updateEnvironmentRateLimit(input: {rateLimit: {requests: 5, periodSeconds: 1, mode: SOMETIMES}}) { id } }", json!({}))
        .await;
    assert!(bad.body["errors"].is_array());
    assert_eq!(settings_events(&app).await.len(), 1);
}
