//! People over HTTP: the setup link, invitations, the last-owner rule, recoverable keys and
//! their reveal rules, the account trail and user activity, and no credential in the database or
//! the log; their listings in `listing`.

mod listing;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp, link_token};

const VIEWER: &str = "{ viewer { user { id email role } environment { slug } } }";

#[tokio::test]
async fn the_setup_link_makes_the_first_owner_once() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let data = app
        .as_user(&owner.token, "production", VIEWER, json!({}))
        .await
        .data();
    assert_eq!(data["viewer"]["user"]["role"], "OWNER");
    assert_eq!(data["viewer"]["user"]["email"], "owner@example.com");
    let again = app
        .accept(json!({ "token": app.setup_token(), "email": "second@example.com", "displayName": "Second", "password": PASSWORD }))
        .await;
    assert_eq!(again.code(), "BAD_USER_INPUT");
    let events = app
        .as_user(&owner.token, "production", "{ accountAuditEvents { edges { node { type actor { type name } email roleAfter } } } }", json!({}))
        .await
        .data();
    let joined = &events["accountAuditEvents"]["edges"][0]["node"];
    assert_eq!(joined["type"], "USER_JOINED");
    assert_eq!(joined["actor"]["type"], "USER");
    assert_eq!(joined["actor"]["name"], "Olive Owner");
    assert_eq!(joined["roleAfter"], "OWNER");
}

#[tokio::test]
async fn bad_links_and_short_passwords_change_nothing() {
    let app = TestApp::spawn().await;
    let table = [
        (
            json!({ "token": "kpl_nonsense", "email": "a@example.com", "displayName": "A", "password": PASSWORD }),
            "token",
        ),
        (
            json!({ "token": format!("kpl_{}", "0".repeat(64)), "email": "a@example.com", "displayName": "A", "password": PASSWORD }),
            "token",
        ),
        (
            json!({ "token": app.setup_token(), "email": "a@example.com", "displayName": "A", "password": "elevenchars" }),
            "password",
        ),
        (
            json!({ "token": app.setup_token(), "email": "not an email", "displayName": "A", "password": PASSWORD }),
            "email",
        ),
        (
            json!({ "token": app.setup_token(), "displayName": "A", "password": PASSWORD }),
            "email",
        ),
        (
            json!({ "token": app.setup_token(), "email": "a@example.com", "password": PASSWORD }),
            "displayName",
        ),
    ];
    for (input, field) in table {
        let answer = app.accept(input.clone()).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(
            answer.first_error()["extensions"]["field"],
            field,
            "{input}"
        );
    }
    // The setup link still works: nothing above used it.
    app.setup_owner().await;
}

