//! Idempotent replays are answered only to a caller who may still run the mutation: one who
//! lost the authority it had (a person demoted, a key re-scoped) gets the error instead of the
//! stored response and its secret. Records are kept per caller, so two callers choosing the same
//! Idempotency-Key neither collide nor learn of each other.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Gql, TestApp};

const CREATE: &str = "mutation { createApiKey(input: {name: \"replayed\", scopes: [\"customers:read\"]}) { secret apiKey { id } } }";
const INVITE: &str = "mutation { inviteUser(input: { email: \"late@example.com\", role: MEMBER }) { invitationUrl } }";
const ROLE: &str = "mutation($id: ID!, $role: UserRole!) { updateUserRole(input: { id: $id, role: $role }) { role } }";
const RESCOPE: &str = "mutation($id: ID!, $scopes: [String!]!) { updateApiKeyScopes(input: { id: $id, scopes: $scopes }) { id } }";

enum Caller<'a> {
    Key(&'a str),
    Session(&'a str),
}

async fn post(app: &TestApp, caller: Caller<'_>, idempotency_key: &str, query: &str) -> Gql {
    let request = app
        .client
        .post(app.url("/graphql"))
        .header("Idempotency-Key", idempotency_key)
        .json(&json!({ "query": query }));
    let request = match caller {
        Caller::Key(key) => request.header("X-API-Key", key),
        Caller::Session(token) => request
            .bearer_auth(token)
            .header("Keyplane-Environment", "production"),
    };
    Gql::read(request.send().await.unwrap()).await
}

fn secret_of(response: &Gql) -> &str {
    response.body["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("a created key's secret")
}

/// The refusal of a replay: FORBIDDEN, not replayed, and no trace of the stored body.
fn assert_refused(response: &Gql, stored: &Value) {
    assert_eq!(response.code(), "FORBIDDEN", "{:?}", response.body);
    assert!(response.headers.get("idempotent-replayed").is_none());
    assert!(response.body["data"].is_null(), "{:?}", response.body);
    assert!(
        !response
            .body
            .to_string()
            .contains(&stored["data"].to_string())
    );
}

#[tokio::test]
async fn a_member_demoted_to_read_only_cannot_replay_a_created_secret() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let member = Caller::Session(&people.member.token);
    let first = post(&app, member, "member-create-1", CREATE).await;
    let secret = secret_of(&first).to_owned();
    // While still a member, the retry is a replay.
    let again = post(
        &app,
        Caller::Session(&people.member.token),
        "member-create-1",
        CREATE,
    )
    .await;
    assert_eq!(again.headers["idempotent-replayed"], "true");

    app.as_user(
        &people.owner.token,
        "production",
        ROLE,
        json!({ "id": people.member.id, "role": "READ_ONLY" }),
    )
    .await
    .data();
    let replay = post(
        &app,
        Caller::Session(&people.member.token),
        "member-create-1",
        CREATE,
    )
    .await;
    assert_refused(&replay, &first.body);
    assert!(!replay.body.to_string().contains(&secret));
    assert_eq!(
        replay.first_error()["extensions"]["requiredScope"],
        "api_keys:write"
    );
}

#[tokio::test]
async fn an_owner_demoted_to_member_cannot_replay_an_invitation_link() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let second_owner = app
        .invite(&people.owner, "second@example.com", "OWNER")
        .await;
    let first = post(
        &app,
        Caller::Session(&second_owner.token),
        "invite-1",
        INVITE,
    )
    .await;
    let url = first.body["data"]["inviteUser"]["invitationUrl"]
        .as_str()
        .expect("an invitation link")
        .to_owned();
    app.as_user(
        &people.owner.token,
        "production",
        ROLE,
        json!({ "id": second_owner.id, "role": "MEMBER" }),
    )
    .await
    .data();
    let replay = post(
        &app,
        Caller::Session(&second_owner.token),
        "invite-1",
        INVITE,
    )
    .await;
    assert_refused(&replay, &first.body);
    assert!(!replay.body.to_string().contains(&url));
}

#[tokio::test]
async fn a_key_that_lost_its_scope_cannot_replay_a_created_secret() {
    let app = TestApp::spawn().await;
    let (id, maker) = app
        .create_key("key maker", &["api_keys:write", "customers:read"])
        .await;
    let first = post(&app, Caller::Key(&maker), "key-create-1", CREATE).await;
    let secret = secret_of(&first).to_owned();
    app.ok(
        &app.admin(),
        RESCOPE,
        json!({ "id": id, "scopes": ["api_keys:read", "customers:read"] }),
    )
    .await;
    let replay = post(&app, Caller::Key(&maker), "key-create-1", CREATE).await;
    assert_refused(&replay, &first.body);
    assert!(!replay.body.to_string().contains(&secret));
    assert_eq!(
        replay.first_error()["extensions"]["requiredScope"],
        "api_keys:write"
    );
}

#[tokio::test]
async fn two_callers_using_one_idempotency_key_each_get_their_own_result() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let (_, other) = app
        .create_key("other caller", &["api_keys:write", "customers:read"])
        .await;
    let admin = app.admin();
    let mut secrets = Vec::new();
    for key in [&admin, &other] {
        let caller = || Caller::Key(key);
        let first = post(&app, caller(), "shared-1", CREATE).await;
        assert!(
            first.headers.get("idempotent-replayed").is_none(),
            "ran for this caller: {:?}",
            first.body
        );
        secrets.push(secret_of(&first).to_owned());
        let replay = post(&app, caller(), "shared-1", CREATE).await;
        assert_eq!(replay.headers["idempotent-replayed"], "true");
        assert_eq!(secret_of(&replay), secrets.last().unwrap());
    }
    // A person choosing the same key, in the same environment, is a third caller.
    let first = post(
        &app,
        Caller::Session(&people.member.token),
        "shared-1",
        CREATE,
    )
    .await;
    assert!(first.headers.get("idempotent-replayed").is_none());
    secrets.push(secret_of(&first).to_owned());
    secrets.sort();
    secrets.dedup();
    assert_eq!(secrets.len(), 3, "three callers, three keys");
    // Each caller's own different request under that key is still a conflict, for that
    // caller alone.
    let changed = post(
        &app,
        Caller::Key(&other),
        "shared-1",
        &CREATE.replace("replayed", "other"),
    )
    .await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(changed.code(), "IDEMPOTENCY_CONFLICT");
}
