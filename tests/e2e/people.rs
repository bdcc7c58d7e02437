//! People over HTTP: the setup link, invitations, login and logout, session expiry and
//! revocation, the last-owner rule, credential conflicts, the cross-site refusal, the login
//! throttle, recoverable keys and their reveal rules.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Gql, PASSWORD, TestApp, TestOptions, link_token};

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
async fn login_answers_a_cookie_and_a_token_and_logout_ends_the_session() {
    let app = TestApp::spawn().await;
    app.setup_owner().await;
    let (status, headers, body) = app.login("Owner@Example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = headers["set-cookie"].to_str().unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(
        cookie.starts_with(&format!("keyplane_session={token};")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP gets no Secure cookie"
    );
    assert_eq!(headers["cache-control"], "no-store");
    let slugs: Vec<_> = body["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["slug"].clone())
        .collect();
    assert_eq!(slugs.len(), 3);
    app.as_user(token, "staging", VIEWER, json!({}))
        .await
        .data();

    let logout = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(
        logout.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app.as_user(token, "staging", VIEWER, json!({})).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn login_failures_look_alike_and_are_throttled() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    for (email, password) in [
        ("owner@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
        ("not-an-email", PASSWORD),
    ] {
        let (status, _, body) = app.login(email, password).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{email}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert_eq!(
            body["errors"][0]["message"],
            "the email or password is not correct"
        );
    }
    // A disabled user cannot sign in either, with the right password; the same answer.
    let reader = app.invite(&owner, "reader@example.com", "READ_ONLY").await;
    app.as_user(
        &owner.token,
        "production",
        "mutation($id: ID!) { disableUser(input: { id: $id }) { disabled } }",
        json!({ "id": reader.id }),
    )
    .await
    .data();
    let (status, _, body) = app.login("reader@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // The throttle: five attempts per email at once, then one a minute.
    let mut codes = Vec::new();
    for _ in 0..6 {
        let (_, _, body) = app.login("target@example.com", "guess guess guess").await;
        codes.push(
            body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(codes[..5], ["UNAUTHENTICATED"; 5]);
    assert_eq!(codes[5], "RATE_LIMITED");
    let (status, _, _) = app.login("target@example.com", "guess guess guess").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sessions_end_when_idle_when_old_and_when_revoked() {
    let app = TestApp::spawn_with(TestOptions {
        sessions: keyplane_domain::session::SessionPolicy {
            idle: chrono::Duration::seconds(2),
            absolute: chrono::Duration::days(1),
        },
        ..TestOptions::default()
    })
    .await;
    let owner = app.setup_owner().await;
    app.as_user(&owner.token, "production", VIEWER, json!({}))
        .await
        .data();
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(
        app.as_user(&owner.token, "production", VIEWER, json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );

    let app = TestApp::spawn_with(TestOptions {
        sessions: keyplane_domain::session::SessionPolicy {
            idle: chrono::Duration::hours(1),
            absolute: chrono::Duration::seconds(2),
        },
        ..TestOptions::default()
    })
    .await;
    let owner = app.setup_owner().await;
    for _ in 0..3 {
        app.as_user(&owner.token, "production", VIEWER, json!({}))
            .await
            .data();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    assert_eq!(
        app.as_user(&owner.token, "production", VIEWER, json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );

    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let (_, _, body) = app.login("owner@example.com", PASSWORD).await;
    let other = body["token"].as_str().unwrap().to_owned();
    let sessions = app
        .as_user(
            &owner.token,
            "production",
            "{ viewer { sessions { id current } } }",
            json!({}),
        )
        .await
        .data();
    let list = sessions["viewer"]["sessions"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let other_id = list.iter().find(|s| s["current"] == json!(false)).unwrap()["id"].clone();
    app.as_user(
        &owner.token,
        "production",
        "mutation($id: ID!) { revokeSession(input: { id: $id }) }",
        json!({ "id": other_id }),
    )
    .await
    .data();
    assert_eq!(
        app.as_user(&other, "production", VIEWER, json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
    app.as_user(&owner.token, "production", VIEWER, json!({}))
        .await
        .data();
}

#[tokio::test]
async fn a_user_request_names_one_of_its_environments() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let data = app
        .as_user(&owner.token, "development", VIEWER, json!({}))
        .await
        .data();
    assert_eq!(data["viewer"]["environment"]["slug"], "development");
    for environment in ["", "nope"] {
        let answer = app
            .as_user(&owner.token, environment, VIEWER, json!({}))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.code(), "BAD_USER_INPUT");
    }
    let missing = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&owner.token)
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    let missing = Gql::read(missing).await;
    assert_eq!(missing.code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn more_than_one_credential_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let cookie = format!("keyplane_session={}", owner.token);
    let requests = [
        app.client
            .post(app.url("/graphql"))
            .header("X-API-Key", app.admin())
            .bearer_auth(&owner.token),
        app.client
            .post(app.url("/graphql"))
            .header("X-API-Key", app.admin())
            .header("Cookie", &cookie),
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&owner.token)
            .header("Cookie", &cookie),
    ];
    for request in requests {
        let response = request
            .header("Keyplane-Environment", "production")
            .json(&json!({ "query": VIEWER }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

#[tokio::test]
async fn the_cookie_cannot_change_anything_from_another_site() {
    let app = TestApp::spawn().await;
    let owner = app.setup_owner().await;
    let cookie = format!("keyplane_session={}", owner.token);
    let mutation = json!({ "query": "mutation { updateRecoverableKeys(input: { enabled: true }) { recoverableKeys } }" });
    let send = |origin: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .header("Cookie", &cookie)
            .header("Keyplane-Environment", "production")
            .json(&mutation);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send()
    };
    for origin in [None, Some("https://evil.example")] {
        let response = send(origin).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin:?}");
    }
    let form = app
        .client
        .post(app.url("/graphql"))
        .header("Cookie", &cookie)
        .header("Origin", format!("http://{}", app.addr))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("query=mutation{updateRecoverableKeys(input:{enabled:true}){id}}")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let data = app
        .as_user(
            &owner.token,
            "production",
            "{ viewer { environment { recoverableKeys } } }",
            json!({}),
        )
        .await
        .data();
    assert_eq!(
        data["viewer"]["environment"]["recoverableKeys"], false,
        "nothing changed"
    );
    // From Keyplane's own origin, the cookie works.
    let own = app
        .client
        .post(app.url("/graphql"))
        .header("Cookie", &cookie)
        .header("Keyplane-Environment", "production")
        .header("Origin", format!("http://{}", app.addr))
        .json(&mutation)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
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
