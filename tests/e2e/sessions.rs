//! Sessions over HTTP: login and logout, expiry and revocation, the environment header, one
//! credential per request, the cross-site refusal and the login throttle.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Gql, PASSWORD, TestApp, TestOptions};

const VIEWER: &str = "{ viewer { user { id email role } environment { slug } } }";

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
            idle: chrono::Duration::seconds(4),
            absolute: chrono::Duration::days(1),
        },
        ..TestOptions::default()
    })
    .await;
    let owner = app.setup_owner().await;
    app.as_user(&owner.token, "production", VIEWER, json!({}))
        .await
        .data();
    tokio::time::sleep(std::time::Duration::from_millis(4_500)).await;
    assert_eq!(
        app.as_user(&owner.token, "production", VIEWER, json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );

    let app = TestApp::spawn_with(TestOptions {
        sessions: keyplane_domain::session::SessionPolicy {
            idle: chrono::Duration::hours(1),
            absolute: chrono::Duration::seconds(10),
        },
        ..TestOptions::default()
    })
    .await;
    let owner = app.setup_owner().await;
    let signed_in = std::time::Instant::now();
    // Requests keep the session from idling, but not past its absolute end. (Generous
    // margins: the suite runs on a busy machine, where signing in and two requests have taken
    // more than four seconds.)
    app.as_user(&owner.token, "production", VIEWER, json!({}))
        .await
        .data();
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    app.as_user(&owner.token, "production", VIEWER, json!({}))
        .await
        .data();
    tokio::time::sleep(
        std::time::Duration::from_millis(10_500).saturating_sub(signed_in.elapsed()),
    )
    .await;
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
            "{ viewer { sessions { edges { node { id current } } } } }",
            json!({}),
        )
        .await
        .data();
    let list = sessions["viewer"]["sessions"]["edges"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let other_id = list
        .iter()
        .find(|s| s["node"]["current"] == json!(false))
        .unwrap()["node"]["id"]
        .clone();
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
async fn retention_deletes_sessions_that_ended() {
    let app = TestApp::spawn_with(TestOptions {
        sessions: keyplane_domain::session::SessionPolicy {
            // Long enough for signing in and counting on a busy machine (CI on PostgreSQL
            // took over a second once), short enough to watch it end.
            idle: chrono::Duration::seconds(5),
            absolute: chrono::Duration::days(1),
        },
        retention_interval: std::time::Duration::from_millis(300),
        ..TestOptions::default()
    })
    .await;
    app.setup_owner().await;
    assert_eq!(
        app.db.count_rows("sessions").await,
        1,
        "the owner's session"
    );
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if app.db.count_rows("sessions").await == 0 {
            return;
        }
    }
    panic!("retention never deleted the idle session");
}