#[tokio::test]
async fn the_account_keeps_an_active_owner() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let table = [
        "mutation($id: ID!) { updateUserRole(input: { id: $id, role: MEMBER }) { role } }",
        "mutation($id: ID!) { disableUser(input: { id: $id }) { disabled } }",
        "mutation($id: ID!) { removeUser(input: { id: $id }) }",
    ];
    for document in table {
        let answer = app
            .as_user(
                &owner.token,
                "production",
                document,
                json!({ "id": owner.id }),
            )
            .await;
        assert_eq!(answer.code(), "CONFLICT", "{document}");
    }
    // With a second owner, the first may step down; then the second is the last.
    let second = app.invite(&owner, "second@example.com", "OWNER").await;
    app.as_user(
        &owner.token,
        "production",
        table[0],
        json!({ "id": owner.id }),
    )
    .await
    .data();
    let answer = app
        .as_user(
            &second.token,
            "production",
            table[1],
            json!({ "id": second.id }),
        )
        .await;
    assert_eq!(answer.code(), "CONFLICT");
    // A disabled user's sessions end.
    let reader = app.invite(&second, "reader@example.com", "READ_ONLY").await;
    app.as_user(
        &second.token,
        "production",
        table[1],
        json!({ "id": reader.id }),
    )
    .await
    .data();
    assert_eq!(
        app.as_user(&reader.token, "production", VIEWER, json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn invitations_are_for_new_emails_and_used_once() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let invite = |email: &'static str| {
        app.as_user(
            &owner.token,
            "production",
            "mutation($input: InviteUserInput!) { inviteUser(input: $input) { invitationUrl expiresAt } }",
            json!({ "input": { "email": email, "role": "MEMBER" } }),
        )
    };
    assert_eq!(invite("owner@example.com").await.code(), "CONFLICT");
    let data = invite("new@example.com").await.data();
    let url = data["inviteUser"]["invitationUrl"].as_str().unwrap();
    assert!(
        url.starts_with("http://keyplane.test/console/invitation#kpl_"),
        "{url}"
    );
    let accept = json!({ "token": link_token(url), "displayName": "New", "password": PASSWORD });
    let joined = app.accept(accept.clone()).await.data();
    assert_eq!(joined["acceptInvitation"]["user"]["role"], "MEMBER");
    assert_eq!(
        joined["acceptInvitation"]["user"]["email"],
        "new@example.com"
    );
    assert_eq!(app.accept(accept).await.code(), "BAD_USER_INPUT");
    // Without a credential, nothing but acceptInvitation runs.
    let anonymous = app.gql(None, "mutation { acceptInvitation(input: { token: \"x\", password: \"y\" }) { sessionToken } revokeApiKey(input: { id: \"x\" }) { id } }", json!({})).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn recoverable_keys_are_revealed_to_owners_and_members_and_audited() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    let (before, _) = app.create_key("made while off", &["customers:read"]).await;
    app.as_user(
        &people.owner.token,
        "production",
        "mutation { updateRecoverableKeys(input: { enabled: true }) { recoverableKeys } }",
        json!({}),
    )
    .await
    .data();
    let (after, secret) = app.create_key("made while on", &["customers:read"]).await;
    let reveal = "mutation($id: ID!) { revealApiKeySecret(input: { id: $id }) { secret apiKey { id recoverable } } }";
    for who in [&people.owner, &people.member] {
        let answer = app
            .as_user(&who.token, "production", reveal, json!({ "id": after }))
            .await;
        assert_eq!(answer.headers["cache-control"], "no-store");
        let data = answer.data();
        assert_eq!(data["revealApiKeySecret"]["secret"], secret.as_str());
        assert_eq!(data["revealApiKeySecret"]["apiKey"]["recoverable"], true);
    }
    assert_eq!(
        app.as_user(
            &people.read_only.token,
            "production",
            reveal,
            json!({ "id": after })
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.as_user(
            &people.owner.token,
            "production",
            reveal,
            json!({ "id": before })
        )
        .await
        .code(),
        "CONFLICT"
    );
    // A rotated secret is recoverable too.
    let rotated = app
        .ok(&app.admin(), "mutation($id: ID!) { rotateApiKey(input: { id: $id, gracePeriod: NOW }) { secret apiKey { id recoverable } } }", json!({ "id": after }))
        .await;
    let new_id = rotated["rotateApiKey"]["apiKey"]["id"].clone();
    let revealed = app
        .as_user(
            &people.member.token,
            "production",
            reveal,
            json!({ "id": new_id }),
        )
        .await
        .data();
    assert_eq!(
        revealed["revealApiKeySecret"]["secret"],
        rotated["rotateApiKey"]["secret"]
    );
    let audit = app
        .ok(&app.admin(), "{ auditEvents(first: 20, filter: { type: [KEY_REVEALED] }) { edges { node { actor { type name } apiKey { id } } } } }", json!({}))
        .await;
    let reveals = audit["auditEvents"]["edges"].as_array().unwrap();
    assert_eq!(reveals.len(), 3);
    assert_eq!(reveals[0]["node"]["actor"]["type"], "USER");
    // Off deletes every sealed copy: nothing is revealable, even after turning it on again.
    for enabled in [false, true] {
        app.as_user(&people.owner.token, "production", "mutation($on: Boolean!) { updateRecoverableKeys(input: { enabled: $on }) { recoverableKeys } }", json!({ "on": enabled }))
            .await
            .data();
    }
    assert_eq!(
        app.as_user(
            &people.owner.token,
            "production",
            reveal,
            json!({ "id": new_id })
        )
        .await
        .code(),
        "CONFLICT"
    );
    let key = app
        .ok(
            &app.admin(),
            "query($id: ID!) { apiKey(id: $id) { recoverable } }",
            json!({ "id": new_id }),
        )
        .await;
    assert_eq!(key["apiKey"]["recoverable"], false);
}

#[tokio::test]
async fn user_changes_are_audited_and_user_calls_are_in_the_activity_log() {
    let app = TestApp::spawn().await;
    let people = app.people().await;
    app.as_user(&people.member.token, "production", "mutation { createApiKey(input: { name: \"by a member\", scopes: [\"customers:read\"] }) { apiKey { createdBy { type name } } } }", json!({}))
        .await
        .data();
    let audit = app
        .ok(
            &app.admin(),
            "{ auditEvents(first: 1) { edges { node { type actor { type id name } } } } }",
            json!({}),
        )
        .await;
    let actor = &audit["auditEvents"]["edges"][0]["node"]["actor"];
    assert_eq!(actor["type"], "USER");
    assert_eq!(actor["id"], people.member.id.as_str());
    assert_eq!(actor["name"], "member@example.com");
    let events = app
        .as_user(
            &people.owner.token,
            "production",
            "{ accountAuditEvents(first: 10) { edges { node { type } } } }",
            json!({}),
        )
        .await
        .data();
    let types: Vec<_> = events["accountAuditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "USER_JOINED",
            "USER_INVITED",
            "USER_JOINED",
            "USER_INVITED",
            "USER_JOINED"
        ]
    );
    let activity = app
        .eventually(
            "{ activityEvents(first: 50) { edges { node { rootFields userId apiKey { id } } } } }",
            json!({}),
            |data| {
                data["activityEvents"]["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["node"]["userId"] == json!(people.member.id))
            },
        )
        .await;
    let by_member = activity["activityEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["userId"] == json!(people.member.id))
        .unwrap();
    assert_eq!(by_member["node"]["apiKey"], Value::Null);
}

#[tokio::test]
async fn no_password_token_or_revealed_secret_is_stored_or_logged() {
    let app = TestApp::spawn().await;
    let setup_token = app.setup_token();
    let owner = app.setup_owner().await;
    let (_, _, body) = app.login("owner@example.com", PASSWORD).await;
    let login_token = body["token"].as_str().unwrap().to_owned();
    let invitation = app
        .as_user(&owner.token, "production", "mutation { inviteUser(input: { email: \"x@example.com\", role: MEMBER }) { invitationUrl } }", json!({}))
        .await
        .data();
    let invitation_token = link_token(invitation["inviteUser"]["invitationUrl"].as_str().unwrap());
    app.as_user(
        &owner.token,
        "production",
        "mutation { updateRecoverableKeys(input: { enabled: true }) { id } }",
        json!({}),
    )
    .await
    .data();
    let (id, secret) = app.create_key("kept", &["customers:read"]).await;
    let revealed = app
        .as_user(
            &owner.token,
            "production",
            "mutation($id: ID!) { revealApiKeySecret(input: { id: $id }) { secret } }",
            json!({ "id": id }),
        )
        .await
        .data();
    assert_eq!(revealed["revealApiKeySecret"]["secret"], secret.as_str());
    let stored = app.db.raw_contents().await;
    let logs = crate::harness::captured_logs();
    let needles = [
        PASSWORD.to_owned(),
        owner.token[4..].to_owned(),
        login_token[4..].to_owned(),
        setup_token[4..].to_owned(),
        invitation_token[4..].to_owned(),
        secret[7..47].to_owned(),
    ];
    assert!(
        stored.contains("$argon2id$"),
        "the stored contents were read"
    );
    for needle in &needles {
        assert!(
            !stored.contains(needle.as_str()),
            "a credential is stored in plaintext"
        );
        assert!(
            !logs.contains(needle.as_str()),
            "a credential reached the log"
        );
    }
}
